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
