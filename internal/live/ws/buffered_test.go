package ws

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fillWhenSent fills c's buffer once the client's bytes have crossed loopback: Fill never waits.
func fillWhenSent(t *testing.T, c *Conn, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(c.in)-c.inPos < want {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes buffered, want %d", len(c.in)-c.inPos, want)
		}
		c.Fill()
		time.Sleep(time.Millisecond)
	}
}

// noFrameWithin fails if the server wrote anything to the client within d.
func noFrameWithin(t *testing.T, nc net.Conn, br *bufio.Reader, d time.Duration) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(d))
	if b, err := br.ReadByte(); err == nil {
		t.Fatalf("the server wrote %#x without being asked to", b)
	}
	nc.SetReadDeadline(time.Time{})
}

// Messages that arrived whole are read from one read of the socket; anything that needs the
// socket again or an answer is left, byte for byte, for ReadMessage.
func TestReadBufferedTakesWholeMessagesOnly(t *testing.T) {
	t.Run("two messages in one read, then nothing held", func(t *testing.T) {
		c, nc, _ := upgradedPair(t)
		one, two := clientFrame(true, OpText, []byte("one"), true), clientFrame(true, OpText, []byte("two"), true)
		nc.Write(append(one, two...))
		fillWhenSent(t, c, len(one)+len(two))
		for _, want := range []string{"one", "two"} {
			if op, p, err := c.ReadBuffered(); err != nil || op != OpText || string(p) != want {
				t.Fatalf("ReadBuffered: %d %q %v, want %q", op, p, err, want)
			}
		}
		if c.Buffered() || c.in != nil {
			t.Fatal("the buffer is still held after its bytes were read")
		}
		if _, _, err := c.ReadBuffered(); err != ErrNotBuffered {
			t.Fatalf("ReadBuffered with nothing buffered: %v", err)
		}
		if c.Fill() {
			t.Fatal("Fill reported bytes from a socket with none")
		}
	})
	t.Run("fragments that arrived together are joined", func(t *testing.T) {
		c, nc, _ := upgradedPair(t)
		f := append(clientFrame(false, OpText, []byte("frag"), true), clientFrame(true, opContinuation, []byte("ment"), true)...)
		nc.Write(f)
		fillWhenSent(t, c, len(f))
		if _, p, err := c.ReadBuffered(); err != nil || string(p) != "fragment" {
			t.Fatalf("ReadBuffered: %q %v", p, err)
		}
	})
	t.Run("part of a frame waits for the rest", func(t *testing.T) {
		c, nc, _ := upgradedPair(t)
		f := clientFrame(true, OpText, []byte("in two pieces"), true)
		nc.Write(f[:5])
		fillWhenSent(t, c, 5)
		if _, _, err := c.ReadBuffered(); err != ErrNotBuffered || !c.Buffered() {
			t.Fatalf("ReadBuffered on part of a frame: %v, buffered %v", err, c.Buffered())
		}
		// Asking again while the payload is not all here allocates nothing for it.
		if n := testing.AllocsPerRun(20, func() { c.ReadBuffered() }); n != 0 {
			t.Fatalf("ReadBuffered on part of a frame: %v allocations", n)
		}
		nc.Write(f[5:])
		if _, p, err := c.ReadMessage(); err != nil || string(p) != "in two pieces" {
			t.Fatalf("ReadMessage: %q %v", p, err)
		}
	})
	t.Run("a ping is left for ReadMessage to answer", func(t *testing.T) {
		c, nc, br := upgradedPair(t)
		f := append(clientFrame(true, opPing, []byte("p"), true), clientFrame(true, OpText, []byte("after"), true)...)
		nc.Write(f)
		fillWhenSent(t, c, len(f))
		if _, _, err := c.ReadBuffered(); err != ErrNotBuffered {
			t.Fatalf("ReadBuffered over a ping: %v", err)
		}
		noFrameWithin(t, nc, br, 50*time.Millisecond)
		if _, p, err := c.ReadMessage(); err != nil || string(p) != "after" {
			t.Fatalf("ReadMessage: %q %v", p, err)
		}
		if op, p := readServerFrame(t, br); op != opPong || string(p) != "p" {
			t.Fatalf("got %d %q, want the pong", op, p)
		}
	})
	t.Run("a bad frame is refused by ReadMessage, not by ReadBuffered", func(t *testing.T) {
		c, nc, br := upgradedPair(t)
		f := clientFrame(true, OpText, []byte(strings.Repeat("x", 2000)), true) // over the 1,024 limit
		nc.Write(f)
		fillWhenSent(t, c, len(f))
		if _, _, err := c.ReadBuffered(); err != ErrNotBuffered {
			t.Fatalf("ReadBuffered over a message too big: %v", err)
		}
		noFrameWithin(t, nc, br, 50*time.Millisecond)
		if _, _, err := c.ReadMessage(); err == nil {
			t.Fatal("ReadMessage took a message over the limit")
		}
		if op, _ := readServerFrame(t, br); op != opClose {
			t.Fatalf("got opcode %d, want close", op)
		}
	})
}

// A write that may wait holds the connection; TryWrite then writes nothing rather than wait.
func TestTryWriteDoesNotWaitForAWriteInProgress(t *testing.T) {
	c, _, br := upgradedPair(t)
	frame := TextFrame([]byte("hello"))
	c.writeMu.Lock()
	n, err := c.TryWrite(frame)
	c.writeMu.Unlock()
	if n != 0 || err != nil {
		t.Fatalf("TryWrite beside a write in progress: %d bytes, %v", n, err)
	}
	if n, err := c.TryWrite(frame); n != len(frame) || err != nil {
		t.Fatalf("TryWrite: %d bytes, %v", n, err)
	}
	if _, p := readServerFrame(t, br); string(p) != "hello" {
		t.Fatalf("got %q", p)
	}
}

// A fan-out writes a frame to every socket of an audience in a row: TryWrite allocates nothing
// for it (it used to allocate four times a frame). The race detector drops a quarter of what
// goes back to a sync.Pool, so there a write may allocate a new pooled call now and then.
func TestTryWriteAllocatesNothing(t *testing.T) {
	c, _, br := upgradedPair(t)
	go io.Copy(io.Discard, br)
	frame := TextFrame([]byte(`{"type":"presence","online":true}`))
	n := testing.AllocsPerRun(200, func() {
		if _, err := c.TryWrite(frame); err != nil {
			t.Fatal(err)
		}
	})
	if most := map[bool]float64{false: 0, true: 1}[raceEnabled]; n > most {
		t.Fatalf("TryWrite: %v allocations a frame, want at most %v", n, most)
	}
}
