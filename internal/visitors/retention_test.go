package visitors_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/testutil"
	"github.com/portico/portico/internal/visitors"
)

// With a retention period, page views older than it are gone as soon as the node starts; the
// ones within it stay.
func TestPrunePageViewsKeepsTheRetentionPeriod(t *testing.T) {
	s := testutil.OpenSQLite(t)
	ctx := context.Background()
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Shop", Key: "k_" + domain.NewSecret(8), CreatedAt: time.Now().UTC()}
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	newVisitor := func() *domain.Visitor {
		v := &domain.Visitor{ID: domain.NewID(), AccountID: acc.ID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
		if err := s.CreateVisitor(ctx, v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	old, recent := newVisitor(), newVisitor()
	views := map[*domain.Visitor][]time.Time{
		old:    {now.Add(-40 * 24 * time.Hour), now.Add(-40*24*time.Hour + time.Minute)},
		recent: {now.Add(-time.Hour)},
	}
	for v, times := range views {
		for _, at := range times {
			if err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: v.ID, AccountID: acc.ID, URL: "https://shop.example/", At: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	pages := func(v *domain.Visitor) int {
		list, err := s.PagesOfLatestVisit(ctx, v.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	if pages(old) != 2 {
		t.Fatalf("the old visit has %d page views before pruning, want 2", pages(old))
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- visitors.PrunePageViews(runCtx, s, 30*24*time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for pages(old) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d page views older than the retention period are left", pages(old))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if pages(recent) != 1 {
		t.Errorf("the recent page view was deleted too")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
