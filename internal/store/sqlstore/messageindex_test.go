package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store/sqlstore"
	"github.com/portico/portico/internal/testutil"
)

// The search index is filled a bounded chunk at a time, so that the writes queued behind the
// indexing wait for one chunk, not for a whole backlog; a search still takes every message.
func TestIndexWaitingMessagesTakesAChunk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := testutil.OpenSQLiteAt(t, dir).(*sqlstore.Store)
	seeded := testutil.SeedChats(t, s, 1)
	v, c := seeded.Visitor, seeded.Conversations[0]

	// The backlog is written beside the store, so that its own writer (which also indexes)
	// never starts and every chunk moved is the test's.
	db := testutil.OpenSQLiteFile(t, dir)
	const backlog = 300
	for i := 1; i <= backlog; i++ {
		if _, err := db.Exec(`INSERT INTO messages (id, conversation_id, seq, author_type, author_id, body, client_msg_id, created_at)
			VALUES (?, ?, ?, 'visitor', ?, ?, ?, 0)`, domain.NewID(), c.ID, i+1, v.ID, fmt.Sprintf("backlog note%d", i), fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(query string) int { t.Helper(); return testutil.Count(t, db, query) }
	if n := count(testutil.SQLiteMessagesNotIndexed); n != backlog+1 {
		t.Fatalf("%d messages waiting for the index, want %d", n, backlog+1)
	}

	moved, err := s.IndexWaitingMessages(ctx, 128)
	if err != nil {
		t.Fatal(err)
	}
	if moved != 128 {
		t.Fatalf("one chunk moved %d messages, want 128", moved)
	}
	if n := count(testutil.SQLiteMessagesNotIndexed); n != backlog+1-128 {
		t.Fatalf("%d still waiting after a chunk, want %d", n, backlog+1-128)
	}
	if n := count(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'backlog OR hello'`); n != 128 {
		t.Fatalf("%d messages indexed by a chunk of 128", n)
	}

	if moved, err = s.IndexWaitingMessages(ctx, -1); err != nil {
		t.Fatal(err)
	}
	if moved != backlog+1-128 {
		t.Fatalf("the rest moved %d messages, want %d", moved, backlog+1-128)
	}
	if n := count(testutil.SQLiteMessagesNotIndexed); n != 0 {
		t.Fatalf("%d still waiting after indexing all", n)
	}
	if n := count(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'backlog'`); n != backlog {
		t.Fatalf("%d backlog messages indexed, want each of the %d once", n, backlog)
	}
	if n := count(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH 'note77'`); n != 1 {
		t.Fatalf("note77 indexed %d times, want once", n)
	}
}

// An edited message is indexed with its new body, whether the index had taken it already or not,
// and a deleted last message does not leave its rowid behind the watermark for the next one.
func TestSearchIndexFollowsEditsAndDeletes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := testutil.OpenSQLiteAt(t, dir).(*sqlstore.Store)
	seeded := testutil.SeedChats(t, s, 1)
	db := testutil.OpenSQLiteFile(t, dir)
	count := func(query string) int { t.Helper(); return testutil.Count(t, db, query) }
	matches := func(word string) int {
		t.Helper()
		return count(`SELECT COUNT(*) FROM messages_fts WHERE messages_fts MATCH '` + word + `'`)
	}
	insert := func(seq int, body string) {
		t.Helper()
		if _, err := db.Exec(`INSERT INTO messages (id, conversation_id, seq, author_type, author_id, body, client_msg_id, created_at)
			VALUES (?, ?, ?, 'visitor', ?, ?, ?, 0)`, domain.NewID(), seeded.Conversations[0].ID, seq, seeded.Visitor.ID, body, body); err != nil {
			t.Fatal(err)
		}
	}
	indexAll := func() {
		t.Helper()
		if _, err := s.IndexWaitingMessages(ctx, -1); err != nil {
			t.Fatal(err)
		}
	}

	insert(2, "firstdraft")
	indexAll()
	insert(3, "seconddraft")
	for _, edit := range []string{
		`UPDATE messages SET body = 'firstfinal' WHERE body = 'firstdraft'`,
		`UPDATE messages SET body = 'secondfinal' WHERE body = 'seconddraft'`,
	} {
		if _, err := db.Exec(edit); err != nil {
			t.Fatal(err)
		}
	}
	indexAll()
	for word, want := range map[string]int{"firstdraft": 0, "firstfinal": 1, "seconddraft": 0, "secondfinal": 1} {
		if n := matches(word); n != want {
			t.Errorf("%s indexed %d times after the edits, want %d", word, n, want)
		}
	}

	if _, err := db.Exec(`DELETE FROM messages WHERE body = 'secondfinal'`); err != nil {
		t.Fatal(err)
	}
	insert(3, "afterdelete")
	if n := count(testutil.SQLiteMessagesNotIndexed); n != 1 {
		t.Fatalf("%d messages waiting after the last one was deleted and another written, want 1", n)
	}
	indexAll()
	if n := matches("afterdelete"); n != 1 {
		t.Fatalf("the message written after a delete indexed %d times, want once", n)
	}
	if n := matches("secondfinal"); n != 0 {
		t.Fatalf("the deleted message is still indexed %d times", n)
	}
}
