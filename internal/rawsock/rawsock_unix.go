//go:build unix

package rawsock

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Conn is a TCP connection whose Read and Write make their system calls raw. Everything else
// (deadlines, Close, CloseWrite, SyscallConn, ReadFrom) is the TCP connection's own.
type Conn struct {
	*net.TCPConn
	raw syscall.RawConn
}

// Wrap returns c as a raw connection where it is a TCP connection whose descriptor it can
// reach, and c itself otherwise.
func Wrap(c net.Conn) net.Conn {
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	raw, err := tcp.SyscallConn()
	if err != nil {
		return c
	}
	return &Conn{TCPConn: tcp, raw: raw}
}

func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	op := ops.Get().(*rawOp)
	defer op.done()
	op.p = p
	if err := c.raw.Read(op.read); err != nil {
		return 0, c.opError("read", err)
	}
	if op.err != 0 {
		return 0, c.opError("read", os.NewSyscallError("read", op.err))
	}
	if op.n == 0 {
		return 0, io.EOF
	}
	return op.n, nil
}

func (c *Conn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	op := ops.Get().(*rawOp)
	defer op.done()
	op.p = p
	err := c.raw.Write(op.write)
	if err == nil && op.err != 0 {
		err = os.NewSyscallError("write", op.err)
	}
	if err != nil {
		return op.n, c.opError("write", err)
	}
	return op.n, nil
}

// opError puts err as the TCP connection would have: RawConn names its operations "raw-read" and
// "raw-write", and callers look at the error inside (a deadline, a closed connection).
func (c *Conn) opError(op string, err error) error {
	var raw *net.OpError
	if errors.As(err, &raw) {
		err = raw.Err
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}

// rawOp is one Read or Write, pooled with the functions that make its system calls: a closure
// for each call would be an allocation for every read and write of the node's sockets.
type rawOp struct {
	p     []byte
	n     int
	err   syscall.Errno
	read  func(fd uintptr) bool
	write func(fd uintptr) bool
}

var ops = sync.Pool{New: func() any {
	op := &rawOp{}
	op.read, op.write = op.readOnce, op.writeAll
	return op
}}

func (op *rawOp) done() {
	op.p, op.n, op.err = nil, 0, 0
	ops.Put(op)
}

// readOnce reads what the socket holds; false (nothing yet) has the poller wait for more.
func (op *rawOp) readOnce(fd uintptr) bool {
	n, e := ReadFD(fd, op.p)
	if e == syscall.EAGAIN {
		return false
	}
	op.n, op.err = n, e
	return true
}

// writeAll writes until the socket has taken everything; false (the socket is full) has the
// poller wait for room, and the next call goes on from there.
func (op *rawOp) writeAll(fd uintptr) bool {
	for op.n < len(op.p) {
		n, e := WriteFD(fd, op.p[op.n:])
		switch e {
		case 0:
			op.n += n
		case syscall.EAGAIN:
			return false
		default:
			op.err = e
			return true
		}
	}
	return true
}

// ReadFD is read(2) on a non-blocking descriptor without the scheduler's bookkeeping, retried
// when a signal interrupts it: the bytes read (0 at the end of the stream), or the error.
func ReadFD(fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}

// WriteFD is write(2) on a non-blocking descriptor without the scheduler's bookkeeping, retried
// when a signal interrupts it: the bytes written, or the error.
func WriteFD(fd uintptr, p []byte) (int, syscall.Errno) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if e != syscall.EINTR {
			return int(r), e
		}
	}
}
