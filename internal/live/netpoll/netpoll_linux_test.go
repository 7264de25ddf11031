package netpoll

import (
	"net"
	"testing"
	"time"
)

func newPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run() }()
	t.Cleanup(func() {
		p.Close()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return p
}

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func signal() (chan struct{}, Readable) {
	ch := make(chan struct{}, 16)
	return ch, func() { ch <- struct{}{} }
}

func expect(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: not woken", what)
	}
}

func expectNothing(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
		t.Fatalf("%s: woken", what)
	case <-time.After(100 * time.Millisecond):
	}
}

// watched opens a connection and watches its server end.
func watched(t *testing.T, p *Poller) (w *Watch, woken chan struct{}, server, client net.Conn) {
	t.Helper()
	server, client = pair(t)
	woken, fn := signal()
	w, err := p.Watch(server, fn)
	if err != nil {
		t.Fatal(err)
	}
	return w, woken, server, client
}

func TestWakesOncePerArmingWhenBytesArrive(t *testing.T) {
	w, woken, server, client := watched(t, newPoller(t))
	expectNothing(t, woken, "silent connection")

	client.Write([]byte("ab"))
	expect(t, woken, "bytes arrived")
	client.Write([]byte("cd"))
	expectNothing(t, woken, "not rearmed yet")

	// Bytes already waiting fire a rearmed watch at once; reading them all leaves it quiet.
	if err := w.Rearm(); err != nil {
		t.Fatal(err)
	}
	expect(t, woken, "rearmed with bytes waiting")
	buf := make([]byte, 8)
	if n, _ := server.Read(buf); n != 4 {
		t.Fatalf("read %d bytes, want 4", n)
	}
	w.Rearm()
	expectNothing(t, woken, "rearmed, nothing waiting")

	client.Close()
	expect(t, woken, "peer closed")
}

func TestRemovedAndClosedConnectionsDoNotFire(t *testing.T) {
	w, woken, server, client := watched(t, newPoller(t))
	w.Remove()
	client.Write([]byte("x"))
	expectNothing(t, woken, "removed watch")

	server.Close()
	if err := w.Rearm(); err != ErrClosed {
		t.Fatalf("Rearm on a closed connection: %v, want ErrClosed", err)
	}
}

// A descriptor number freed by one connection and taken by the next must wake the new
// connection's watch, never the old one's.
func TestReusedDescriptorWakesItsNewConnection(t *testing.T) {
	p := newPoller(t)
	first, _ := pair(t)
	oldWoken, oldFn := signal()
	if _, err := p.Watch(first, oldFn); err != nil {
		t.Fatal(err)
	}
	first.Close()
	second, client := pair(t)
	newWoken, newFn := signal()
	if _, err := p.Watch(second, newFn); err != nil {
		t.Fatal(err)
	}
	client.Write([]byte("x"))
	expect(t, newWoken, "new connection")
	expectNothing(t, oldWoken, "old connection")
}

func TestWatchAfterCloseFails(t *testing.T) {
	p, err := New()
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	server, _ := pair(t)
	if _, err := p.Watch(server, func() {}); err != ErrClosed {
		t.Fatalf("Watch after Close: %v, want ErrClosed", err)
	}
}

func TestConnectionWithoutDescriptorIsRefused(t *testing.T) {
	p := newPoller(t)
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if _, err := p.Watch(a, func() {}); err != ErrUnsupported {
		t.Fatalf("Watch(net.Pipe): %v, want ErrUnsupported", err)
	}
}
