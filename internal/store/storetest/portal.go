package storetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// testPortalRouting covers settings and locks, listing agents and a portal's backup operators.
func testPortalRouting(t *testing.T, s store.Store) {
	portal := newAccount(t, s, domain.KindPortal, "", "")
	adv := newAccount(t, s, domain.KindAdvertiser, portal.ID, "adv-1")
	other := newAccount(t, s, domain.KindAdvertiser, portal.ID, "adv-2")

	// Accounts read often are kept for a moment; what a caller changes in its copy is its own,
	// and a change through the store is read back at once, by id and by key.
	for _, read := range []func() (*domain.Account, error){
		func() (*domain.Account, error) { return s.AccountByID(ctx, portal.ID) },
		func() (*domain.Account, error) { return s.AccountByKey(ctx, portal.Key) },
	} {
		got, err := read()
		if err != nil || got.Settings["color"] != "#123456" {
			t.Fatalf("portal before: %+v, %v", got, err)
		}
		got.Settings["color"] = "changed by the caller"
		got.AllowedOrigins[0] = "https://elsewhere.example"
	}
	if got, err := s.AccountByKey(ctx, portal.Key); err != nil || got.Settings["color"] != "#123456" || got.AllowedOrigins[0] != "https://acme.example" {
		t.Fatalf("portal read again: %+v, %v", got, err)
	}
	if err := s.SetAccountSettings(ctx, portal.ID, map[string]any{"auto_open_after_seconds": 0}, []string{"auto_open_after_seconds"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AccountByID(ctx, portal.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Locked) != 1 || got.Locked[0] != "auto_open_after_seconds" || got.Settings["auto_open_after_seconds"] != 0.0 || got.Settings["color"] != nil {
		t.Fatalf("portal settings: %v locked %v", got.Settings, got.Locked)
	}
	if byKey, err := s.AccountByKey(ctx, portal.Key); err != nil || byKey.Settings["color"] != nil || len(byKey.Locked) != 1 {
		t.Fatalf("portal settings by key: %+v, %v", byKey, err)
	}
	if err := s.SetAccountSettings(ctx, "nope", nil, nil); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("settings of no account: %v", err)
	}

	l := &domain.Listing{AccountID: adv.ID, ExternalID: "L1", Title: "Flat", URL: "https://portal.example/L1"}
	if err := s.UpsertListing(ctx, l); err != nil {
		t.Fatal(err)
	}
	l2 := &domain.Listing{AccountID: other.ID, ExternalID: "L2", Title: "House"}
	if err := s.UpsertListing(ctx, l2); err != nil {
		t.Fatal(err)
	}
	if err := s.SetListingOperators(ctx, l.ID, []string{"op-b", "op-a", "op-a"}); err != nil {
		t.Fatal(err)
	}
	pl, err := s.ListingByID(ctx, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pl.AdvertiserID != adv.ID || pl.ExternalID != "L1" || !slices.Equal(pl.OperatorIDs, []string{"op-a", "op-b"}) {
		t.Fatalf("listing: %+v", pl)
	}
	if byExt, err := s.ListingByExternalID(ctx, adv.ID, "L1"); err != nil || byExt.ID != l.ID {
		t.Fatalf("by external id: %+v %v", byExt, err)
	}
	if _, err := s.ListingByExternalID(ctx, other.ID, "L1"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another advertiser's listing: %v", err)
	}
	list, err := s.ListListings(ctx, []string{adv.ID})
	if err != nil || len(list) != 1 || list[0].ID != l.ID || len(list[0].OperatorIDs) != 2 {
		t.Fatalf("listings of one advertiser: %+v %v", list, err)
	}
	if list, err := s.ListListings(ctx, []string{adv.ID, other.ID}); err != nil || len(list) != 2 || list[1].OperatorIDs == nil {
		t.Fatalf("listings of both: %+v %v", list, err)
	}
	if err := s.SetListingOperators(ctx, l.ID, nil); err != nil {
		t.Fatal(err)
	}
	if ids, err := s.ListingOperators(ctx, l.ID); err != nil || len(ids) != 0 {
		t.Fatalf("cleared listing operators: %v %v", ids, err)
	}

	b, err := s.PortalBackup(ctx, portal.ID)
	if err != nil || b.Enabled || b.OperatorIDs == nil {
		t.Fatalf("default backup: %+v %v", b, err)
	}
	for _, want := range []domain.PortalBackup{{AccountID: portal.ID, Enabled: true, OperatorIDs: []string{"x", "y"}}, {AccountID: portal.ID, Enabled: false, OperatorIDs: []string{}}} {
		if err := s.SetPortalBackup(ctx, &want); err != nil {
			t.Fatal(err)
		}
		b, err := s.PortalBackup(ctx, portal.ID)
		if err != nil || b.Enabled != want.Enabled || !slices.Equal(b.OperatorIDs, want.OperatorIDs) {
			t.Fatalf("backup %+v, want %+v (%v)", b, want, err)
		}
	}
}
