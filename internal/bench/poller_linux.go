package bench

import (
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// pollBatch and pollPause make the poller read in batches during a burst, as a network card that
// holds its interrupts does: after a wake-up that found fewer than pollBatch sockets with bytes,
// a poller in a burst sleeps pollPause before it looks again. The bench stands in for thousands
// of browsers on other machines but shares the server's cores, and a wake-up for each frame
// costs both processes more than the frame itself (on this project's 2-core VM, a program
// fanning a frame out to 10,000 loopback sockets: 80–96 ms to the last one read a wake-up at a
// time, 60–63 ms with a 100-µs pause, and the reader's CPU per frame 7 → 2.5 µs). A frame waits
// at most pollPause longer to be counted, which only makes the bench's figures worse.
//
// In a burst the poller finds bytes within burstGap of starting to wait for them. Outside one
// (the frames of a chat, a millisecond or more apart on each poller) the pause gathers nothing:
// it only cost a sleep, and the thread's switch out and back in, for each frame.
const (
	pollBatch = 64
	pollPause = 100 * time.Microsecond
	burstGap  = 2 * pollPause
)

// inBurst says whether a wait for bytes that began at waited and ended at woke shows a burst.
func inBurst(waited, woke time.Time) bool { return woke.Sub(waited) < burstGap }

// poller reads the sockets handed to it on a thread of its own with a level-triggered epoll
// set. The sockets are out of Go's poller (detach), which would otherwise wake for every frame.
type poller struct {
	epfd, stopfd int

	mu      sync.Mutex
	watched []func() // by descriptor: what to do when it is readable
	ended   bool     // run has returned and closed epfd and stopfd, whose numbers may be reused

	pauses atomic.Int64 // pollPauses taken, for the tests
}

func newPoller() (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	stopfd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, os.NewSyscallError("eventfd2", errno)
	}
	p := &poller{epfd: epfd, stopfd: int(stopfd)}
	if err := p.add(p.stopfd); err != nil {
		syscall.Close(epfd)
		syscall.Close(p.stopfd)
		return nil, err
	}
	return p, nil
}

func (p *poller) add(fd int) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}
	return os.NewSyscallError("epoll_ctl", syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &ev))
}

// run calls each readable socket's function until stop. A socket that still has bytes after its
// function ran is reported again on the next round.
func (p *poller) run() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer p.end()
	addProcessors(1)
	defer addProcessors(-1)
	events := make([]syscall.EpollEvent, 256)
	pause := syscall.NsecToTimespec(int64(pollPause))
	for {
		waited := time.Now()
		n, errno := epollWaitHoldingProcessor(p.epfd, events)
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return os.NewSyscallError("epoll_wait", errno)
		}
		woke := time.Now()
		for _, ev := range events[:n] {
			if int(ev.Fd) == p.stopfd {
				return nil
			}
			// A descriptor closed meanwhile is no longer here; one whose number a new socket
			// took reads that socket, finds nothing, and waits for the next round.
			p.mu.Lock()
			var readable func()
			if int(ev.Fd) < len(p.watched) {
				readable = p.watched[ev.Fd]
			}
			p.mu.Unlock()
			if readable != nil {
				readable()
			}
		}
		if n < pollBatch && inBurst(waited, woke) {
			p.pauses.Add(1)
			sleepHoldingProcessor(&pause)
		}
	}
}

// The poller's pauses and waits are made without the scheduler's bookkeeping around a system
// call that blocks. Through it, each pause of 100 µs and each wait for a socket, thousands a
// second, was long enough for the runtime's monitor thread to hand the poller's processor to
// another thread, and while it kept finding such calls it woke every 20 µs: a quarter of the
// bench's CPU in the messaging phase (docs/benchmarks.md, round thirty-three). The poller keeps
// its processor instead, and adds one to GOMAXPROCS while it runs (addProcessors), so that the
// bench's other goroutines keep as many as before. A wait ends after pollWaitMS at the latest:
// stopping the world (a collection, reading the memory statistics) waits for every processor,
// this one too.
const pollWaitMS = 10

// epollWaitHoldingProcessor waits up to pollWaitMS for the poller's sockets (as epoll_pwait
// with no signal mask: not every architecture has epoll_wait).
func epollWaitHoldingProcessor(epfd int, events []syscall.EpollEvent) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), pollWaitMS, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(n), 0
}

// sleepHoldingProcessor sleeps for the pause.
func sleepHoldingProcessor(pause *syscall.Timespec) {
	left := *pause // an interrupted sleep leaves what remains of it here
	for {
		_, _, e := syscall.RawSyscall(syscall.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&left)), uintptr(unsafe.Pointer(&left)), 0)
		if e != syscall.EINTR {
			return
		}
	}
}

// processors serialises the pollers' changes of GOMAXPROCS: a read and a write each.
var processors sync.Mutex

// addProcessors changes GOMAXPROCS by n.
func addProcessors(n int) {
	processors.Lock()
	defer processors.Unlock()
	runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + n)
}

// end closes the poller's descriptors once run returns; from then on the poller takes no socket.
func (p *poller) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ended = true
	syscall.Close(p.epfd)
	syscall.Close(p.stopfd)
}

// stop ends run; a socket still watched gets no more reads. Stopping a stopped poller does
// nothing.
func (p *poller) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.ended {
		one := [8]byte{1}
		syscall.Write(p.stopfd, one[:])
	}
}

// watch has readable called on the poller's thread whenever c has bytes or has ended, until c
// is closed.
func (p *poller) watch(c *fdConn, readable func()) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ended {
		return net.ErrClosed
	}
	if err := p.add(c.fd); err != nil {
		return err
	}
	if c.fd >= len(p.watched) {
		p.watched = append(p.watched, make([]func(), c.fd+1-len(p.watched))...)
	}
	p.watched[c.fd] = readable
	c.poller = p
	return nil
}

// unwatch takes fd out of the poller before it is closed.
func (p *poller) unwatch(fd int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.watched[fd] = nil
	if !p.ended {
		syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	}
}

// fdConn is a visitor's socket once the bench's poller reads it: a non-blocking descriptor of
// its own. Reads never wait (the poller calls them when there are bytes); writes wait for room
// until their deadline.
type fdConn struct {
	mu     sync.RWMutex // held for reading by each use of fd, so that closing it waits for them
	fd     int
	closed bool
	poller *poller // the one watching it, if any

	deadline time.Time // of writes; set and used under wsConn's write lock
}

// detach takes nc's socket out of Go's poller: a duplicate descriptor keeps it open and nc is
// closed. The duplicate shares nc's non-blocking mode.
func detach(nc net.Conn) (*fdConn, error) {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	var dup uintptr
	var errno syscall.Errno
	if err := raw.Control(func(fd uintptr) {
		dup, _, errno = syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if errno != 0 {
		return nil, os.NewSyscallError("fcntl", errno)
	}
	nc.Close()
	return &fdConn{fd: int(dup)}, nil
}

// Read reads what the socket holds without waiting: errNothingToRead when it holds nothing, io.EOF
// at the end of the stream.
func (c *fdConn) Read(b []byte) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	for {
		// The descriptor is non-blocking: the scheduler's bookkeeping around a system call that
		// may block is not needed.
		n, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(c.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			return 0, errNothingToRead
		case errno != 0:
			return 0, os.NewSyscallError("read", errno)
		case n == 0:
			return 0, io.EOF
		}
		return int(n), nil
	}
}

func (c *fdConn) SetWriteDeadline(t time.Time) error {
	c.deadline = t
	return nil
}

// writeWait is how long a write whose socket is full sleeps before it tries again; the bench's
// frames are small and a full socket is a server that stopped reading.
const writeWait = time.Millisecond

func (c *fdConn) Write(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n, err := c.writeNow(b[written:])
		written += n
		switch {
		case err == syscall.EAGAIN:
			if !c.deadline.IsZero() && time.Now().After(c.deadline) {
				return written, os.ErrDeadlineExceeded
			}
			time.Sleep(writeWait)
		case err != nil:
			return written, err
		}
	}
	return written, nil
}

func (c *fdConn) writeNow(b []byte) (int, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(c.fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	switch {
	case errno == syscall.EAGAIN || errno == syscall.EINTR:
		return 0, syscall.EAGAIN
	case errno != 0:
		return 0, os.NewSyscallError("write", errno)
	}
	return int(n), nil
}

// Close takes the socket out of its poller and closes it; once it returns, no read or write of
// the descriptor is under way.
func (c *fdConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	if c.poller != nil {
		c.poller.unwatch(c.fd)
	}
	return syscall.Close(c.fd)
}
