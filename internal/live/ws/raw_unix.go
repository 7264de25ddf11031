//go:build unix

package ws

import (
	"syscall"
	"unsafe"
)

// TryWrite writes as much of one encoded frame as the socket takes without waiting and
// reports how much that was; the caller queues the rest. It writes nothing (0, nil) where the
// connection does not expose its descriptor, or while a write that may wait (a close frame, a
// pong to a WebSocket ping) holds the connection. It lets a fan-out write to thousands of
// sockets from a few goroutines instead of starting a writer for each, and the socket poller
// answer a heartbeat on its own goroutine.
func (c *Conn) TryWrite(frame []byte) (int, error) {
	raw, ok := c.rawConn()
	if !ok {
		return 0, nil
	}
	if !c.writeMu.TryLock() {
		return 0, nil
	}
	defer c.writeMu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	var n int
	var writeErr error
	err := raw.Write(func(fd uintptr) bool {
		for n < len(frame) {
			m, err := rawWrite(int(fd), frame[n:])
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.EAGAIN {
				break
			}
			if err != nil {
				writeErr = err
				break
			}
			n += m
		}
		return true // never wait: what is left goes to the writer
	})
	if err == nil {
		err = writeErr
	}
	return n, err
}

// Fill reads what the socket holds, without waiting, into the connection's buffer, where
// ReadBuffered and ReadMessage take it from: a client's message almost always arrives whole,
// and is then read in one system call rather than one for each part of the frame. It reports
// whether bytes are buffered. A socket that failed or that the peer closed reports false, and
// so does one that does not expose its descriptor: ReadMessage then finds out.
func (c *Conn) Fill() bool {
	raw, ok := c.rawConn()
	if !ok {
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
		var n int
		raw.Read(func(fd uintptr) bool {
			n = rawRead(int(fd), c.in[len(c.in):cap(c.in)])
			return true // never wait
		})
		c.in = c.in[:len(c.in)+n]
	}
	if len(c.in) == 0 {
		c.releaseIn()
		return false
	}
	return true
}

// rawConn is the connection's descriptor, where it exposes one.
func (c *Conn) rawConn() (syscall.RawConn, bool) {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return nil, false
	}
	raw, err := sc.SyscallConn()
	return raw, err == nil
}

// rawRead reads from a non-blocking socket: 0 when nothing is waiting, at the end of the
// stream or on an error, which the next ReadMessage meets again.
func rawRead(fd int, p []byte) int {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0
		}
		return int(r)
	}
}

// rawWrite is write(2) without the scheduler's bookkeeping around a system call that may block:
// on a non-blocking socket it cannot, and a fan-out makes thousands of them in a row (a fifth
// of its time; docs/benchmarks.md, round thirteen). That bookkeeping also wakes the runtime's
// monitor thread when the process was idle, a cost paid on every heartbeat of an idle server.
func rawWrite(fd int, p []byte) (int, error) {
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
