package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"

	"github.com/portico/portico/internal/store"
)

// The busiest writes (page views; messages where the dialect says so) are group-committed: one
// goroutine runs whatever writes arrived while the previous transaction ran, in one
// transaction, each inside its own savepoint, and then tells each caller how its write went.
// Nothing waits for a timer, so a lone write is committed at once; under load one commit
// carries many. A write that fails is rolled back to its savepoint and fails alone; each caller
// returns only after its write is committed.
const maxGroupCommit = 256

// GroupCommitter is implemented by a Dialect whose single writer gains from committing messages
// in groups (SQLite). A server with concurrent writers (PostgreSQL) writes each on its own.
type GroupCommitter interface {
	GroupCommitMessages() bool
}

type groupWrite struct {
	ctx context.Context
	// key orders the writes of a batch (the visitor of a page view, the conversation of a
	// message): every node's batches then lock rows in the same order, so two nodes writing
	// page views of the same visitors cannot deadlock in PostgreSQL. Writes with one key keep
	// the order they arrived in.
	key  string
	fn   func(tx *sql.Tx) error
	done chan error
}

type groupCommitter struct {
	start    sync.Once
	stopped  sync.Once
	queue    chan *groupWrite
	quit     chan struct{}
	finished chan struct{}
}

// RecordPageView stores a page view, committed before it returns.
func (s *Store) RecordPageView(ctx context.Context, in store.PageViewInput) error {
	return s.inGroup(ctx, in.VisitorID, func(tx *sql.Tx) error { return s.recordPageView(ctx, tx, in) })
}

// inGroup runs fn in the next group transaction and waits for its commit.
func (s *Store) inGroup(ctx context.Context, key string, fn func(tx *sql.Tx) error) error {
	g := &s.group
	g.start.Do(func() {
		g.queue = make(chan *groupWrite, 4*maxGroupCommit)
		g.quit = make(chan struct{})
		g.finished = make(chan struct{})
		go s.writeGroups()
	})
	if g.queue == nil { // closed before the first write
		return sql.ErrConnDone
	}
	req := &groupWrite{ctx: ctx, key: key, fn: fn, done: make(chan error, 1)}
	select {
	case g.queue <- req:
	case <-g.quit:
		return sql.ErrConnDone
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// The write may still commit; the caller retries with the same ids, which is safe.
		return ctx.Err()
	}
}

// stop ends the writer; a store may be closed more than once.
func (g *groupCommitter) stop() {
	g.stopped.Do(func() {
		// A store closed before its first write never started the writer; starting the once
		// here keeps a late write from starting it after the close.
		g.start.Do(func() {})
		if g.quit == nil {
			return
		}
		close(g.quit)
		<-g.finished
	})
}

func (s *Store) writeGroups() {
	g := &s.group
	defer close(g.finished)
	batch := make([]*groupWrite, 0, maxGroupCommit)
	for {
		batch = batch[:0]
		select {
		case <-g.quit:
			return
		case req := <-g.queue:
			batch = append(batch, req)
		}
	more:
		for len(batch) < maxGroupCommit {
			select {
			case req := <-g.queue:
				batch = append(batch, req)
			default:
				break more
			}
		}
		s.commitGroup(batch)
	}
}

// commitGroup writes a batch in one transaction. Where savepoints are cheap (SQLite, in
// process) each write has its own, so a refused write fails alone. Elsewhere a savepoint costs a
// round trip per write: the batch is written plainly, and if it fails each write is retried in a
// transaction of its own.
func (s *Store) commitGroup(batch []*groupWrite) {
	live := batch[:0:0]
	for _, req := range batch {
		if req.ctx.Err() != nil {
			req.done <- req.ctx.Err()
			continue
		}
		live = append(live, req)
	}
	if len(live) == 0 {
		return
	}
	slices.SortStableFunc(live, func(a, b *groupWrite) int { return strings.Compare(a.key, b.key) })
	errs := make([]error, len(live))
	savepoints := len(live) > 1 && s.groupCommitsMessages()
	err := s.inTx(context.Background(), func(tx *sql.Tx) error {
		for i, req := range live {
			if !savepoints {
				if errs[i] = req.fn(tx); errs[i] != nil {
					return errs[i]
				}
				continue
			}
			if _, err := tx.Exec(`SAVEPOINT group_write`); err != nil {
				return err
			}
			errs[i] = req.fn(tx)
			if errs[i] != nil {
				if _, err := tx.Exec(`ROLLBACK TO SAVEPOINT group_write`); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(`RELEASE SAVEPOINT group_write`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !savepoints && len(live) > 1 {
		for _, req := range live {
			req.done <- s.inTx(req.ctx, req.fn)
		}
		return
	}
	for i, req := range live {
		if err != nil {
			errs[i] = err
		}
		req.done <- errs[i]
	}
}

func (s *Store) groupCommitsMessages() bool {
	g, ok := s.dialect.(GroupCommitter)
	return ok && g.GroupCommitMessages()
}
