package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/portico/portico/internal/config"
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
	s, err := postgres.Open(context.Background(), url, config.DefaultDatabasePool())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// migratedDB migrates a fresh database and opens a connection of the test's own to it, closed
// with the test.
func migratedDB(t *testing.T) *sql.DB {
	t.Helper()
	url := testutil.PostgresURL(t)
	open(t, url)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A page view sets its visitor's last_seen_at and its visit's page: no index may hold those
// columns, or PostgreSQL writes a new entry into every index of the row (no HOT update) on
// every page view.
func TestPageViewsChangeNoIndexedColumn(t *testing.T) {
	db := migratedDB(t)
	testutil.CheckNoIndexHolds(t, db, `SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN ('visitors', 'visits')`, testutil.PageViewColumns)
}

// A page view's row is consistent by construction (its visit and visitor come from the visit it
// selects) and nothing deletes visits or visitors: page_views keeps no foreign key, whose
// referential checks locked two parent rows on every insert (migration 0011).
func TestPageViewsCarryNoForeignKeys(t *testing.T) {
	db := migratedDB(t)
	var keys int
	err := db.QueryRow(`SELECT count(*) FROM pg_constraint WHERE conrelid = 'page_views'::regclass AND contype = 'f'`).Scan(&keys)
	if err != nil {
		t.Fatal(err)
	}
	if keys != 0 {
		t.Fatalf("page_views has %d foreign keys, want none", keys)
	}
}

// Only the visitors linked to another are indexed by merged_into (visitors_linked, partial): an
// index over every visitor took an entry for each new one.
func TestNoIndexOfEveryVisitorsLink(t *testing.T) {
	db := migratedDB(t)
	testutil.CheckNoIndexHolds(t, db, `SELECT tablename, indexdef FROM pg_indexes WHERE tablename = 'visitors' AND indexdef NOT LIKE '%WHERE%'`, []string{"merged_into"})
}

// The node keeps at most the connections --database-pool allows, and refuses a pool of none.
func TestPoolSize(t *testing.T) {
	url := testutil.PostgresURL(t)
	s, err := postgres.Open(context.Background(), url, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, db := range s.Pools() {
		if n := db.Stats().MaxOpenConnections; n != 3 {
			t.Errorf("pool %s: at most %d connections, want 3", name, n)
		}
	}
	if _, err := postgres.Open(context.Background(), url, 0); err == nil {
		t.Error("a pool of 0 connections was accepted")
	}
}
