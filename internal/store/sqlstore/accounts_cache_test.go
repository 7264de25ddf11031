package sqlstore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store/sqlstore"
	"github.com/portico/portico/internal/testutil"
)

// Requests that all want an account the cache does not hold wait for one read of it, instead
// of each reading it (and the pool of readers growing to take them all).
func TestAccountMissesShareOneRead(t *testing.T) {
	s := testutil.OpenSQLite(t).(*sqlstore.Store)
	ctx := context.Background()
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Acme", Key: "k_" + domain.NewSecret(8), CreatedAt: time.Now().UTC()}
	if err := s.CreateAccount(ctx, acc); err != nil { // a change: the cache holds no account
		t.Fatal(err)
	}
	var reads atomic.Int64
	s.Observe(func(kind string, _ time.Time) {
		if kind == "read" {
			reads.Add(1)
		}
	})
	const requests = 64
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, requests)
	for range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			got, err := s.AccountByID(ctx, acc.ID)
			if err == nil && got.Key != acc.Key {
				err = context.Canceled // any error: the wrong account came back
			}
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d requests for one account made %d reads, want 1", requests, n)
	}
}
