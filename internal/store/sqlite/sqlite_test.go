package sqlite_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
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
	db := testutil.OpenSQLiteFile(t, dir)
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

// New messages reach the search index in the background, a batch at a time, without waiting
// for a search to ask for them.
func TestMessagesIndexedInTheBackground(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := testutil.OpenSQLiteAt(t, dir)
	now := time.Now().UTC()
	seeded := testutil.SeedChats(t, s, 1)
	v, c := seeded.Visitor, seeded.Conversations[0]
	for i := range 20 {
		m := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID},
			Body: fmt.Sprintf("word%d", i), ClientMsgID: fmt.Sprint("m", i), CreatedAt: now}
		if _, _, err := s.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	db := testutil.OpenSQLiteFile(t, dir)
	count := func(query string) int { t.Helper(); return testutil.Count(t, db, query) }
	deadline := time.Now().Add(10 * time.Second)
	for count(`SELECT COUNT(*) FROM messages_fts_waiting`) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("messages still waiting for the search index after 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := count(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'word7'`); n != 1 {
		t.Fatalf("word7 indexed %d times, want once", n)
	}
	if n := count(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'hello OR word0 OR word19'`); n != 3 {
		t.Fatalf("%d of the first, the first appended and the last message indexed, want 3", n)
	}
}

// A page view sets its visitor's last_seen_at and its visit's page: an index holding those
// columns would be rewritten on every page view.
func TestPageViewsChangeNoIndexedColumn(t *testing.T) {
	dir := t.TempDir()
	testutil.OpenSQLiteAt(t, dir)
	db := testutil.OpenSQLiteFile(t, dir)
	testutil.CheckNoIndexHolds(t, db, `SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('visitors', 'visits') AND sql IS NOT NULL`, testutil.PageViewColumns)
}
