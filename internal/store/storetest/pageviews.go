package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/store"
)

// Page views are group-committed; every caller must still find its own page stored, and a
// burst from many visitors at once loses none.
func testConcurrentPageViews(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	const visitors, pages = 20, 10
	ids := make([]string, visitors)
	for i := range ids {
		ids[i] = newVisitor(t, s, f.account.ID).ID
	}
	var wg sync.WaitGroup
	start := time.Now().UTC()
	for i, id := range ids {
		for p := 0; p < pages; p++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: id, AccountID: f.account.ID,
					URL: fmt.Sprintf("https://acme.example/%d/%d", i, p), At: start.Add(time.Duration(p) * time.Millisecond)})
				if err != nil {
					t.Errorf("page view: %v", err)
				}
			}()
		}
	}
	wg.Wait()
	for _, id := range ids {
		got, err := s.PagesOfLatestVisit(ctx, id, 100)
		if err != nil || len(got) != pages {
			t.Fatalf("visitor %s has %d pages (%v), want %d", id, len(got), err, pages)
		}
	}
}
