package sqlstore

import (
	"context"
	"database/sql"
	"sync"

	"github.com/portico/portico/internal/store"
)

// Page views are the busiest writes (every page of every visitor), so they are group-committed:
// one goroutine writes whatever page views arrived while the previous transaction ran, in one
// transaction, and then tells each caller. Nothing waits for a timer, so a lone page view is
// written at once; under load a commit carries many. Each caller still returns only after its
// page view is committed.
const maxPageViewBatch = 256

type pageViewRequest struct {
	ctx  context.Context
	in   store.PageViewInput
	done chan error
}

type pageViewBatcher struct {
	start    sync.Once
	stopped  sync.Once
	queue    chan *pageViewRequest
	quit     chan struct{}
	finished chan struct{}
}

// RecordPageView stores a page view, committed before it returns.
func (s *Store) RecordPageView(ctx context.Context, in store.PageViewInput) error {
	b := &s.views
	b.start.Do(func() {
		b.queue = make(chan *pageViewRequest, 4*maxPageViewBatch)
		b.quit = make(chan struct{})
		b.finished = make(chan struct{})
		go s.writePageViews()
	})
	if b.queue == nil { // closed before the first page view
		return sql.ErrConnDone
	}
	req := &pageViewRequest{ctx: ctx, in: in, done: make(chan error, 1)}
	select {
	case b.queue <- req:
	case <-b.quit:
		return sql.ErrConnDone
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// stop ends the writer; a store may be closed more than once.
func (b *pageViewBatcher) stop() {
	b.stopped.Do(func() {
		// A store closed before its first page view never started the writer; starting the
		// once here keeps a late RecordPageView from starting it after the close.
		b.start.Do(func() {})
		if b.quit == nil {
			return
		}
		close(b.quit)
		<-b.finished
	})
}

func (s *Store) writePageViews() {
	b := &s.views
	defer close(b.finished)
	batch := make([]*pageViewRequest, 0, maxPageViewBatch)
	for {
		batch = batch[:0]
		select {
		case <-b.quit:
			return
		case req := <-b.queue:
			batch = append(batch, req)
		}
	more:
		for len(batch) < maxPageViewBatch {
			select {
			case req := <-b.queue:
				batch = append(batch, req)
			default:
				break more
			}
		}
		s.commitPageViews(batch)
	}
}

// commitPageViews writes a batch in one transaction. If that fails, each page view is retried
// alone, so one bad row (or a caller that gave up) cannot fail the others.
func (s *Store) commitPageViews(batch []*pageViewRequest) {
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
	ctx := context.Background()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, req := range live {
			if err := s.recordPageView(ctx, tx, req.in); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(live) == 1 {
		for _, req := range live {
			req.done <- err
		}
		return
	}
	for _, req := range live {
		req.done <- s.inTx(req.ctx, func(tx *sql.Tx) error { return s.recordPageView(req.ctx, tx, req.in) })
	}
}
