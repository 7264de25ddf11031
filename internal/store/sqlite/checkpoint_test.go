package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/sqlite"
	"github.com/portico/portico/internal/testutil"
)

// Under steady writes and reads the WAL is copied into the database and started again from its
// beginning, although no commit checkpoints: it stays near its restart size instead of holding
// every page ever written.
func TestWALStaysBoundedUnderLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const restartAt = 256 // frames of 4 KiB: 1 MiB
	s := openMigrated(t, dir, 10*time.Millisecond, restartAt)
	const writers, perWriter = 4, 400
	seeded := testutil.SeedChats(t, s, writers)
	v, now := seeded.Visitor, time.Now().UTC()

	walPath := filepath.Join(dir, "portico.db-wal")
	var mu sync.Mutex
	var largestWAL int64
	measure := func() {
		if fi, err := os.Stat(walPath); err == nil {
			mu.Lock()
			largestWAL = max(largestWAL, fi.Size())
			mu.Unlock()
		}
	}
	stop := make(chan struct{})
	var readers, writing sync.WaitGroup
	for _, c := range seeded.Conversations {
		id := c.ID
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.MessagesAfter(ctx, id, 0, 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for w, c := range seeded.Conversations {
		id := c.ID
		writing.Add(1)
		go func() {
			defer writing.Done()
			for i := range perWriter {
				m := &domain.Message{ID: domain.NewID(), ConversationID: id, Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID},
					Body: fmt.Sprintf("writer %d message %d %s", w, i, domain.NewSecret(64)), ClientMsgID: fmt.Sprint("m", i), CreatedAt: now}
				if _, _, err := s.AppendMessage(ctx, m); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					measure()
				}
			}
		}()
	}
	writing.Wait()
	close(stop)
	readers.Wait()
	measure()

	db, err := os.Stat(filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	// 1,600 messages rewrite about 40 MiB of pages: a WAL that is never started again holds
	// them all.
	t.Logf("largest WAL %d KiB, db %d KiB", largestWAL>>10, db.Size()>>10)
	if largestWAL > 16<<20 {
		t.Fatalf("the WAL grew to %d MiB; it should start again past %d KiB", largestWAL>>20, restartAt*4)
	}
	if db.Size() < 512<<10 {
		t.Fatalf("the database file holds %d KiB after 1,600 messages: the WAL was not copied into it", db.Size()>>10)
	}
	for _, c := range seeded.Conversations {
		list, err := s.MessagesAfter(ctx, c.ID, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != perWriter+1 {
			t.Fatalf("conversation has %d messages, want %d", len(list), perWriter+1)
		}
	}
}

// Between checkpoints the checkpointer starts the writeback of the WAL and of the database file,
// so that a checkpoint's fsync finds little left to write.
func TestCheckpointerStartsWritebackBetweenCheckpoints(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("starting writeback without waiting is Linux only")
	}
	type started struct {
		path string
		err  error
	}
	seen := make(chan started, 64)
	// A cleanup, so that the store (opened later) is closed before the watch ends.
	t.Cleanup(sqlite.WatchWriteback(func(path string, err error) {
		select {
		case seen <- started{path, err}:
		default:
		}
	}))
	dir := t.TempDir()
	// No checkpoint during the test: the writeback comes on its own.
	openMigrated(t, dir, time.Hour, 1<<20)
	want := map[string]bool{filepath.Join(dir, "portico.db"): true, filepath.Join(dir, "portico.db-wal"): true}
	deadline := time.After(10 * time.Second)
	for len(want) > 0 {
		select {
		case st := <-seen:
			if !want[st.path] {
				continue
			}
			if st.err != nil {
				t.Fatalf("writeback of %s: %v", st.path, st.err)
			}
			delete(want, st.path)
		case <-deadline:
			t.Fatalf("no writeback started within 10 s for %v", want)
		}
	}
}

// An idle database is not written back twenty times a second: the writeback stops once a
// checkpoint finds the WAL unchanged, and starts again after a write.
func TestWritebackWaitsWhileTheDatabaseIsIdle(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("starting writeback without waiting is Linux only")
	}
	calls := make(chan struct{}, 1024)
	// A cleanup, so that the store (opened later) is closed before the watch ends.
	t.Cleanup(sqlite.WatchWriteback(func(string, error) {
		select {
		case calls <- struct{}{}:
		default:
		}
	}))
	// Checkpoints a few writeback periods apart, as in use (a second against 50 ms).
	s := openMigrated(t, t.TempDir(), 200*time.Millisecond, 1<<20)
	// Idle: the calls stop. Four writeback periods without one is the sign.
	quietFor := 4 * 50 * time.Millisecond
	deadline := time.After(10 * time.Second)
	for quiet := false; !quiet; {
		select {
		case <-calls:
		case <-time.After(quietFor):
			quiet = true
		case <-deadline:
			t.Fatal("the writeback went on for 10 s with nothing written")
		}
	}
	testutil.SeedChats(t, s, 1)
	select {
	case <-calls:
	case <-time.After(10 * time.Second):
		t.Fatal("no writeback within 10 s of a write")
	}
}

// openMigrated opens a migrated store in dir with the checkpointer's period and restart size
// set by the test; it is closed when the test ends.
func openMigrated(t testing.TB, dir string, every time.Duration, restartAt int) store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.OpenWithCheckpoints(ctx, dir, every, restartAt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// The work that holds the writer besides its commits (a chunk of the search index, a restart of
// the WAL) and the checkpoints that do not are timed for the database metrics, each as its own
// kind, so that a slow write can be told from what it waited for.
func TestCheckpointsAndIndexingAreTimed(t *testing.T) {
	s := openMigrated(t, t.TempDir(), 10*time.Millisecond, 64)
	var mu sync.Mutex
	seen := map[string]int{}
	s.(interface {
		Observe(func(kind string, start time.Time))
	}).Observe(func(kind string, _ time.Time) {
		mu.Lock()
		seen[kind]++
		mu.Unlock()
	})
	count := func(kind string) int {
		mu.Lock()
		defer mu.Unlock()
		return seen[kind]
	}
	if !writeMessagesUntil(t, s, time.Millisecond, func() bool {
		return count("checkpoint") > 0 && count("restart") > 0 && count("index") > 0
	}) {
		mu.Lock()
		t.Fatalf("after 20 s of writes the kinds observed are %v, want checkpoint, restart and index among them", seen)
	}
	if count("write") == 0 {
		t.Fatal("no write observed: the group commits are timed as writes")
	}
}

// A restart of the WAL holds every write and read by key; the fsyncs that made most of that hold
// are done by the checkpointer just before it, on both files, holding nothing.
func TestCheckpointerSyncsBothFilesBeforeEachRestart(t *testing.T) {
	type event struct {
		what string // a file synced, or "restart"
		at   time.Time
	}
	var mu sync.Mutex
	var events []event
	note := func(what string, at time.Time) {
		mu.Lock()
		events = append(events, event{what, at})
		mu.Unlock()
	}
	t.Cleanup(sqlite.WatchSyncs(func(path string, err error) {
		if err != nil {
			t.Errorf("sync of %s: %v", path, err)
		}
		note(filepath.Base(path), time.Now())
	}))
	s := openMigrated(t, t.TempDir(), 10*time.Millisecond, 64)
	s.(interface {
		Observe(func(kind string, start time.Time))
	}).Observe(func(kind string, start time.Time) {
		if kind == "restart" {
			note(kind, start)
		}
	})
	restarts := func() (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range events {
			if e.what == "restart" {
				n++
			}
		}
		return n
	}
	if !writeMessagesUntil(t, s, 0, func() bool { return restarts() >= 3 }) {
		t.Fatalf("after 20 s of writes %d restarts, want 3", restarts())
	}
	mu.Lock()
	defer mu.Unlock()
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	synced := map[string]bool{}
	for _, e := range events {
		if e.what != "restart" {
			synced[e.what] = true
			continue
		}
		if !synced["portico.db"] || !synced["portico.db-wal"] {
			t.Fatalf("a restart with only %v synced since the one before; events %v", synced, events)
		}
		synced = map[string]bool{}
	}
}

// writeMessagesUntil appends messages to a new conversation, pausing between them, until done
// says so; false when 20 s of writes were not enough.
func writeMessagesUntil(t *testing.T, s store.Store, pause time.Duration, done func() bool) bool {
	t.Helper()
	seeded := testutil.SeedChats(t, s, 1)
	c := seeded.Conversations[0]
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; !done(); i++ {
		if time.Now().After(deadline) {
			return false
		}
		m := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorVisitor, ID: seeded.Visitor.ID},
			Body: fmt.Sprintf("message %d %s", i, domain.NewSecret(64)), ClientMsgID: fmt.Sprint("m", i), CreatedAt: time.Now()}
		if _, _, err := s.AppendMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		time.Sleep(pause)
	}
	return true
}
