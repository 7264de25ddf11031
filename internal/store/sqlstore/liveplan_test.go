package sqlstore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/sqlstore"
	"github.com/portico/portico/internal/testutil"
)

// The list of live visitors counts each visitor's visits with index lookups, also before
// PostgreSQL has statistics of the tables (a new installation, a bench's first minute):
// a plan that scanned the visits table once for each visitor of a list took 100–700 ms a list
// and the cores with it.
func TestLiveVisitorsCountByIndexBeforeStatistics(t *testing.T) {
	s := testutil.OpenPostgres(t).(*sqlstore.Store)
	ctx := context.Background()
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Acme", Key: "k_" + domain.NewSecret(8), CreatedAt: time.Now().UTC()}
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	visit := func(n int) []string {
		ids := make([]string, n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		sem := make(chan struct{}, 32)
		for i := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				now := time.Now().UTC()
				v := &domain.Visitor{ID: domain.NewID(), AccountID: acc.ID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
				ids[i] = v.ID
				errs <- s.RecordPageView(ctx, store.PageViewInput{VisitorID: v.ID, AccountID: acc.ID, URL: fmt.Sprint("https://acme.example/", i), At: now, NewVisitor: v})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return ids
	}
	// Never analyzed, as in a new installation's first minutes or a bench's first phases.
	for _, table := range []string{"visits", "visitors", "conversations"} {
		if err := s.Exec(ctx, "ALTER TABLE "+table+" SET (autovacuum_enabled = off)"); err != nil {
			t.Fatal(err)
		}
	}
	listed := visit(3000)[:500]
	plan, err := s.ExplainLiveVisitors(ctx, listed)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(plan, "\n") {
		// The latest visit is joined once for the whole list (alias t); the counts scan nothing.
		if strings.Contains(line, "Seq Scan on visits") && !strings.Contains(line, "Seq Scan on visits t ") {
			t.Fatalf("a list of live visitors scans the visits for each visitor:\n%s", plan)
		}
	}
}
