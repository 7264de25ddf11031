package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// MessageIndexer is a Dialect whose full-text index of messages is filled a batch at a time: a
// new message waits in a queue table, and the store moves the waiting ones into the index every
// indexEvery once the store has written its first message or page view, and before every
// search, so a search never misses a stored message.
type MessageIndexer interface {
	// IndexWaiting returns the statements, run in one transaction, that index the waiting
	// messages and empty the queue.
	IndexWaiting() []string
}

const indexEvery = time.Second

type messageIndexer struct {
	stopped  sync.Once
	quit     chan struct{}
	finished chan struct{}
}

func (s *Store) startMessageIndexer() {
	if _, ok := s.dialect.(MessageIndexer); !ok {
		return
	}
	s.indexer.quit = make(chan struct{})
	s.indexer.finished = make(chan struct{})
	go func() {
		defer close(s.indexer.finished)
		tick := time.NewTicker(indexEvery)
		defer tick.Stop()
		for {
			select {
			case <-s.indexer.quit:
				return
			case <-tick.C:
				if err := s.indexWaitingMessages(context.Background()); err != nil {
					slog.Warn("search index: messages not indexed yet, will retry", "err", err)
				}
			}
		}
	}()
}

// stop ends the indexer; what is still waiting is indexed by the next start or search.
func (ix *messageIndexer) stop() {
	ix.stopped.Do(func() {
		if ix.quit != nil {
			close(ix.quit)
			<-ix.finished
		}
	})
}

// indexWaitingMessages moves the messages waiting for the search index into it.
func (s *Store) indexWaitingMessages(ctx context.Context) error {
	ix, ok := s.dialect.(MessageIndexer)
	if !ok {
		return nil
	}
	steps := make([]Step, 0, 2)
	for _, q := range ix.IndexWaiting() {
		steps = append(steps, Step{Query: q})
	}
	return s.inTx(ctx, func(tx *sql.Tx) error { return s.runSteps(ctx, tx, steps) })
}
