package sqlstore

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// Preparing a statement is a large part of a small query's cost in SQLite (about a third of
// the CPU under message load, measured with portico bench), so backends that say so get their
// statements prepared once and reused. PostgreSQL's driver caches its own.

// StatementPreparer is implemented by a Dialect whose statements are worth keeping prepared.
type StatementPreparer interface {
	PrepareStatements() bool
}

// maxCachedStatements bounds the cache: queries built with a variable number of placeholders
// (IN lists, search filters) beyond it simply run unprepared.
const maxCachedStatements = 512

type statementCache struct {
	mu      sync.Mutex
	byDB    map[*sql.DB]map[string]*sql.Stmt
	pending map[string]bool // met first inside a transaction
	closed  bool
}

// runner is what a prepared statement and a plain connection or transaction both offer, with
// the query text as the first argument (a prepared statement ignores it).
type runner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type stmtRunner struct{ st *sql.Stmt }

func (r stmtRunner) ExecContext(ctx context.Context, _ string, args ...any) (sql.Result, error) {
	return r.st.ExecContext(ctx, args...)
}

func (r stmtRunner) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return r.st.QueryContext(ctx, args...)
}

func (r stmtRunner) QueryRowContext(ctx context.Context, _ string, args ...any) *sql.Row {
	return r.st.QueryRowContext(ctx, args...)
}

// prepared returns a runner for the query on q: a cached prepared statement where the dialect
// wants them, else q itself. A transaction holds the only write connection, so a statement it
// has not met before cannot be prepared while it runs: it is remembered and prepared afterwards.
func (s *Store) prepared(ctx context.Context, q querier, query string) runner {
	if p, ok := s.dialect.(StatementPreparer); !ok || !p.PrepareStatements() {
		return q
	}
	query = s.rebind(query)
	switch x := q.(type) {
	case *sql.DB:
		if st := s.stmts.get(ctx, x, query); st != nil {
			return stmtRunner{st}
		}
	case *sql.Tx:
		if st := s.stmts.lookup(s.write, query); st != nil {
			return stmtRunner{x.StmtContext(ctx, st)}
		}
		s.stmts.prepareLater(query)
	}
	return q
}

// lookup returns the statement already prepared for query on db, or nil.
func (c *statementCache) lookup(db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byDB[db][query]
}

// prepareLater remembers a query met inside a transaction, to be prepared once the transaction ends.
func (c *statementCache) prepareLater(query string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[string]bool{}
	}
	if len(c.pending) < maxCachedStatements {
		c.pending[query] = true
	}
}

// prepareDeferred prepares on db the queries transactions met for the first time.
func (c *statementCache) prepareDeferred(ctx context.Context, db *sql.DB) {
	c.mu.Lock()
	pending := c.pending
	c.pending = nil
	c.mu.Unlock()
	for query := range pending {
		c.get(ctx, db, query)
	}
}

// get returns the statement for query on db, preparing it on first use. The lock is not held
// while preparing: preparing waits for a connection, and the holder of that connection may
// itself be waiting for the lock.
func (c *statementCache) get(ctx context.Context, db *sql.DB, query string) *sql.Stmt {
	c.mu.Lock()
	st, full := c.byDB[db][query], len(c.byDB[db]) >= maxCachedStatements
	closed := c.closed
	c.mu.Unlock()
	if st != nil || full || closed {
		return st
	}
	// Prepared outside any caller's deadline: the statement outlives the request.
	st, err := db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil // the query then runs unprepared and reports its own error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		st.Close()
		return nil
	}
	if existing := c.byDB[db][query]; existing != nil {
		st.Close() // another caller prepared it first
		return existing
	}
	if c.byDB == nil {
		c.byDB = map[*sql.DB]map[string]*sql.Stmt{}
	}
	if c.byDB[db] == nil {
		c.byDB[db] = map[string]*sql.Stmt{}
	}
	c.byDB[db][query] = st
	return st
}

func (c *statementCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, m := range c.byDB {
		for _, st := range m {
			st.Close()
		}
	}
	c.byDB = nil
}

// rebindCache keeps each query's text in the backend's placeholders, worked out once: the
// busiest queries are long and run thousands of times a second.
type rebindCache struct {
	m sync.Map // query → rebound query
	n atomic.Int64
}

func (s *Store) rebind(query string) string {
	if q, ok := s.rebinds.m.Load(query); ok {
		return q.(string)
	}
	q := s.dialect.Rebind(query)
	// Bounded like the statement cache: queries built with a variable number of placeholders
	// beyond it are rebound each time.
	if s.rebinds.n.Add(1) <= 4*maxCachedStatements {
		s.rebinds.m.Store(query, q)
	}
	return q
}
