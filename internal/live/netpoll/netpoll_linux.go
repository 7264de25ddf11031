package netpoll

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Poller is an epoll instance. It is itself registered with Go's network poller, so waiting on
// it parks one goroutine rather than holding an OS thread, and Close wakes that goroutine.
type Poller struct {
	file *os.File
	raw  syscall.RawConn

	mu      sync.Mutex
	watches map[uint64]*Watch // by the id carried in each epoll event
	next    uint64
	closed  bool
}

// Watch is one watched connection. Its id, not its file descriptor, names it in epoll events:
// a descriptor number is reused as soon as its connection closes.
type Watch struct {
	p   *Poller
	id  uint64
	raw syscall.RawConn
	fn  Readable
}

// New makes a poller; Run must be running for watches to fire.
func New() (*Poller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, os.NewSyscallError("setnonblock", err)
	}
	file := os.NewFile(uintptr(fd), "epoll")
	// os.NewFile hands a non-blocking descriptor to the runtime's poller when it can; a file
	// that takes no deadline was not, and waiting on it would block a thread.
	if err := file.SetReadDeadline(time.Time{}); err != nil {
		file.Close()
		return nil, ErrUnsupported
	}
	raw, err := file.SyscallConn()
	if err != nil {
		file.Close()
		return nil, err
	}
	return &Poller{file: file, raw: raw, watches: map[uint64]*Watch{}}, nil
}

// Run calls the Readable of every connection that becomes readable, on Run's goroutine, until
// Close.
func (p *Poller) Run() error {
	events := make([]syscall.EpollEvent, 512)
	var ready []*Watch
	for {
		var waitErr error
		err := p.raw.Read(func(fd uintptr) bool {
			n, err := epollWaitNow(int(fd), events)
			for err == syscall.EINTR {
				n, err = epollWaitNow(int(fd), events)
			}
			if err != nil {
				waitErr = err
				return true
			}
			if n == 0 {
				return false // nothing ready: park until the epoll descriptor is readable
			}
			ready = p.lookup(events[:n], ready[:0])
			return true
		})
		if err != nil {
			if p.isClosed() {
				return nil
			}
			return err
		}
		if waitErr != nil {
			return os.NewSyscallError("epoll_wait", waitErr)
		}
		for i, w := range ready {
			w.fn()
			ready[i] = nil
		}
	}
}

// epollWaitNow is epoll_wait with no timeout (as epoll_pwait with no signal mask: not every
// architecture has epoll_wait). It cannot block, so it skips the scheduler's bookkeeping around
// a system call, which would also wake the runtime's monitor thread each time one heartbeat
// wakes an idle server.
func epollWaitNow(epfd int, events []syscall.EpollEvent) (int, error) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func (p *Poller) lookup(events []syscall.EpollEvent, ready []*Watch) []*Watch {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ev := range events {
		if w := p.watches[uint64(uint32(ev.Fd))|uint64(uint32(ev.Pad))<<32]; w != nil {
			ready = append(ready, w)
		}
	}
	return ready
}

func (p *Poller) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// Close stops Run. Watched connections stay open; their watches no longer fire.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.watches = map[uint64]*Watch{}
	p.mu.Unlock()
	return p.file.Close()
}

// Watch arms c: fn runs once, on a new goroutine, when c has bytes to read (at once if it
// already has). The connection must expose its descriptor (a *net.TCPConn does).
func (p *Poller) Watch(c net.Conn, fn Readable) (*Watch, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil, ErrUnsupported
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.next++
	w := &Watch{p: p, id: p.next, raw: raw, fn: fn}
	p.watches[w.id] = w
	p.mu.Unlock()
	if err := w.ctl(syscall.EPOLL_CTL_ADD); err != nil {
		w.forget()
		return nil, err
	}
	return w, nil
}

// Rearm asks for the next call of the Readable. Bytes that are already waiting fire it at once.
func (w *Watch) Rearm() error {
	return w.ctl(syscall.EPOLL_CTL_MOD)
}

// Remove stops watching. A connection that was closed is out of epoll already.
func (w *Watch) Remove() {
	w.ctl(syscall.EPOLL_CTL_DEL)
	w.forget()
}

func (w *Watch) forget() {
	w.p.mu.Lock()
	delete(w.p.watches, w.id)
	w.p.mu.Unlock()
}

// ctl runs epoll_ctl while both descriptors are held open, so that neither number can be
// closed and reused by another connection in the meantime.
func (w *Watch) ctl(op int) error {
	var ctlErr error
	epollErr := w.p.raw.Control(func(epfd uintptr) {
		connErr := w.raw.Control(func(fd uintptr) {
			ev := syscall.EpollEvent{
				Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT,
				Fd:     int32(uint32(w.id)),
				Pad:    int32(uint32(w.id >> 32)),
			}
			ctlErr = syscall.EpollCtl(int(epfd), op, int(fd), &ev)
		})
		if connErr != nil {
			ctlErr = ErrClosed
		}
	})
	switch {
	case epollErr != nil, errors.Is(ctlErr, ErrClosed):
		return ErrClosed
	case ctlErr != nil:
		return os.NewSyscallError("epoll_ctl", ctlErr)
	}
	return nil
}
