package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/postgres"
	"github.com/portico/portico/internal/store/sqlstore"
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

// A node merges the search index's pending list in the background: once a merge has run after
// the last message, nothing is left for the insert that would otherwise find the list full
// and merge it inside a group commit (searchindex.go).
func TestSearchPendingListMergedInTheBackground(t *testing.T) {
	url := testutil.PostgresURL(t)
	s := open(t, url).(*sqlstore.Store)
	merges := watchMerges(s)
	appendMessages(t, s, 200)
	written := time.Now()
	if !merges.startedAfter(written, 30*time.Second) {
		t.Fatal("no merge of the search index's pending list ran in 30 s after the messages")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var pages int
	if err := db.QueryRow(`SELECT gin_clean_pending_list('messages_body_fts'::regclass)`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != 0 {
		t.Fatalf("the pending list still had %d pages after a background merge", pages)
	}
}

// A node that writes nothing has nothing to merge: after its first turn it sends no query a
// second, and it merges again once it has written.
func TestSearchPendingListLeftAloneWhileIdle(t *testing.T) {
	s := open(t, testutil.PostgresURL(t)).(*sqlstore.Store)
	merges := watchMerges(s)
	if !merges.startedAfter(time.Time{}, 30*time.Second) {
		t.Fatal("the first merge did not run in 30 s")
	}
	before := merges.count()
	time.Sleep(3 * time.Second) // three turns
	if idle := merges.count() - before; idle != 0 {
		t.Fatalf("%d merges ran in 3 s with nothing written", idle)
	}
	appendMessages(t, s, 1)
	if !merges.startedAfter(time.Now(), 30*time.Second) {
		t.Fatal("no merge ran in 30 s after a message")
	}
}

// mergeWatch records when each merge of the pending list started.
type mergeWatch struct {
	mu      sync.Mutex
	started []time.Time
}

func watchMerges(s *sqlstore.Store) *mergeWatch {
	w := &mergeWatch{}
	s.Observe(func(kind string, start time.Time) {
		if kind == "index" {
			w.mu.Lock()
			w.started = append(w.started, start)
			w.mu.Unlock()
		}
	})
	return w
}

func (w *mergeWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.started)
}

func (w *mergeWatch) lastStarted() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.started) == 0 {
		return time.Time{}
	}
	return w.started[len(w.started)-1]
}

// startedAfter waits up to wait for a merge that started after t.
func (w *mergeWatch) startedAfter(t time.Time, wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if w.lastStarted().After(t) {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// appendMessages writes n messages into a new conversation, each committed on its own.
func appendMessages(t *testing.T, s *sqlstore.Store, n int) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Acme", Key: "k_" + domain.NewSecret(8), CreatedAt: now}
	v := &domain.Visitor{ID: domain.NewID(), AccountID: acc.ID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
	c := &domain.Conversation{ID: domain.NewID(), AccountID: acc.ID, VisitorID: v.ID, CreatedAt: now}
	first := &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID}, Body: "hello", ClientMsgID: "first", CreatedAt: now}
	for _, step := range []func() error{
		func() error { return s.CreateAccount(ctx, acc) },
		func() error { return s.CreateVisitor(ctx, v) },
		func() error { return s.CreateConversation(ctx, c, first) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		m := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID},
			Body: fmt.Sprintf("is the flat on floor %d still free, word%d", i, i), ClientMsgID: fmt.Sprint("m", i), CreatedAt: time.Now().UTC()}
		if _, _, err := s.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
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

// claimedChat is a conversation claimed by an operator who holds a session.
type claimedChat struct {
	account      *domain.Account
	operator     *domain.Operator
	visitor      *domain.Visitor
	conversation *domain.Conversation
	session      *domain.Session
}

// newClaimedChat makes a claimedChat on a fresh database, with a connection of the test's own to
// it.
func newClaimedChat(t *testing.T) (store.Store, *sql.DB, claimedChat) {
	t.Helper()
	ctx := context.Background()
	url := testutil.PostgresURL(t)
	s := open(t, url)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Acme", Key: "k_" + domain.NewSecret(8), CreatedAt: now}
	op := &domain.Operator{ID: domain.NewID(), AccountID: acc.ID, Email: domain.NewSecret(6) + "@example.com", Name: "Agent",
		Role: domain.RoleAgent, Status: domain.StatusOffline, PasswordHash: "x", CreatedAt: now}
	v := &domain.Visitor{ID: domain.NewID(), AccountID: acc.ID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
	c := &domain.Conversation{ID: domain.NewID(), AccountID: acc.ID, VisitorID: v.ID, CreatedAt: now}
	first := &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID}, Body: "hello", ClientMsgID: "first", CreatedAt: now}
	sess := &domain.Session{TokenHash: domain.NewSecret(16), OperatorID: op.ID, CSRFToken: "csrf", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	for _, step := range []func() error{
		func() error { return s.CreateAccount(ctx, acc) },
		func() error { return s.CreateOperator(ctx, op) },
		func() error { return s.CreateVisitor(ctx, v) },
		func() error { return s.CreateConversation(ctx, c, first) },
		func() error { _, err := s.ClaimConversation(ctx, c.ID, op.ID, now); return err },
		func() error { return s.CreateSession(ctx, sess) },
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	return s, db, claimedChat{account: acc, operator: op, visitor: v, conversation: c, session: sess}
}

// A message locks its conversation's row without changing it, so that the one update of the
// row (last_seq) finds a row no earlier statement of its transaction changed and PostgreSQL
// skips the foreign-key checks of its unchanged keys. Each check locks the row it finds: a
// message that ran them would leave its transaction's lock on the conversation's account,
// visitor and owner (three reads a message, about a tenth of PostgreSQL's time in the bench's
// messaging phase).
func TestAMessageRunsNoForeignKeyCheckOfItsConversation(t *testing.T) {
	ctx := context.Background()
	s, db, chat := newClaimedChat(t)
	lockers := func() []string {
		var account, visitor, owner string
		err := db.QueryRowContext(ctx, `SELECT (SELECT xmax::text FROM accounts WHERE id = $1), (SELECT xmax::text FROM visitors WHERE id = $2),
			(SELECT xmax::text FROM operators WHERE id = $3)`, chat.account.ID, chat.visitor.ID, chat.operator.ID).Scan(&account, &visitor, &owner)
		if err != nil {
			t.Fatal(err)
		}
		return []string{account, visitor, owner}
	}
	before := lockers()
	now := time.Now().UTC()
	visitorSaid := &domain.Message{ID: domain.NewID(), ConversationID: chat.conversation.ID,
		Author: domain.Author{Type: domain.AuthorVisitor, ID: chat.visitor.ID}, Body: "anyone there?", ClientMsgID: "v2", CreatedAt: now}
	if res, err := s.AppendVisitorMessage(ctx, visitorSaid); err != nil || !res.Created {
		t.Fatalf("visitor's message: %+v, %v", res, err)
	}
	operatorSaid := &domain.Message{ID: domain.NewID(), ConversationID: chat.conversation.ID,
		Author: domain.Author{Type: domain.AuthorOperator}, Body: "yes", ClientMsgID: "o1", CreatedAt: now}
	if res, err := s.AppendOperatorMessage(ctx, operatorSaid, store.SessionProof{TokenHash: chat.session.TokenHash, Now: now}); err != nil || !res.Created {
		t.Fatalf("operator's message: %+v, %v", res, err)
	}
	if after := lockers(); !slices.Equal(after, before) {
		t.Fatalf("the messages' transactions locked the conversation's account, visitor and owner (xmax %v, before %v): they ran foreign-key checks", after, before)
	}
	got, err := s.ConversationByID(ctx, chat.conversation.ID)
	if err != nil || got.LastSeq != 3 {
		t.Fatalf("conversation after two messages: %+v, %v; want last_seq 3", got, err)
	}
}

// A session that ends while its operator's message waits for the conversation's lock leaves no
// gap: the message's one statement checks the sender as it was when the message was sent (its
// snapshot is taken before the wait), takes the seq after the locked row's last_seq, and moves
// last_seq to the seq the message took; and it comes back with its sender, read before the
// write. (When the sender was checked by each of several statements, the waiting first one still
// saw the session and advanced last_seq, and the later ones neither stored the message nor gave
// the seq back: a gap.)
func TestSessionEndingMidMessageLeavesNoGap(t *testing.T) {
	ctx := context.Background()
	s, db, chat := newClaimedChat(t)
	c, sess := chat.conversation, chat.session

	// Another transaction holds the conversation's row while the message is sent.
	other, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.ExecContext(ctx, `UPDATE conversations SET last_seq = last_seq WHERE id = $1`, c.ID); err != nil {
		t.Fatal(err)
	}
	sent := make(chan *store.AppendResult, 1)
	failed := make(chan error, 1)
	go func() {
		m := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorOperator},
			Body: "answer", ClientMsgID: "a1", CreatedAt: time.Now().UTC()}
		res, err := s.AppendOperatorMessage(ctx, m, store.SessionProof{TokenHash: sess.TokenHash, Now: time.Now().UTC()})
		if err != nil {
			failed <- err
			return
		}
		sent <- res
	}()
	waitForLockWait(t, db)
	// The session ends (a sign-out elsewhere) and the row is let go.
	if _, err := other.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, sess.TokenHash); err != nil {
		t.Fatal(err)
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-failed:
		t.Fatal(err)
	case res := <-sent:
		if !res.Created || res.Message == nil || res.Message.Seq != 2 {
			t.Fatalf("the message sent while its session was live: %+v, want it stored as seq 2", res)
		}
		// The session is read before the write: a stored message comes back with its sender,
		// or the service could not announce it.
		if res.Operator == nil || res.Operator.ID != chat.operator.ID {
			t.Fatalf("a stored message came back without its sender: %+v", res)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the message still waits 30 s after the row was let go")
	}
	got, err := s.ConversationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var stored, maxSeq int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(seq) FROM messages WHERE conversation_id = $1`, c.ID).Scan(&stored, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if got.LastSeq != 2 || stored != 2 || maxSeq != 2 {
		t.Fatalf("last_seq %d with %d messages up to seq %d, want 2, 2 and 2", got.LastSeq, stored, maxSeq)
	}
}

// waitForLockWait returns once some statement on the database waits for a lock.
func waitForLockWait(t *testing.T, db *sql.DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var waiting int
		if err := db.QueryRow(`SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no statement waited for the held row within 30 s")
}

// Of two nodes, one merges the pending list while the other holds the merge's lock: it skips its
// turns instead of waiting for the other's merge, and merges once the lock is free.
func TestSearchPendingListMergeSkippedWhileAnotherNodeMerges(t *testing.T) {
	url := testutil.PostgresURL(t)
	s := open(t, url).(*sqlstore.Store)
	merges := watchMerges(s)
	if !merges.startedAfter(time.Time{}, 30*time.Second) {
		t.Fatal("the first merge did not run in 30 s")
	}
	other, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	otherNode, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer otherNode.Close()
	if _, err := otherNode.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(postgres.MergeSearchPendingLock)); err != nil {
		t.Fatal(err)
	}
	held := time.Now()
	appendMessages(t, s, 50)
	time.Sleep(3 * time.Second) // three turns
	if merges.lastStarted().After(held) {
		t.Fatal("a merge ran while another node held the merge's lock")
	}
	if _, err := otherNode.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, int64(postgres.MergeSearchPendingLock)); err != nil {
		t.Fatal(err)
	}
	if !merges.startedAfter(held, 30*time.Second) {
		t.Fatal("no merge ran in 30 s after the lock was released")
	}
	var pages int
	if err := other.QueryRow(`SELECT gin_clean_pending_list('messages_body_fts'::regclass)`).Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if pages != 0 {
		t.Fatalf("the pending list still had %d pages after the merge", pages)
	}
}
