package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/sqlite"
	"github.com/portico/portico/internal/store/storetest"
	"github.com/portico/portico/internal/testutil"
)

func TestStore(t *testing.T) {
	storetest.Run(t, testutil.OpenSQLite)
}

func TestStoresSharingADatabase(t *testing.T) {
	storetest.RunShared(t, func(t testing.TB) (store.Store, store.Store) {
		dir := t.TempDir()
		return testutil.OpenSQLiteAt(t, dir), testutil.OpenSQLiteAt(t, dir)
	})
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	testutil.OpenSQLiteAt(t, dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`INSERT INTO schema_version (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Migrate on a newer database: err = %v, want a refusal", err)
	}
}
