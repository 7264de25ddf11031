package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"
)

// SQLite's own checkpoint runs inside the commit that makes the WAL reach 1,000 pages: at 1,000
// messages/s that was ten commits a second taking 5–8 ms instead of a fraction of one (two
// fsyncs and the copy), with every write queued behind them. The write connection therefore
// never checkpoints; a checkpointer of its own copies the WAL into the database once a second
// from another connection, which takes no write lock, so the writer goes on meanwhile. Once a
// second rather than more often: each checkpoint's fsync of the WAL also slows the writes made
// during it (`portico bench`, 1,000 messages/s: p99 4.5–5.0 ms against 6.0–6.4 ms every 100 ms).
//
// Such a checkpoint leaves the WAL as long as it was: the next write starts it again from its
// beginning only when no reader still reads from it, which under steady reads does not happen
// by chance. Once the WAL is past restartFrames, the checkpointer runs a RESTART checkpoint on
// the write connection, between two of its transactions: it copies the few frames written since
// the passive one and, when no reader is still in the WAL, makes the next write start it again.
// It holds every write, and every read by key, which shares the write connection, until it is
// done. Most of that hold was the restart's two fsyncs (of the WAL before the copy and of the
// database after it), 10–25 ms each time late in a 40-s run at 1,000 messages/s. The
// checkpointer therefore fsyncs both files itself just before, holding nothing: the restart's
// own fsyncs then find only the few pages written since, and hold 2–10 ms. The hold hardly
// depends on the WAL's length, so the WAL restarts past 256 MiB rather than 64: every 10 s or
// so at 1,000 messages/s instead of every 2, a quarter of the holds (docs/benchmarks.md, round
// thirteen). The cost is disk: a WAL file keeps the length it reached, so a server that writes
// steadily, even at 50 messages/s, keeps up to 256 MiB of WAL beside the database (512 MiB if a
// long read holds the restart back).
//
// Between checkpoints the checkpointer also asks the kernel to start writing out what the WAL
// and the database file hold in memory (writeback_linux.go). Linux would otherwise leave a whole
// second of WAL (48 MB at 1,000 messages/s) for the checkpoint's fsync to write at once, and the
// writer's appends to the WAL wait behind that fsync. At 1,000 messages/s with 10,000 visitors
// this about halved how long a checkpoint takes and holds the writer (docs/benchmarks.md).
const (
	checkpointEvery = time.Second
	writebackEvery  = 50 * time.Millisecond
	restartFrames   = 65536 // 256 MiB of 4 KiB pages
	// mustRestartTimes: when readers have kept the WAL from starting again until it is this many
	// times restartFrames long, the restart waits for them.
	mustRestartTimes = 2
)

type checkpointer struct {
	write, own *sql.DB
	every      time.Duration
	restartAt  int
	files      *heldFiles // the WAL and the database file, written out and synced between checkpoints
	timed      func(kind string) (done func())
	quit       chan struct{}
	done       chan struct{}
}

// timed times the checkpoints for the database metrics: "checkpoint" (passive, writes go on) and
// "restart" (it holds writes).
func startCheckpointer(write, own *sql.DB, path string, every time.Duration, restartAt int, timed func(kind string) (done func())) *checkpointer {
	c := &checkpointer{write: write, own: own, every: every, restartAt: restartAt, timed: timed,
		files: &heldFiles{paths: []string{path + "-wal", path}}, quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	tick := time.NewTicker(c.every)
	defer tick.Stop()
	writeback := time.NewTicker(writebackEvery)
	defer writeback.Stop()
	canWriteBack := true
	// An idle database has nothing to write out: the writeback ticks only while the last
	// checkpoint found the WAL changed (checkpoints are many writeback periods apart), so that
	// an idle server does not wake twenty times a second.
	writing, lastFrames := true, -1
	for {
		select {
		case <-c.quit:
			return
		case <-writeback.C:
			if canWriteBack = c.startWriteback(); !canWriteBack {
				writeback.Stop()
			}
			continue
		case <-tick.C:
		}
		done := c.timed("checkpoint")
		frames, err := checkpointPassive(c.own)
		done()
		wasWriting := writing
		writing, lastFrames = err != nil || frames != lastFrames, frames
		switch {
		case writing && !wasWriting && canWriteBack:
			writeback.Reset(writebackEvery)
		case !writing && wasWriting:
			writeback.Stop()
		}
		if err == nil && frames >= c.restartAt {
			c.syncFiles()
			done := c.timed("restart")
			err = restart(c.write, frames >= mustRestartTimes*c.restartAt)
			done()
		}
		if err != nil {
			slog.Warn("sqlite: WAL checkpoint failed, will retry", "err", err)
		}
	}
}

// heldFiles are the WAL and the database file, each opened once, when it first exists, and kept
// open until the store's connections are closed. Closing any descriptor of a file releases every
// POSIX lock the process holds on it, SQLite's included: opening and closing the database file
// around each writeback dropped the shared lock by which SQLite tells other processes that the
// database is in use, and a second process (`portico bench --data`, a backup, the sqlite3 shell)
// closing its own connection could then checkpoint and delete the WAL under the running server.
type heldFiles struct {
	paths []string
	open  []*os.File // in the order of paths; nil until the file exists
	mu    sync.Mutex // the checkpointer uses them, the store's close closes them
}

// each calls fn with every file that exists, opening it the first time; fn returning true stops
// the loop.
func (h *heldFiles) each(fn func(f *os.File) (stop bool)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.open == nil {
		h.open = make([]*os.File, len(h.paths))
	}
	for i, path := range h.paths {
		if h.open[i] == nil {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					slog.Debug("sqlite: file not opened for writeback", "file", path, "err", err)
				}
				continue
			}
			h.open[i] = f
		}
		if fn(h.open[i]) {
			return
		}
	}
}

// close closes the files; the store calls it once its SQLite connections are closed, so that
// SQLite's locks are gone by then anyway.
func (h *heldFiles) close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	var err error
	for _, f := range h.open {
		if f != nil {
			err = errors.Join(err, f.Close())
		}
	}
	h.open = nil
	return err
}

// syncFiles fsyncs the WAL and the database file ahead of a restart (see the top of the file).
// A failure is only logged: the restart's own fsyncs still make everything durable.
func (c *checkpointer) syncFiles() {
	c.files.each(func(f *os.File) bool {
		if err := syncFile(f); err != nil {
			slog.Debug("sqlite: file not synced ahead of the WAL restart", "file", f.Name(), "err", err)
		}
		return false
	})
}

// syncFile is a variable, so that a test can see the calls.
var syncFile = (*os.File).Sync

var errWritebackUnsupported = errors.New("sqlite: starting writeback is not supported here")

// startWriteback asks the kernel to start writing out the files' dirty pages, without waiting
// for it; it says false when the system cannot, so that the checkpointer stops asking.
func (c *checkpointer) startWriteback() bool {
	supported := true
	c.files.each(func(f *os.File) bool {
		err := startWriteback(f)
		if errors.Is(err, errWritebackUnsupported) {
			supported = false
			return true
		}
		if err != nil {
			slog.Debug("sqlite: writeback not started", "file", f.Name(), "err", err)
		}
		return false
	})
	return supported
}

// checkpointPassive copies what it can of the WAL into the database without waiting for anyone,
// and says how many frames the WAL held.
func checkpointPassive(db *sql.DB) (frames int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, copied int
	err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, err
}

// restart runs a RESTART checkpoint on the write connection, between two of its transactions.
// Unless told to wait, it does not wait for a reader that is still in the WAL (the busy handler
// sleeps a millisecond or more at a time, with every write held): it gives up at once, and the
// next tick tries again.
func restart(write *sql.DB, wait bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, frames, copied int
	if wait {
		return write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied)
	}
	conn, err := write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		return err
	}
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &frames, &copied)
	if _, reset := conn.ExecContext(ctx, `PRAGMA busy_timeout = `+writeBusyTimeout); reset != nil {
		// A writer that gives up at the first lock must not stay in the pool: a connection whose
		// Raw answers ErrBadConn is closed, and Raw hands that same error back.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		return errors.Join(err, reset)
	}
	return err
}

// close stops the checkpointer and closes its connection. SQLite checkpoints what is left when
// the last connection closes.
func (c *checkpointer) close() error {
	close(c.quit)
	<-c.done
	return c.own.Close()
}
