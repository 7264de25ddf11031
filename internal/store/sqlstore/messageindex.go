package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// MessageIndexer is a Dialect whose full-text index of messages is filled a batch at a time: a
// new message waits in a queue table, and the store moves the waiting ones into the index every
// indexEvery by the group writer (once the store has written its first message or page view),
// and before every search, so a search never misses a stored message.
type MessageIndexer interface {
	// IndexWaiting returns the statements, run in one transaction, that index the waiting
	// messages and empty the queue.
	IndexWaiting() []string
}

const indexEvery = time.Second

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
