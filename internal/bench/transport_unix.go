//go:build unix

package bench

import (
	"net"
	"syscall"
	"unsafe"
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
		// A raw call: it cannot block, and the scheduler's bookkeeping around one that may keeps
		// the runtime's monitor thread waking (see package rawsock).
		var b [1]byte
		_, _, errno := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1, syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		// EAGAIN is an open, quiet connection; no error is a byte the node should not have
		// sent, or the end of the stream.
		closed = errno != syscall.EAGAIN && errno != syscall.EWOULDBLOCK
		return true
	})
	return closed || err != nil
}
