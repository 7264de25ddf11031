//go:build linux

package sqlite_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/internal/testutil"
)

// The write connection, which the reads by key share, keeps a working set larger than SQLite's
// default cache of 2 MB: reading the same visitors again reads nothing from the files.
func TestWriteConnectionCachesMoreThanTheDefault(t *testing.T) {
	// 60,000 visitors, about 6 MB of table and index. A few reads are the runtime's and the
	// test's own; with SQLite's default cache of 2 MB, more than a thousand of these visitors'
	// pages are read from the files again.
	if n := rereadVisitors(t, 60000, 0); n > 100 {
		t.Errorf("reading visitors a second time made %d read system calls, want them all from the cache", n)
	}
}

// It does not keep everything it ever read, though: a working set of 20 MB is read from the
// files again (the cache is bounded at 8 MiB; at 64 MiB a busy node's RSS was 95 MB larger).
func TestWriteConnectionCacheIsBounded(t *testing.T) {
	// 20,000 visitors of about 1 KB each.
	if n := rereadVisitors(t, 20000, 1000); n < 1000 {
		t.Errorf("reading 20 MB of visitors a second time made only %d read system calls: the cache holds it all", n)
	}
}

// rereadVisitors stores n visitors whose names are padded to pad bytes, reads each once by its
// token through the store (on the write connection), then reads 5,000 of them again at random,
// and returns how many read system calls the second pass made.
func rereadVisitors(t *testing.T, n, pad int) int {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s := openMigrated(t, dir, time.Hour, 1<<30)
	// Written by another connection: the store's write connection starts with nothing cached.
	db := testutil.OpenSQLiteFile(t, dir)
	execAll(t, db,
		insertAccountA1,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < `+strconv.Itoa(n)+`)
		INSERT INTO visitors (id, account_id, token_hash, name, created_at, last_seen_at)
			SELECT printf('v%06d', i), 'a1', printf('t%06d', i), printf('Visitor number %06d from the listing pages%`+strconv.Itoa(pad)+`s', i, ''), 0, 0 FROM n`,
	)
	read := func(i int) {
		t.Helper()
		if _, err := s.VisitorByTokenHash(ctx, fmt.Sprintf("t%06d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= n; i++ {
		read(i) // into the cache
	}
	before := readSyscalls(t)
	for range 5000 {
		read(1 + rand.IntN(n))
	}
	return readSyscalls(t) - before
}

// readSyscalls is how many read system calls this process has made (syscr in /proc/self/io).
func readSyscalls(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("syscr: ")); ok {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("/proc/self/io has no syscr")
	return 0
}
