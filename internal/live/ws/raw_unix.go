//go:build unix

package ws

import (
	"sync"
	"syscall"

	"github.com/portico/portico/internal/rawsock"
)

// TryWrite writes as much of one encoded frame as the socket takes without waiting and
// reports how much that was; the caller queues the rest. It writes nothing (0, nil) where the
// connection does not expose its descriptor, or while a write that may wait (a close frame, a
// pong to a WebSocket ping) holds the connection. It lets a fan-out write to thousands of
// sockets from a few goroutines instead of starting a writer for each, and the socket poller
// answer a heartbeat on its own goroutine.
func (c *Conn) TryWrite(frame []byte) (int, error) {
	raw := c.raw
	if raw == nil {
		return 0, nil
	}
	if !c.writeMu.TryLock() {
		return 0, nil
	}
	defer c.writeMu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	op := rawOps.Get().(*rawOp)
	defer op.done()
	op.p = frame
	err := raw.Write(op.write)
	if err == nil {
		err = op.err
	}
	return op.n, err
}

// rawOp is one call into a descriptor, pooled with the function that makes it: a closure made
// for each call was four allocations per frame of a fan-out, which writes a frame to every
// socket of an audience in a row.
type rawOp struct {
	p     []byte
	n     int
	err   error
	write func(fd uintptr) bool
	read  func(fd uintptr) bool
}

var rawOps = sync.Pool{New: func() any {
	op := &rawOp{}
	op.write, op.read = op.writeAll, op.readOnce
	return op
}}

func (op *rawOp) done() {
	op.p, op.n, op.err = nil, 0, nil
	rawOps.Put(op)
}

// writeAll writes op.p until the socket takes no more; it never waits: what is left goes to
// the connection's writer. The system calls skip the scheduler's bookkeeping (rawsock.WriteFD):
// a fan-out makes thousands of them in a row (a fifth of its time; docs/benchmarks.md, round
// thirteen), and the bookkeeping also woke the runtime's monitor thread when the process was
// idle, a cost paid on every heartbeat of an idle server.
func (op *rawOp) writeAll(fd uintptr) bool {
	for op.n < len(op.p) {
		m, e := rawsock.WriteFD(fd, op.p[op.n:])
		if e == syscall.EAGAIN {
			break
		}
		if e != 0 {
			op.err = e
			break
		}
		op.n += m
	}
	return true
}

// readOnce reads what the socket holds into op.p; it never waits. Nothing waiting, the end of
// the stream and an error all read 0 bytes: the next ReadMessage meets the error again.
func (op *rawOp) readOnce(fd uintptr) bool {
	if n, e := rawsock.ReadFD(fd, op.p); e == 0 {
		op.n = n
	}
	return true
}

// Fill reads what the socket holds, without waiting, into the connection's buffer, where
// ReadBuffered and ReadMessage take it from: a client's message almost always arrives whole,
// and is then read in one system call rather than one for each part of the frame. It reports
// whether bytes are buffered. A socket that failed or that the peer closed reports false, and
// so does one that does not expose its descriptor: ReadMessage then finds out.
func (c *Conn) Fill() bool {
	raw := c.raw
	if raw == nil {
		return c.Buffered()
	}
	switch {
	case c.in == nil:
		c.in = takeInBuffer(0)[:0]
	case c.inPos > 0:
		c.in = c.in[:copy(c.in, c.in[c.inPos:])]
		c.inPos = 0
	}
	if len(c.in) < cap(c.in) {
		op := rawOps.Get().(*rawOp)
		op.p = c.in[len(c.in):cap(c.in)]
		raw.Read(op.read)
		c.in = c.in[:len(c.in)+op.n]
		op.done()
	}
	if len(c.in) == 0 {
		c.releaseIn()
		return false
	}
	return true
}
