// Package sqlstore implements store.Store over database/sql. The SQL is written once, with `?`
// placeholders; a Dialect from store/sqlite or store/postgres supplies what differs.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/domain"
)

// Dialect is what a backend adds to the shared SQL.
type Dialect interface {
	Name() string
	// Rebind turns `?` placeholders into the backend's own.
	Rebind(query string) string
	IsUniqueViolation(err error) bool
	// Migrations holds NNNN_name.sql files, applied in order, one transaction each.
	Migrations() fs.FS
	// TextSearch returns a query that selects (conversation_id, seq) of the messages whose body
	// holds every one of words (full-text, case-insensitive), with one `?` for arg.
	TextSearch(words []string) (query string, arg any)
}

// RowLocker is a Dialect whose write transactions run side by side (PostgreSQL): LockClause,
// after a SELECT, takes the write lock of the rows it reads. Such a dialect also runs
// data-modifying statements inside WITH (a message is written by one statement). A dialect
// without it runs one write transaction at a time (SQLite), which holds the whole database
// already.
type RowLocker interface {
	LockClause() string
}

// Store is the shared implementation. SQLite gets one writer connection and a pool of readers;
// PostgreSQL uses one pool for both.
type Store struct {
	write    *sql.DB
	read     *sql.DB
	dialect  Dialect
	stmts    statementCache
	rebinds  rebindCache
	accounts accountCache
	group    groupCommitter
	// observe is read by the SQLite checkpointer's goroutine, which may start before it is set.
	observe atomic.Pointer[func(kind string, start time.Time)]
	// commits counts the write transactions committed (every group commit among them).
	commits atomic.Uint64
	// closeFirst is what the backend runs before the store closes its connections, closeLast
	// what it runs after.
	closeFirst, closeLast func() error
	// messageWrites are the statements that append a message. On PostgreSQL the conversation's
	// row is locked, not updated, before the insert: a row the transaction has already changed
	// makes PostgreSQL check every foreign key of the row again at its next update (three reads
	// a message, for the message's own advance of last_seq).
	messageWrites messageWrites
}

// Observe sets the function told how long each read and write took (for metrics).
func (s *Store) Observe(fn func(kind string, start time.Time)) { s.observe.Store(&fn) }

// Commits says how many write transactions the store has committed so far: background work that
// only matters after a write (PostgreSQL's search-index merge) skips its turn while it is unchanged.
// The single statements outside a transaction (a new session, a settings change) are not counted.
func (s *Store) Commits() uint64 { return s.commits.Load() }

// Pools are the store's connection pools by name, for their statistics on /metrics. On SQLite
// "write" is the one write connection, which the reads by key share (byKey).
func (s *Store) Pools() map[string]*sql.DB {
	return map[string]*sql.DB{"write": s.write, "read": s.read}
}

// Timed starts timing an operation of the given kind and returns what ends it: for work the
// backend does on the store's connections besides reads and writes (SQLite's checkpoints).
func (s *Store) Timed(kind string) (done func()) {
	observe := s.observe.Load()
	if observe == nil {
		return func() {}
	}
	start := time.Now()
	return func() { (*observe)(kind, start) }
}

// timed times a statement made outside a transaction (a transaction is timed as a whole).
func (s *Store) timed(kind string, q querier) func() {
	if _, inTx := q.(*sql.Tx); inTx {
		return func() {}
	}
	return s.Timed(kind)
}

func New(write, read *sql.DB, d Dialect) *Store {
	lock := ""
	if l, ok := d.(RowLocker); ok {
		lock = l.LockClause()
	}
	return &Store{write: write, read: read, dialect: d, messageWrites: newMessageWrites(lock)}
}

// BeforeClose gives the store what its backend must stop once writes have stopped and before the
// connections close (a goroutine of its own that uses them).
func (s *Store) BeforeClose(fn func() error) { s.closeFirst = fn }

// AfterClose sets what the backend runs once the store's connections are closed.
func (s *Store) AfterClose(fn func() error) { s.closeLast = fn }

func (s *Store) Close() error {
	s.group.stop()
	var err error
	if s.closeFirst != nil {
		err = s.closeFirst()
		s.closeFirst = nil
	}
	s.stmts.close()
	err = errors.Join(err, s.write.Close())
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	if s.closeLast != nil {
		err = errors.Join(err, s.closeLast())
		s.closeLast = nil
	}
	return err
}

func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// querier is what *sql.DB and *sql.Tx share, so one helper serves inside and outside transactions.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// InProcess is implemented by a Dialect whose database runs inside this process (SQLite).
type InProcess interface {
	InProcess() bool
}

// byKey returns the context and the connection pool for a read by a unique key on the path of
// every message and request (the visitor or session behind a request, a conversation's access).
// In process (SQLite) the read runs:
//   - On the write connection. Each commit empties the page cache of every other connection, so
//     a read from the pool made after one reads its pages from the file again, and at 1,000
//     messages a second that is every read; the writer's own cache stays. The read waits for a
//     write in progress (about 0.1 ms), which the message it authenticates waits for anyway.
//     No transaction may make such a read: it holds the only write connection.
//   - Without watching the context: under one that can end, database/sql and the SQLite driver
//     each start a goroutine that watches it while a statement runs, a quarter of the time of
//     two such reads (BenchmarkKeyReads). The read is over long before a client's going away
//     would matter; a context that has already ended still stops it before it starts.
func (s *Store) byKey(ctx context.Context) (context.Context, *sql.DB) {
	if d, ok := s.dialect.(InProcess); !ok || !d.InProcess() {
		return ctx, s.read
	}
	if ctx.Err() != nil {
		return ctx, s.write
	}
	return context.WithoutCancel(ctx), s.write
}

func (s *Store) exec(ctx context.Context, q querier, query string, args ...any) (sql.Result, error) {
	defer s.timed("write", q)()
	return s.prepared(ctx, q, query).ExecContext(ctx, s.rebind(query), args...)
}

func (s *Store) query(ctx context.Context, q querier, query string, args ...any) (*sql.Rows, error) {
	defer s.timed("read", q)()
	return s.prepared(ctx, q, query).QueryContext(ctx, s.rebind(query), args...)
}

func (s *Store) queryRow(ctx context.Context, q querier, query string, args ...any) *sql.Row {
	defer s.timed("read", q)()
	return s.prepared(ctx, q, query).QueryRowContext(ctx, s.rebind(query), args...)
}

// inTx runs fn in a write transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.timedTx(ctx, "write", fn)
}

// timedTx is inTx with the kind its time is observed as.
func (s *Store) timedTx(ctx context.Context, kind string, fn func(tx *sql.Tx) error) error {
	defer s.Timed(kind)()
	defer s.stmts.prepareDeferred(ctx, s.write)
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.commits.Add(1)
	return nil
}

// Migrate applies the migrations the database has not seen. A database that is newer than this
// binary is refused rather than guessed at.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	migrations, err := s.migrations()
	if err != nil {
		return err
	}
	var current int
	if err := s.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if latest := len(migrations); current > latest {
		return fmt.Errorf("database schema version %d is newer than this binary's %d: upgrade portico", current, latest)
	}
	for _, m := range migrations[current:] {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			_, err := s.exec(ctx, tx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, m.version, ms(time.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

type migration struct {
	version int
	name    string
	sql     string
}

func (s *Store) migrations() ([]migration, error) {
	fsys := s.dialect.Migrations()
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for i, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil || version != i+1 {
			return nil, fmt.Errorf("migration %s: names must be numbered 0001, 0002, … without gaps", name)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: name, sql: string(body)})
	}
	return out, nil
}

// Times are stored as Unix milliseconds: one representation both backends sort and compare alike.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ?" for n values, for IN lists.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
