package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/store"
)

// The busiest writes (page views and messages) are group-committed: one goroutine runs whatever
// writes arrived while the previous transaction ran, in one transaction, and then tells each
// caller how its write went. Nothing waits for a timer, so a lone write is committed at once;
// under load one commit carries many. A write that fails fails alone, and each caller returns
// only after its write is committed.
const maxGroupCommit = 256

type groupWrite struct {
	ctx context.Context
	// key orders the writes of a batch (the visitor of a page view, the conversation of a
	// message): every node's batches then lock rows in the same order, so two nodes writing
	// page views of the same visitors cannot deadlock in PostgreSQL. Writes with one key keep
	// the order they arrived in.
	key   string
	steps []Step
	done  chan error
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
	return s.inGroup(ctx, in.VisitorID, pageViewSteps(in))
}

// inGroup runs the steps in the next group transaction and waits for its commit.
func (s *Store) inGroup(ctx context.Context, key string, steps []Step) error {
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
	req := &groupWrite{ctx: ctx, key: key, steps: steps, done: make(chan error, 1)}
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
	// The writer also fills the search index, where the dialect needs it: it holds the one write
	// connection anyway. Once the index is due, it indexes a chunk whenever it has no writes
	// waiting and after every group commit, until the queue of messages is empty: a write waits
	// behind one chunk at most, and under load the index still keeps up.
	var indexDue <-chan time.Time
	if _, ok := s.dialect.(MessageIndexer); ok {
		tick := time.NewTicker(indexEvery)
		defer tick.Stop()
		indexDue = tick.C
	}
	indexing := false
	for {
		batch = batch[:0]
		if indexing {
			select {
			case <-g.quit:
				return
			case req := <-g.queue:
				batch = append(batch, req)
			default:
				indexing = s.indexNextChunk()
				continue
			}
		} else {
			select {
			case <-g.quit:
				return
			case <-indexDue:
				indexing = true
				continue
			case req := <-g.queue:
				batch = append(batch, req)
			}
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
		if indexing {
			indexing = s.indexNextChunk()
		}
	}
}

// commitGroup writes a batch in one transaction: in one round trip where the dialect pipelines
// (PostgreSQL), else statement after statement (SQLite, in process). A write the database refuses
// rolls the batch back; each write is then run again on its own, so that it fails alone. Writes
// are written so that this is rare: an expected refusal (a closed conversation, a repeated client
// id) changes nothing and raises no error. There is no savepoint for each write: a savepoint costs
// statements of its own, for a refusal that should not happen.
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
	commit := s.commitInTx
	if p, ok := s.dialect.(Pipeliner); ok {
		commit = func(steps []Step) (bool, error) {
			defer s.timed("write", s.write)()
			err := p.Pipeline(context.Background(), s.write, s.rebound(steps))
			if err == nil {
				s.commits.Add(1)
			}
			return errors.Is(err, ErrRolledBack), err
		}
	}
	rolledBack, err := s.commitWrites(commit, live)
	if rolledBack && len(live) > 1 {
		for i, req := range live {
			_, err := s.commitWrites(commit, live[i:i+1])
			req.done <- err
		}
		return
	}
	for _, req := range live {
		req.done <- err
	}
}

// commitWrites commits the steps of the writes in one go and gives each write's steps back their
// outcome.
func (s *Store) commitWrites(commit func([]Step) (bool, error), writes []*groupWrite) (rolledBack bool, err error) {
	if len(writes) == 1 {
		return commit(writes[0].steps)
	}
	n := 0
	for _, w := range writes {
		n += len(w.steps)
	}
	all := make([]Step, 0, n)
	for _, w := range writes {
		all = append(all, w.steps...)
	}
	rolledBack, err = commit(all)
	off := 0
	for _, w := range writes {
		off += copy(w.steps, all[off:off+len(w.steps)])
	}
	return rolledBack, err
}

// commitInTx runs the steps in one transaction. In process, a failed transaction is always
// rolled back, so its outcome is never unknown.
func (s *Store) commitInTx(steps []Step) (rolledBack bool, err error) {
	ctx := context.Background()
	err = s.inTx(ctx, func(tx *sql.Tx) error { return s.runSteps(ctx, tx, steps) })
	return err != nil, err
}
