package sqlstore_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/sqlstore"
	"github.com/portico/portico/internal/testutil"
)

// watchedContext counts the askings for its Done channel: database/sql and the SQLite driver
// ask for it to start a goroutine that watches it while a statement runs.
type watchedContext struct {
	context.Context
	asked atomic.Int32
}

func (c *watchedContext) Done() <-chan struct{} {
	c.asked.Add(1)
	return c.Context.Done()
}

// keyReads are the reads by a unique key on the path of every message and request.
func keyReads(t testing.TB, s store.Store) map[string]func(context.Context) error {
	t.Helper()
	ctx := context.Background()
	seeded := testutil.SeedChats(t, s, 1)
	now := time.Now()
	op := &domain.Operator{ID: domain.NewID(), AccountID: seeded.Account.ID, Email: "ann@example.com", Name: "Ann",
		Role: domain.RoleAdmin, Status: domain.StatusOnline, PasswordHash: "x", CreatedAt: now}
	if err := s.CreateOperator(ctx, op); err != nil {
		t.Fatal(err)
	}
	sess := &domain.Session{TokenHash: domain.NewSecret(16), OperatorID: op.ID, CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	return map[string]func(context.Context) error{
		"VisitorByTokenHash": func(ctx context.Context) error {
			_, err := s.VisitorByTokenHash(ctx, seeded.Visitor.TokenHash)
			return err
		},
		"ReturningVisitor": func(ctx context.Context) error {
			_, _, err := s.ReturningVisitor(ctx, seeded.Visitor.TokenHash)
			return err
		},
		"ConversationAccess": func(ctx context.Context) error {
			_, err := s.ConversationAccess(ctx, seeded.Conversations[0].ID)
			return err
		},
		"VisitorAndConversationAccess": func(ctx context.Context) error {
			_, _, err := s.VisitorAndConversationAccess(ctx, seeded.Visitor.TokenHash, seeded.Conversations[0].ID)
			return err
		},
		"SessionByTokenHash": func(ctx context.Context) error {
			_, _, err := s.SessionByTokenHash(ctx, sess.TokenHash, time.Now())
			return err
		},
	}
}

// A read by key under a request's context does not have the context watched, and a context
// that has already ended still stops it.
func TestKeyReadsDoNotWatchTheContext(t *testing.T) {
	reads := keyReads(t, testutil.OpenSQLite(t))
	for name, read := range reads {
		live, cancel := context.WithCancel(context.Background())
		ctx := &watchedContext{Context: live}
		if err := read(ctx); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if n := ctx.asked.Load(); n != 0 {
			t.Errorf("%s asked for the context's Done channel %d times, want a read that does not watch it", name, n)
		}
		cancel()
		if err := read(live); !errors.Is(err, context.Canceled) {
			t.Errorf("%s under an ended context: err = %v, want context.Canceled", name, err)
		}
	}
}

// In process the reads by key run on the write connection, whose page cache no other
// connection's commit empties: they wait for a write transaction in progress.
func TestKeyReadsUseTheWriteConnection(t *testing.T) {
	s := testutil.OpenSQLite(t).(*sqlstore.Store)
	reads := keyReads(t, s)
	for name, read := range reads {
		release := s.HoldWriteConnection()
		done := make(chan error, 1)
		go func() { done <- read(context.Background()) }()
		early := false
		select {
		case err := <-done:
			t.Errorf("%s returned (err %v) while a transaction held the write connection", name, err)
			early = true
		case <-time.After(50 * time.Millisecond):
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
		if early {
			continue
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s still waiting 10 s after the write connection was free", name)
		}
	}
}

// BenchmarkKeyReads times what a visitor's page of messages reads before the messages under a
// request's context: the visitor by token and the conversation's access, as two reads and as
// one.
//
//	go test ./internal/store/sqlstore -run XXX -bench KeyReads
func BenchmarkKeyReads(b *testing.B) {
	for _, backend := range testutil.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			reads := keyReads(b, backend.Open(b))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for _, way := range []struct {
				name  string
				reads []string
			}{
				{"two reads", []string{"VisitorByTokenHash", "ConversationAccess"}},
				{"one read", []string{"VisitorAndConversationAccess"}},
			} {
				b.Run(way.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						for _, name := range way.reads {
							if err := reads[name](ctx); err != nil {
								b.Fatal(err)
							}
						}
					}
				})
			}
		})
	}
}
