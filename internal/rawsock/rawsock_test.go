//go:build unix

package rawsock_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/portico/portico/internal/rawsock"
)

// pair is a raw connection and the plain TCP connection at its other end.
func pair(t *testing.T) (*rawsock.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := rawsock.Listen(ln).Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	dial := rawsock.Dialing((&net.Dialer{}).DialContext)
	plain, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	c := <-accepted
	raw, ok := c.(*rawsock.Conn)
	if !ok {
		t.Fatalf("the listener accepted a %T", c)
	}
	t.Cleanup(func() { raw.Close() })
	// A dialled connection is raw too.
	dialled, err := dial(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	dialled.Close()
	if _, ok := dialled.(*rawsock.Conn); !ok {
		t.Fatalf("the dialer made a %T", dialled)
	}
	return raw, plain
}

// More than the sockets' buffers hold goes both ways whole: a write that fills the socket waits
// for room and goes on where it stopped, and reads wait for what has not come yet.
func TestLargeWritesAndReadsArriveWhole(t *testing.T) {
	raw, plain := pair(t)
	payload := make([]byte, 16<<20)
	rand.Read(payload)
	for _, dir := range []struct {
		name string
		w    io.Writer
		r    io.Reader
	}{{"raw to plain", raw, plain}, {"plain to raw", plain, raw}} {
		written := make(chan error, 1)
		go func() {
			n, err := dir.w.Write(payload)
			if err == nil && n != len(payload) {
				err = io.ErrShortWrite
			}
			written <- err
		}()
		got := make([]byte, len(payload))
		if _, err := io.ReadFull(dir.r, got); err != nil {
			t.Fatalf("%s: read: %v", dir.name, err)
		}
		if err := <-written; err != nil {
			t.Fatalf("%s: write: %v", dir.name, err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("%s: the bytes read differ from those written", dir.name)
		}
	}
}

// A read waiting for bytes returns a timeout when another goroutine moves the deadline into the
// past: net/http wakes its background read so, and pgx cancels a query so. The error is the one
// a TCP connection gives.
func TestAWaitingReadEndsAtItsDeadline(t *testing.T) {
	raw, _ := pair(t)
	ended := make(chan error, 1)
	go func() {
		_, err := raw.Read(make([]byte, 1))
		ended <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := raw.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the read still waits 10 s after its deadline passed")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}
	if oe, ok := err.(*net.OpError); !ok || oe.Op != "read" {
		t.Fatalf("read past its deadline: %#v, want a *net.OpError of a read", err)
	}
	if err := raw.SetWriteDeadline(time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past its deadline: %v", err)
	}
}

// The peer's close is the end of the stream; the connection's own close, net.ErrClosed.
func TestEndOfStreamAndClosedConnection(t *testing.T) {
	raw, plain := pair(t)
	if _, err := plain.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	got, err := io.ReadAll(raw)
	if err != nil || string(got) != "bye" {
		t.Fatalf("read to the end: %q, %v", got, err)
	}
	if n, err := raw.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("read after the end: %d, %v; want io.EOF", n, err)
	}
	raw.Close()
	if _, err := raw.Read(make([]byte, 8)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read after close: %v, want net.ErrClosed", err)
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v, want net.ErrClosed", err)
	}
}

// A write to a connection the peer reset fails with the system's error.
func TestWriteToAResetConnectionFails(t *testing.T) {
	raw, plain := pair(t)
	plain.(*net.TCPConn).SetLinger(0)
	plain.Close()
	var err error
	deadline := time.Now().Add(10 * time.Second)
	for err == nil && time.Now().Before(deadline) {
		_, err = raw.Write(make([]byte, 64<<10))
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" {
		t.Fatalf("write to a reset connection: %v, want a write error", err)
	}
}

// Anything but a TCP connection is left as it is.
func TestWrapLeavesOtherConnectionsAlone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if got := rawsock.Wrap(a); got != a {
		t.Fatalf("Wrap(net.Pipe()) = %T, want the pipe itself", got)
	}
}
