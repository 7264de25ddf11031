package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
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
	for count(testutil.SQLiteMessagesNotIndexed) > 0 {
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

// The account and visitor the migration tests' rows belong to.
const (
	insertAccountA1 = `INSERT INTO accounts (id, kind, name, key, created_at) VALUES ('a1', 'website', 'Acme', 'k1', 0)`
	insertVisitorV1 = `INSERT INTO visitors (id, account_id, token_hash, created_at, last_seen_at) VALUES ('v1', 'a1', 't1', 0, 0)`
)

// execAll runs the statements one after the other; the first that fails ends the test.
func execAll(t *testing.T, db *sql.DB, statements ...string) {
	t.Helper()
	for _, q := range statements {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// applyMigrationsUpTo builds the schema of version last in the database, as a Portico of that
// version left it.
func applyMigrationsUpTo(t *testing.T, db *sql.DB, last int) {
	t.Helper()
	if _, err := db.Exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sqlite.Migrations(), "*.sql")
	if err != nil || len(names) < last {
		t.Fatalf("migrations %v: %v", names, err)
	}
	for i, name := range names[:last] {
		body, err := fs.ReadFile(sqlite.Migrations(), name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_version (version, applied_at) VALUES (?, 0)`, i+1); err != nil {
			t.Fatal(err)
		}
	}
}

// Migration 0011 replaces the queue of messages waiting for the search index with a watermark:
// what was still queued is indexed then, what was indexed is not indexed twice, and messages
// written after it are indexed past the watermark.
func TestWatermarkMigrationTakesTheQueue(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := testutil.OpenSQLiteFile(t, dir)
	applyMigrationsUpTo(t, db, 10)
	execAll(t, db,
		insertAccountA1, insertVisitorV1,
		`INSERT INTO conversations (id, account_id, visitor_id, status, last_seq, start_client_msg_id, created_at)
			VALUES ('c1', 'a1', 'v1', 'closed', 3, 's1', 0)`,
		`INSERT INTO messages (id, conversation_id, seq, author_type, author_id, body, client_msg_id, created_at)
			VALUES ('m1', 'c1', 1, 'visitor', 'v1', 'indexedbefore', 'x1', 0),
			       ('m2', 'c1', 2, 'visitor', 'v1', 'queuedone', 'x2', 0),
			       ('m3', 'c1', 3, 'visitor', 'v1', 'queuedtwo', 'x3', 0)`,
		// What version 10's indexer did with the first of them.
		`INSERT INTO messages_fts (body, conversation_id, seq) VALUES ('indexedbefore', 'c1', 1)`,
		`DELETE FROM messages_fts_waiting WHERE message_id = 'm1'`,
	)

	s := testutil.OpenSQLiteAt(t, dir)
	count := func(query string) int { t.Helper(); return testutil.Count(t, db, query) }
	for _, word := range []string{"indexedbefore", "queuedone", "queuedtwo"} {
		if n := count(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '` + word + `'`); n != 1 {
			t.Errorf("%s indexed %d times after the migration, want once", word, n)
		}
	}
	if n := count(testutil.SQLiteMessagesNotIndexed); n != 0 {
		t.Errorf("%d messages past the watermark after the migration, want 0", n)
	}
	if n := count(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'messages_fts_waiting'`); n != 0 {
		t.Error("the queue table is still there")
	}

	if _, err := db.Exec(`UPDATE conversations SET status = 'active' WHERE id = 'c1'`); err != nil {
		t.Fatal(err)
	}
	m := &domain.Message{ID: domain.NewID(), ConversationID: "c1", Author: domain.Author{Type: domain.AuthorVisitor, ID: "v1"},
		Body: "writtenafter", ClientMsgID: "x4", CreatedAt: time.Now()}
	if _, _, err := s.AppendMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE conversations SET status = 'closed' WHERE id = 'c1'`); err != nil {
		t.Fatal(err)
	}
	hits, err := s.SearchHistory(ctx, store.HistoryFilter{AccountIDs: []string{"a1"}, Words: []string{"writtenafter"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Conversation.ID != "c1" {
		t.Fatalf("a search for a message written after the migration found %+v, want conversation c1", hits)
	}
}

// Migration 0013 copies the messages into a table without an index by id: every row keeps its
// rowid (which the search index's watermark counts), the triggers that keep the search index
// right are there again, and the idempotency key still finds a repeat.
func TestMessagesCopiedWithoutTheIndexByID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := testutil.OpenSQLiteFile(t, dir)
	applyMigrationsUpTo(t, db, 12)
	execAll(t, db,
		insertAccountA1, insertVisitorV1,
		`INSERT INTO conversations (id, account_id, visitor_id, status, last_seq, start_client_msg_id, created_at)
			VALUES ('c1', 'a1', 'v1', 'active', 3, 's1', 0)`,
		// rowids with gaps, as deleted rows would leave
		`INSERT INTO messages (rowid, id, conversation_id, seq, author_type, author_id, body, client_msg_id, created_at)
			VALUES (10, 'm1', 'c1', 1, 'visitor', 'v1', 'firstword', 'x1', 0),
			       (20, 'm2', 'c1', 2, 'visitor', 'v1', 'secondword', 'x2', 0),
			       (30, 'm3', 'c1', 3, 'visitor', 'v1', 'thirdword', 'x3', 0)`,
		// Version 12's indexer had taken the first two.
		`INSERT INTO messages_fts (body, conversation_id, seq) VALUES ('firstword', 'c1', 1), ('secondword', 'c1', 2)`,
		`UPDATE messages_fts_indexed SET last_rowid = 20`,
	)

	s := testutil.OpenSQLiteAt(t, dir)
	rows, err := db.Query(`SELECT rowid, id FROM messages ORDER BY rowid`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var rowid int
		var id string
		if err := rows.Scan(&rowid, &id); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(rowid, "=", id))
	}
	if want := "[10=m1 20=m2 30=m3]"; fmt.Sprint(got) != want {
		t.Errorf("rows after the migration: %v, want %s", got, want)
	}
	count := func(query string) int { t.Helper(); return testutil.Count(t, db, query) }
	if n := count(`SELECT COUNT(*) FROM pragma_index_list('messages') l JOIN pragma_index_info(l.name) i ON i.seqno = 0 WHERE i.name = 'id'`); n != 0 {
		t.Errorf("%d indexes of messages start with id, want none", n)
	}
	if n := count(`SELECT COUNT(*) FROM pragma_index_list('messages') WHERE "unique" = 1`); n != 2 {
		t.Errorf("%d unique indexes on messages, want 2: (conversation_id, seq) and the idempotency key", n)
	}
	if n := count(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'messages'`); n != 3 {
		t.Errorf("%d triggers on messages, want 3", n)
	}

	repeat := &domain.Message{ID: domain.NewID(), ConversationID: "c1", Author: domain.Author{Type: domain.AuthorVisitor, ID: "v1"},
		Body: "thirdword again", ClientMsgID: "x3", CreatedAt: time.Now()}
	original, created, err := s.AppendMessage(ctx, repeat)
	if err != nil || created || original.ID != "m3" {
		t.Fatalf("a repeat of x3: %+v, created %v, %v; want m3, not created", original, created, err)
	}
	next := &domain.Message{ID: domain.NewID(), ConversationID: "c1", Author: domain.Author{Type: domain.AuthorVisitor, ID: "v1"},
		Body: "fourthword", ClientMsgID: "x4", CreatedAt: time.Now()}
	if stored, created, err := s.AppendMessage(ctx, next); err != nil || !created || stored.Seq != 4 {
		t.Fatalf("a new message after the repeat: %+v, created %v, %v; want seq 4", stored, created, err)
	}

	// The history search covers closed conversations. The third and fourth messages, past the
	// watermark, are indexed now; an edit of the first reindexes it.
	execAll(t, db, `UPDATE messages SET body = 'editedword' WHERE id = 'm1'`, `UPDATE conversations SET status = 'closed' WHERE id = 'c1'`)
	search := func(word string) int {
		t.Helper()
		hits, err := s.SearchHistory(ctx, store.HistoryFilter{AccountIDs: []string{"a1"}, Words: []string{word}})
		if err != nil {
			t.Fatal(err)
		}
		return len(hits)
	}
	for word, want := range map[string]int{"thirdword": 1, "fourthword": 1, "editedword": 1, "firstword": 0, "secondword": 1} {
		if n := search(word); n != want {
			t.Errorf("search for %s: %d conversations, want %d", word, n, want)
		}
	}
}
