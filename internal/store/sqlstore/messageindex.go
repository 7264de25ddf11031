package sqlstore

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// MessageIndexer is a Dialect whose full-text index of messages is filled a batch at a time: a
// new message waits past the last one indexed, and the store indexes the waiting ones every
// indexEvery by the group writer (once the store has written its first message or page view),
// and before every search, so a search never misses a stored message.
type MessageIndexer interface {
	// IndexWaiting returns the statements, run in one transaction, that index at most as many
	// waiting messages as their one argument says (-1: all of them) and mark them indexed. The
	// first one's count of changed rows is how many were indexed.
	IndexWaiting() []string
}

const (
	indexEvery = time.Second
	// indexChunk bounds what the group writer indexes between two group commits. Indexing
	// costs about 10 µs a message on SQLite; a second's messages at once held every write behind
	// it for 10–40 ms at 1,000 messages/s, while a chunk holds them for about a millisecond.
	indexChunk = 128
	allWaiting = -1
)

// indexWaitingMessages indexes up to limit messages (allWaiting: every one) waiting for the
// search index, and says how many it indexed.
func (s *Store) indexWaitingMessages(ctx context.Context, limit int) (int, error) {
	ix, ok := s.dialect.(MessageIndexer)
	if !ok {
		return 0, nil
	}
	queries := ix.IndexWaiting()
	steps := make([]Step, 0, len(queries))
	for _, q := range queries {
		steps = append(steps, Step{Query: q, Args: []any{limit}})
	}
	// Timed on its own: the group writer's writes wait for a chunk as they wait for a commit.
	if err := s.timedTx(ctx, "index", func(tx *sql.Tx) error { return s.runSteps(ctx, tx, steps) }); err != nil {
		return 0, err
	}
	return int(steps[0].Rows), nil
}

// indexNextChunk is the group writer's share of the indexing: one chunk. It says whether more
// may be waiting.
func (s *Store) indexNextChunk() bool {
	moved, err := s.indexWaitingMessages(context.Background(), indexChunk)
	if err != nil {
		slog.Warn("search index: messages not indexed yet, will retry", "err", err)
		return false
	}
	return moved == indexChunk
}
