package bench

import (
	"io"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The bench shares the server's cores, so it may read a frame a while after the frame reached
// its socket: that wait is the load generator's, not the server's. The kernel stamps each
// segment with the time it reached the socket (SO_TIMESTAMPNS), and recvmsg(2) hands back the
// stamp of the last segment a read took. A frame is never in the socket later than the read's
// stamp, so the stamp bounds its arrival from above, as the read's own time does, only closer.

const sizeofTimespec = int(unsafe.Sizeof(unix.Timespec{}))

// receiptRoom holds the one control message of a stamp: a header and a timespec.
const receiptRoom = unix.SizeofCmsghdr + sizeofTimespec

// stampReceipts asks the kernel to stamp the segments that reach the socket fd.
func stampReceipts(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
}

// receiptIn finds the receive stamp among the control messages of a read; zero if there is none.
// The buffer need not be aligned: each header and stamp is copied out before it is looked at.
func receiptIn(oob []byte) time.Time {
	for len(oob) >= unix.SizeofCmsghdr {
		var h unix.Cmsghdr
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&h)), unix.SizeofCmsghdr), oob)
		size := int(h.Len)
		if size < unix.SizeofCmsghdr || size > len(oob) {
			break
		}
		if h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_TIMESTAMPNS && size >= unix.CmsgLen(sizeofTimespec) {
			var ts unix.Timespec
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&ts)), sizeofTimespec), oob[unix.CmsgLen(0):])
			return time.Unix(int64(ts.Sec), int64(ts.Nsec))
		}
		oob = oob[min(unix.CmsgSpace(size-unix.CmsgLen(0)), len(oob)):]
	}
	return time.Time{}
}

// readStamped reads fd once with recvmsg(2), without blocking the thread: fd is non-blocking.
// It returns the bytes read, the stamp of the last segment among them, and the errno.
func readStamped(fd int, b []byte) (int, time.Time, syscall.Errno) {
	var oob [receiptRoom]byte
	iov := unix.Iovec{Base: unsafe.SliceData(b)}
	iov.SetLen(len(b))
	msg := unix.Msghdr{Iov: &iov, Iovlen: 1, Control: &oob[0]}
	msg.SetControllen(len(oob))
	for {
		n, _, errno := syscall.RawSyscall(syscall.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), 0)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 || n == 0 {
			return 0, time.Time{}, errno
		}
		return int(n), receiptIn(oob[:msg.Controllen]), 0
	}
}

// stampedConn is a TCP connection read on Go's poller, keeping the stamp of its last read. The
// sockets read by a goroutine use it (operators, and visitors where there is no poller).
type stampedConn struct {
	net.Conn // writes, deadlines and close go to the connection as it was
	raw      syscall.RawConn
	receipt  time.Time
}

// withReceipts reads nc with its stamps where nc is TCP and the kernel agrees, else returns it
// as it is: the report then has the read's time only.
func withReceipts(nc net.Conn) net.Conn {
	sc, ok := nc.(syscall.Conn)
	if _, tcp := nc.LocalAddr().(*net.TCPAddr); !ok || !tcp {
		return nc
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	var stampErr error
	if err := raw.Control(func(fd uintptr) { stampErr = stampReceipts(int(fd)) }); err != nil || stampErr != nil {
		return nc
	}
	return &stampedConn{Conn: nc, raw: raw}
}

func (c *stampedConn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	var receipt time.Time
	err := c.raw.Read(func(fd uintptr) bool {
		n, receipt, errno = readStamped(int(fd), b)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: errno}
	case n == 0:
		return 0, io.EOF
	}
	// A read without a stamp clears the last one: an older stamp would date these bytes too early.
	c.receipt = receipt
	return n, nil
}

func (c *stampedConn) lastReceipt() time.Time { return c.receipt }
