//go:build unix

package ws

import "syscall"

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
			m, err := syscall.Write(int(fd), frame[n:])
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
