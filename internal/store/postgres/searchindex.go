package postgres

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico/portico/internal/store/sqlstore"
)

// The full-text index of messages (GIN, migration 0004) takes each new message's words into a
// pending list. Left alone, the insert that finds the list over gin_pending_list_limit (4 MB,
// about 40,000 messages) merges it into the index inside its own transaction: the group commit
// carrying that message held every message of the node for 130–260 ms on the benchmark machine,
// and longer as the index grows. Each node merges the list every second instead, on a connection
// of its pool and outside any write, so that an insert only ever appends to a short list. (An
// index without the list, fastupdate = off, has no pause but makes every insert slower.) A node
// that has committed nothing since its last merge has added nothing to the list and skips its
// turn: an idle installation sends no query a second, and of several nodes only those that
// write merge. The first turn always merges, for what a node stopped mid-second left behind.
const cleanSearchPendingEvery = time.Second

// Nodes that write all merge once a second, and their merges fell in step: one waited for the
// other's to end (a lock on the index's metapage), holding a connection of its pool for the
// other's 5 ms and then merging a list just emptied. A merge first takes this advisory lock for
// its transaction; a node that finds it taken skips its turn, and merges at its next turn
// whatever the other left.
const mergeSearchPendingLock = 0x706f727469636f01 // "portico" 1

// mergeSearchPending merges the list and returns the pages it emptied, or no row when another
// node holds the lock.
const mergeSearchPending = `SELECT gin_clean_pending_list('messages_body_fts'::regclass) WHERE pg_try_advisory_xact_lock($1)`

// cleanSearchPendingList merges the pending list every cleanSearchPendingEvery, when the store
// has committed anything since the last merge, until the returned stop is called; each merge is
// timed as "index" on /metrics.
func cleanSearchPendingList(s *sqlstore.Store, db *sql.DB) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(cleanSearchPendingEvery)
		defer tick.Stop()
		failing := false
		mergedAfter, merged := uint64(0), false // the store's commits when the last merge began
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			commits := s.Commits()
			if merged && commits == mergedAfter {
				continue
			}
			finished := s.Timed("index")
			var pages int64
			err := db.QueryRowContext(ctx, mergeSearchPending, int64(mergeSearchPendingLock)).Scan(&pages)
			if errors.Is(err, sql.ErrNoRows) {
				continue // another node holds the lock: its merge is not this node's to time
			}
			finished()
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
				continue // the index's migration has not run yet
			}
			if err != nil && !failing && ctx.Err() == nil {
				slog.Warn("search index: its pending list was not merged, will retry", "err", err)
			}
			failing = err != nil
			mergedAfter, merged = commits, !failing
		}
	}()
	return func() error {
		cancel()
		<-done
		return nil
	}
}
