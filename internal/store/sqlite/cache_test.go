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
	ctx := context.Background()
	dir := t.TempDir()
	s := openMigrated(t, dir, time.Hour, 1<<30)
	// 60,000 visitors, about 6 MB of table and index, written by another connection.
	const visitors = 60000
	db := testutil.OpenSQLiteFile(t, dir)
	execAll(t, db,
		insertAccountA1,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < `+strconv.Itoa(visitors)+`)
		INSERT INTO visitors (id, account_id, token_hash, name, created_at, last_seen_at)
			SELECT printf('v%06d', i), 'a1', printf('t%06d', i), printf('Visitor number %06d from the listing pages', i), 0, 0 FROM n`,
	)
	read := func(i int) {
		t.Helper()
		if _, err := s.VisitorByTokenHash(ctx, fmt.Sprintf("t%06d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= visitors; i++ {
		read(i) // into the cache
	}
	const again = 5000
	before := readSyscalls(t)
	for range again {
		read(1 + rand.IntN(visitors))
	}
	// A few reads are the runtime's and the test's own; with SQLite's default cache of 2 MB, more
	// than a thousand of these visitors' pages are read from the files again.
	if n := readSyscalls(t) - before; n > 100 {
		t.Errorf("reading %d visitors a second time made %d read system calls, want them all from the cache", again, n)
	}
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
