//go:build linux

package sqlite_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/store/sqlite"
)

// lockProbeEnv makes the test binary a probe instead: it reports whether another process holds
// a lock on SQLite's lock bytes of the database file named, and exits.
const lockProbeEnv = "PORTICO_SQLITE_LOCK_PROBE"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockProbeEnv); path != "" {
		fmt.Println(probeLock(path))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// probeLock asks with F_GETLK whether a process holds a lock that conflicts with writing SQLite's
// lock bytes (PENDING, RESERVED and the SHARED range, from 0x40000000). F_GETLK does not see the
// asking process's own locks, hence a process of its own.
func probeLock(path string) string {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "error: " + err.Error()
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Start: 0x40000000, Len: 512}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return "error: " + err.Error()
	}
	if lk.Type == syscall.F_UNLCK {
		return "unlocked"
	}
	return "locked"
}

// SQLite in WAL mode holds a shared lock on the database file for as long as it has it open: a
// second process closing its own connection checkpoints and deletes the WAL only when it can
// lock the file exclusively. POSIX locks belong to the process and the file, and closing any
// descriptor of the file releases them all; the checkpointer, which opens the database file to
// write it out and to sync it, must not take SQLite's lock away by closing it.
func TestCheckpointerKeepsSQLiteLockOnTheDatabase(t *testing.T) {
	var wroteBack, synced atomic.Int64
	t.Cleanup(sqlite.WatchWriteback(func(path string, err error) {
		if err == nil && strings.HasSuffix(path, "portico.db") {
			wroteBack.Add(1)
		}
	}))
	t.Cleanup(sqlite.WatchSyncs(func(path string, err error) {
		if err == nil && strings.HasSuffix(path, "portico.db") {
			synced.Add(1)
		}
	}))
	dir := t.TempDir()
	s := openMigrated(t, dir, 10*time.Millisecond, 64)
	if !writeMessagesUntil(t, s, 0, func() bool { return wroteBack.Load() >= 3 && synced.Load() >= 3 }) {
		t.Fatalf("after 20 s of writes %d writebacks and %d syncs of the database file, want 3 of each", wroteBack.Load(), synced.Load())
	}
	probe := exec.Command(os.Args[0])
	probe.Env = append(os.Environ(), lockProbeEnv+"="+filepath.Join(dir, "portico.db"))
	out, err := probe.CombinedOutput()
	if err != nil {
		t.Fatalf("lock probe: %v: %s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "locked" {
		t.Fatalf("another process sees the database file %s while the store has it open; SQLite's shared lock was released", got)
	}
}
