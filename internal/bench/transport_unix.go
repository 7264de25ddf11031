//go:build unix

package bench

import (
	"net"
	"syscall"
)

// closedByPeer reports whether the node has closed an idle connection (or sent on it, which it
// should not): a peek that does not wait, one system call where net/http's Transport keeps a
// goroutine blocked in a read on every idle connection.
func closedByPeer(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// 0 bytes and no error is the end of the stream; EAGAIN is an open, quiet connection.
		closed = n > 0 || (err == nil && n == 0) || (err != nil && err != syscall.EAGAIN && err != syscall.EWOULDBLOCK)
		return true
	})
	return closed || err != nil
}
