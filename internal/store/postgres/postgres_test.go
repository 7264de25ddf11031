package postgres_test

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/postgres"
	"github.com/portico/portico/internal/store/storetest"
	"github.com/portico/portico/internal/testutil"
)

func TestStore(t *testing.T) {
	storetest.Run(t, testutil.OpenPostgres)
}

func TestStoresSharingADatabase(t *testing.T) {
	storetest.RunShared(t, func(t testing.TB) (store.Store, store.Store) {
		url := testutil.PostgresURL(t)
		return open(t, url), open(t, url)
	})
}

func open(t testing.TB, url string) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
