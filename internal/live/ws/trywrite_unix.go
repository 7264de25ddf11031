//go:build unix

package ws

import (
	"syscall"
	"unsafe"
)

// TryWrite writes as much of one encoded frame as the socket takes without waiting and
// reports how much that was; the caller queues the rest. It writes nothing (0, nil) where the
// connection does not expose its descriptor. It lets a fan-out write to thousands of sockets
// from a few goroutines instead of starting a writer for each.
func (c *Conn) TryWrite(frame []byte) (int, error) {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return 0, nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, nil
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	var n int
	var writeErr error
	err = raw.Write(func(fd uintptr) bool {
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

// rawWrite is write(2) without the scheduler's bookkeeping around a system call that may block:
// on a non-blocking socket it cannot, and a fan-out makes thousands of them in a row (a fifth
// of its time; docs/benchmarks.md, round thirteen).
func rawWrite(fd int, p []byte) (int, error) {
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
