package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

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
	list, err := s.ListListings(ctx, []string{adv.ID}, "")
	if err != nil || len(list) != 1 || list[0].ID != l.ID || !slices.Equal(list[0].OperatorIDs, []string{"op-a", "op-b"}) {
		t.Fatalf("listings of one advertiser: %+v %v", list, err)
	}
	if list, err := s.ListListings(ctx, []string{adv.ID, other.ID}, ""); err != nil || len(list) != 2 || list[1].OperatorIDs == nil {
		t.Fatalf("listings of both: %+v %v", list, err)
	}
	stranger := newAccount(t, s, domain.KindAdvertiser, newAccount(t, s, domain.KindPortal, "", "").ID, "adv-1")
	if err := s.UpsertListing(ctx, &domain.Listing{AccountID: stranger.ID, ExternalID: "L1", Title: "Elsewhere"}); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListListings(ctx, nil, portal.ID); err != nil || len(list) != 2 || list[0].AdvertiserID == stranger.ID || list[1].AdvertiserID == stranger.ID {
		t.Fatalf("listings of the portal's advertisers: %+v %v", list, err)
	}
	testPortalAdvertisers(t, s)
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

// testPortalAdvertisers pages through a portal's advertisers by name, finds them by name or
// external id, and brings each one's operators (not the deleted) and listings with their agents.
func testPortalAdvertisers(t *testing.T, s store.Store) {
	portal := newAccount(t, s, domain.KindPortal, "", "")
	names := []string{"Delta Homes", "alpha 100% Estates", "Charlie_Lets", "Bravo Realty", "Echo Homes"}
	byName := map[string]*domain.Account{}
	for i, name := range names {
		a := &domain.Account{ID: domain.NewID(), Kind: domain.KindAdvertiser, Name: name, Key: "k_" + domain.NewSecret(8),
			ParentID: portal.ID, ExternalID: fmt.Sprintf("ext-%d", i), CreatedAt: time.Now().UTC()}
		if err := s.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		byName[name] = a
	}
	newAccount(t, s, domain.KindAdvertiser, newAccount(t, s, domain.KindPortal, "", "").ID, "ext-0") // another portal's
	delta := byName["Delta Homes"]
	kept, gone := newOperator(t, s, delta.ID, domain.RoleAdmin), newOperator(t, s, delta.ID, domain.RoleAgent)
	if _, err := s.DeleteOperator(ctx, gone.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	l := &domain.Listing{AccountID: delta.ID, ExternalID: "D1", Title: "Loft"}
	if err := s.UpsertListing(ctx, l); err != nil {
		t.Fatal(err)
	}
	if err := s.SetListingOperators(ctx, l.ID, []string{kept.ID}); err != nil {
		t.Fatal(err)
	}

	var all []string
	var after *store.AdvertiserCursor
	for range len(names) {
		page, err := s.PortalAdvertisers(ctx, store.AdvertiserFilter{PortalID: portal.ID, After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			all = append(all, a.Name)
		}
		if len(page) < 2 {
			break
		}
		after = &store.AdvertiserCursor{SortName: page[len(page)-1].SortName, ID: page[len(page)-1].ID}
	}
	// By name in any case, in the database's own order (its collation), which the pages follow.
	whole, err := s.PortalAdvertisers(ctx, store.AdvertiserFilter{PortalID: portal.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ordered []string
	for _, a := range whole {
		ordered = append(ordered, a.Name)
	}
	if !slices.Equal(all, ordered) || len(all) != len(names) {
		t.Fatalf("pages of two: %v, one page: %v, want %d names", all, ordered, len(names))
	}
	if all[0] != "alpha 100% Estates" || all[len(all)-1] != "Echo Homes" {
		t.Fatalf("not by name in any case: %v", all)
	}
	for query, want := range map[string][]string{
		"HOMES": {"Delta Homes", "Echo Homes"}, "100%": {"alpha 100% Estates"}, "%": {"alpha 100% Estates"},
		"o_h": {}, "_": {"Charlie_Lets"}, "ext-3": {"Bravo Realty"}, "nobody": {},
	} {
		page, err := s.PortalAdvertisers(ctx, store.AdvertiserFilter{PortalID: portal.ID, Query: query, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range page {
			got = append(got, a.Name)
		}
		if !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Errorf("query %q: %v, want %v", query, got, want)
		}
	}
	page, err := s.PortalAdvertisers(ctx, store.AdvertiserFilter{PortalID: portal.ID, Query: "delta", Limit: 10})
	if err != nil || len(page) != 1 {
		t.Fatalf("delta: %+v %v", page, err)
	}
	d := page[0]
	if d.ID != delta.ID || d.ExternalID != "ext-0" || len(d.Operators) != 1 || d.Operators[0].ID != kept.ID {
		t.Fatalf("delta's operators: %+v", d)
	}
	if len(d.Listings) != 1 || d.Listings[0].ID != l.ID || !slices.Equal(d.Listings[0].OperatorIDs, []string{kept.ID}) {
		t.Fatalf("delta's listings: %+v", d.Listings)
	}
}
