package bench

import (
	"errors"
	"net"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// A poller that has stopped takes no socket, and neither stopping it again nor closing a socket
// it watched touches its descriptors' numbers, which the process may have given to new files.
func TestStoppedPollerLetsGoOfItsDescriptors(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- p.run() }()
	url := rawServer(t, func(conn net.Conn, answer []byte) { conn.Write(answer) })
	watched, err := mustDial(t, url).pollWith(func() {})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.watch(watched, func() {}); err != nil {
		t.Fatal(err)
	}
	p.stop()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the poller did not stop")
	}

	// The lowest free numbers are the poller's, just closed: a new pipe takes them.
	var pipe [2]int
	if err := syscall.Pipe2(pipe[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(pipe[0])
	defer syscall.Close(pipe[1])
	if pipe[1] != p.stopfd {
		t.Logf("the pipe took %v, the poller had %d and %d", pipe, p.epfd, p.stopfd)
	}
	p.stop()
	if err := watched.Close(); err != nil {
		t.Fatalf("closing a socket the stopped poller watched: %v", err)
	}
	if n, _ := syscall.Read(pipe[0], make([]byte, 8)); n > 0 {
		t.Fatal("stopping a stopped poller wrote to a descriptor that is no longer its own")
	}

	another, err := mustDial(t, url).pollWith(func() {})
	if err != nil {
		t.Fatal(err)
	}
	defer another.Close()
	if err := p.watch(another, func() {}); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("a stopped poller took a socket: %v", err)
	}
}

// A running poller keeps its processor through its pauses, so it adds one to GOMAXPROCS for the
// bench's other goroutines, and gives it back when it stops.
func TestPollerAddsAProcessorWhileItRuns(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- p.run() }()
	waitForProcessors(t, before+1)
	p.stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	waitForProcessors(t, before)
}

func waitForProcessors(t *testing.T, want int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if runtime.GOMAXPROCS(0) == want {
			return
		}
	}
	t.Fatalf("GOMAXPROCS %d, want %d", runtime.GOMAXPROCS(0), want)
}

// The poller's pause sleeps at least as long as asked, and an interrupted one goes on with what
// is left of it without changing the pause itself.
func TestPauseSleepsItsLengthAndKeepsIt(t *testing.T) {
	pause := syscall.NsecToTimespec(int64(20 * time.Millisecond))
	want := pause
	for range 3 {
		start := time.Now()
		sleepHoldingProcessor(&pause)
		if slept := time.Since(start); slept < 20*time.Millisecond {
			t.Fatalf("slept %v of 20ms", slept)
		}
		if pause != want {
			t.Fatalf("the pause became %+v", pause)
		}
	}
}

// socketPairs makes n connected pairs of non-blocking Unix sockets: one end of each to watch,
// the other to write to. They are closed when the test ends.
func socketPairs(t *testing.T, n int) (watched, written []int) {
	t.Helper()
	for range n {
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Close(pair[0]); syscall.Close(pair[1]) })
		watched, written = append(watched, pair[0]), append(written, pair[1])
	}
	return watched, written
}

// watchFD has readable called for fd as p.watch does for a socket.
func watchFD(t *testing.T, p *poller, fd int, readable func()) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.add(fd); err != nil {
		t.Fatal(err)
	}
	if fd >= len(p.watched) {
		p.watched = append(p.watched, make([]func(), fd+1-len(p.watched))...)
	}
	p.watched[fd] = readable
}

// The poller pauses to gather frames only in a burst, when bytes are there as soon as it waits:
// frames far apart, as a chat's are, cost it no sleep each, while frames that come on each
// other's heels still make it pause.
func TestPollerPausesOnlyInABurst(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- p.run() }()
	defer func() {
		p.stop()
		if err := <-ran; err != nil {
			t.Error(err)
		}
	}()
	const chain = 20
	watched, written := socketPairs(t, chain)
	handled := make(chan int, chain)
	for i, fd := range watched {
		watchFD(t, p, fd, func() {
			var buf [16]byte
			syscall.Read(fd, buf[:])
			// In a chain, the next socket's byte is written before the poller waits again.
			if i > 0 && i < chain-1 {
				syscall.Write(written[i+1], []byte{1})
			}
			handled <- i
		})
	}

	const sparse = 10
	for range sparse {
		time.Sleep(20 * time.Millisecond)
		syscall.Write(written[0], []byte{1})
		if i := <-handled; i != 0 {
			t.Fatalf("socket %d handled, want 0", i)
		}
	}
	if n := p.pauses.Load(); n >= sparse/2 {
		t.Errorf("%d pauses for %d frames 20 ms apart, want hardly any", n, sparse)
	}

	before := p.pauses.Load()
	syscall.Write(written[1], []byte{1})
	for range chain - 1 {
		select {
		case <-handled:
		case <-time.After(5 * time.Second):
			t.Fatal("the chain of frames stopped")
		}
	}
	if p.pauses.Load() == before {
		t.Errorf("no pause in a chain of %d frames each there as the poller waited", chain-1)
	}
}
