// Package sqlite is Portico's default, zero-set-up store: one SQLite file in the data directory,
// through the pure-Go modernc.org/sqlite driver so that the binary needs no C toolchain.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/portico/portico/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

type dialect struct{}

func (dialect) Name() string { return "sqlite" }

// PrepareStatements: SQLite spends much of a small query's time parsing it.
func (dialect) PrepareStatements() bool    { return true }
func (dialect) Rebind(query string) string { return query }
func (dialect) InProcess() bool            { return true }

func (dialect) IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (dialect) Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// writeBusyTimeout is how many milliseconds a connection waits for a lock another holds.
const writeBusyTimeout = "10000"

// writeCacheSize lets the write connection keep up to 8 MiB of pages, where SQLite's default is
// 2 MB. It alone keeps its cache from one commit to the next (see sqlstore's byKey), and what it
// touches for each message is larger than 2 MB once a few hundred conversations are busy: a leaf
// of the idempotency key's index anywhere in each conversation's range, the visitors the reads by
// key authenticate. With the default, 1,000 msg/s made some 5,000 reads of the files a second
// for pages the writer had just had; with 8 MiB, 1,900 (docs/benchmarks.md, round fifteen).
//
// Not more: the cache keeps every page it has held until it is full, so a node that writes
// steadily soon holds all of it (with 64 MiB the node had 160 MB of RSS after 90 s at 1,000
// msg/s, against 65 MB with 8 MiB), for few fewer reads (1,600 a second). And a larger cache
// costs CPU at every commit that splits a b-tree page: SQLite moves a page through a page number
// past the end of the file while it rebalances, and at commit the cache then walks its whole
// hash table, whose size follows the number of pages held.
const writeCacheSize = "cache_size(-8192)"

// Open opens (creating if needed) portico.db in dir. Writes go through a single connection, so
// SQLite never answers "database is locked" to a writer; reads use a pool over WAL.
func Open(ctx context.Context, dir string) (*sqlstore.Store, error) {
	return open(ctx, dir, checkpointEvery, restartFrames)
}

func open(ctx context.Context, dir string, checkpointEvery time.Duration, restartFrames int) (*sqlstore.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, "portico.db")
	pragmas := url.Values{}
	// No connection checkpoints on commit: the checkpointer does (checkpoint.go).
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(" + writeBusyTimeout + ")", "foreign_keys(ON)", "synchronous(NORMAL)", "wal_autocheckpoint(0)"} {
		pragmas.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + pragmas.Encode()
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate&_pragma="+url.QueryEscape(writeCacheSize))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	checkpoints, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, err
	}
	checkpoints.SetMaxOpenConns(1)
	pragmas.Add("_pragma", "query_only(ON)")
	read, err := sql.Open("sqlite", "file:"+path+"?"+pragmas.Encode())
	if err != nil {
		write.Close()
		checkpoints.Close()
		return nil, err
	}
	// Idle readers are kept: opening a connection and preparing its statements again costs far
	// more than the memory of a few open connections.
	readers := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	s := sqlstore.New(write, read, dialect{})
	ck := startCheckpointer(write, checkpoints, path, checkpointEvery, restartFrames, s.Timed)
	s.BeforeClose(ck.close)
	s.AfterClose(ck.files.close)
	return s, nil
}
