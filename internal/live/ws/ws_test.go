package ws

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// echoServer upgrades every request and echoes each message back, reporting read errors.
func echoServer(t *testing.T, limit int) (*httptest.Server, chan error) {
	errs := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, limit)
		if err != nil {
			http.Error(w, err.Error(), err.(*HandshakeError).Status)
			return
		}
		go func() {
			for {
				op, msg, err := c.ReadMessage()
				if err != nil {
					errs <- err
					return
				}
				c.WriteFrames([][]byte{Frame(op, msg)}, time.Second)
			}
		}()
	}))
	t.Cleanup(srv.Close)
	return srv, errs
}

// A standard client (coder/websocket) talks to this server: text, binary, large, ping, close.
func TestInteroperatesWithAStandardClient(t *testing.T) {
	srv, errs := echoServer(t, 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http", "ws", 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(2 << 20)
	for _, msg := range []string{"hello", strings.Repeat("é", 200), strings.Repeat("x", 70000)} {
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.Read(ctx)
		if err != nil || typ != websocket.MessageText || string(got) != msg {
			t.Fatalf("echo of %d bytes: %v %d bytes, %v", len(msg), typ, len(got), err)
		}
	}
	go c.Read(ctx) // Ping needs a reader for the pong
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("ping: %v", err)
	}
	c.Close(websocket.StatusNormalClosure, "bye")
	var ce *CloseError
	if err := <-errs; !asClose(err, &ce) || ce.Code != 1000 || ce.Reason != "bye" {
		t.Fatalf("server saw %v, want a normal close with reason", err)
	}
}

func asClose(err error, target **CloseError) bool {
	e, ok := err.(*CloseError)
	*target = e
	return ok
}

// rawClient does the handshake over plain TCP and then writes hand-made frames.
func rawClient(t *testing.T, url string, extra []byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	// extra is sent in the same write as the handshake, as a client that does not wait would.
	if _, err := nc.Write(append([]byte(req), extra...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
	}
	return nc, br
}

func clientFrame(fin bool, op byte, payload []byte, masked bool) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	f := []byte{b0}
	maskBit := byte(0)
	if masked {
		maskBit = 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		f = append(f, maskBit|byte(n))
	case n <= 0xFFFF:
		f = append(f, maskBit|126, byte(n>>8), byte(n))
	default:
		var l [8]byte
		binary.BigEndian.PutUint64(l[:], uint64(n))
		f = append(append(f, maskBit|127), l[:]...)
	}
	if !masked {
		return append(f, payload...)
	}
	key := []byte{1, 2, 3, 4}
	f = append(f, key...)
	for i, b := range payload {
		f = append(f, b^key[i&3])
	}
	return f
}

func readServerFrame(t *testing.T, br *bufio.Reader) (op byte, payload []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatal(err)
	}
	n := int(h[1] & 0x7F)
	switch n {
	case 126:
		var l [2]byte
		io.ReadFull(br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	case 127:
		var l [8]byte
		io.ReadFull(br, l[:])
		n = int(binary.BigEndian.Uint64(l[:]))
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0F, payload
}

func TestFramesOnTheWire(t *testing.T) {
	srv, _ := echoServer(t, 64)
	t.Run("a frame right behind the handshake is read", func(t *testing.T) {
		_, br := rawClient(t, srv.URL, clientFrame(true, OpText, []byte("early"), true))
		if op, p := readServerFrame(t, br); op != OpText || string(p) != "early" {
			t.Fatalf("got %d %q", op, p)
		}
	})
	t.Run("fragments are joined, with a ping between them", func(t *testing.T) {
		nc, br := rawClient(t, srv.URL, nil)
		nc.Write(clientFrame(false, OpText, []byte("frag"), true))
		nc.Write(clientFrame(true, opPing, []byte("p"), true))
		nc.Write(clientFrame(true, opContinuation, []byte("ment"), true))
		if op, p := readServerFrame(t, br); op != opPong || string(p) != "p" {
			t.Fatalf("first answer %d %q, want the pong", op, p)
		}
		if op, p := readServerFrame(t, br); op != OpText || string(p) != "fragment" {
			t.Fatalf("got %d %q", op, p)
		}
	})
	for _, tc := range []struct {
		name  string
		frame []byte
		code  int
	}{
		{"unmasked frame", clientFrame(true, OpText, []byte("x"), false), CloseProtocolError},
		{"message over the limit", clientFrame(true, OpText, []byte(strings.Repeat("x", 65)), true), CloseTooBig},
		{"text that is not UTF-8", clientFrame(true, OpText, []byte{0xff, 0xfe}, true), CloseInvalidData},
		{"fragmented control frame", clientFrame(false, opPing, []byte("x"), true), CloseProtocolError},
		{"continuation without a start", clientFrame(true, opContinuation, []byte("x"), true), CloseProtocolError},
		{"unknown opcode", clientFrame(true, 0x3, nil, true), CloseProtocolError},
		{"reserved bits", append([]byte{0xC1}, clientFrame(true, OpText, []byte("x"), true)[1:]...), CloseProtocolError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, br := rawClient(t, srv.URL, tc.frame)
			op, p := readServerFrame(t, br)
			if op != opClose || len(p) < 2 || int(binary.BigEndian.Uint16(p)) != tc.code {
				t.Fatalf("got %d %v, want close %d", op, p, tc.code)
			}
		})
	}
}

func TestHandshakeRefusals(t *testing.T) {
	srv, _ := echoServer(t, 64)
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"plain GET", nil, http.StatusUpgradeRequired},
		{"old version", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}, http.StatusUpgradeRequired},
		{"bad key", map[string]string{"Connection": "keep-alive, Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "short"}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
		})
	}
}

func TestFrameEncodingLengths(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536} {
		f := Frame(OpText, make([]byte, n))
		_, p := readServerFrame(t, bufio.NewReader(strings.NewReader(string(f))))
		if len(p) != n || f[0] != 0x81 {
			t.Fatalf("length %d encoded as %d (first byte %x)", n, len(p), f[0])
		}
	}
}

// Frames appended one after another read back as separate messages, in order, whatever their
// header sizes.
func TestAppendedFramesReadBackInOrder(t *testing.T) {
	sizes := []int{3, 125, 126, 65536, 0, 70000}
	var wire []byte
	for i, n := range sizes {
		wire = AppendFrame(wire, OpText, bytes.Repeat([]byte{byte('a' + i)}, n))
	}
	br := bufio.NewReader(bytes.NewReader(wire))
	for i, n := range sizes {
		op, p := readServerFrame(t, br)
		if op != OpText || len(p) != n || (n > 0 && (p[0] != byte('a'+i) || p[n-1] != byte('a'+i))) {
			t.Fatalf("frame %d: op %x, %d bytes, want %d bytes of %q", i, op, len(p), n, rune('a'+i))
		}
	}
	if br.Buffered() != 0 {
		t.Fatalf("%d bytes left after the frames", br.Buffered())
	}
}

// FuzzReadMessage feeds arbitrary bytes after a valid handshake: the reader may refuse them,
// but must never panic or hang.
func FuzzReadMessage(f *testing.F) {
	f.Add(clientFrame(true, OpText, []byte(`{"type":"ping"}`), true))
	f.Add(clientFrame(false, OpText, []byte("a"), true))
	f.Add([]byte{0x81, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		server, client := net.Pipe()
		c := &Conn{nc: server, readLimit: 4096}
		go func() {
			client.Write(data)
			client.Close()
		}()
		go io.Copy(io.Discard, client)
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				break
			}
		}
		server.Close()
	})
}

// upgradedPair returns the server's end of one WebSocket and the raw client's.
func upgradedPair(t *testing.T) (*Conn, net.Conn, *bufio.Reader) {
	t.Helper()
	accepted := make(chan *Conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Upgrade(w, r, 1024)
		if err != nil {
			t.Error(err)
			return
		}
		accepted <- c
	}))
	t.Cleanup(srv.Close)
	nc, br := rawClient(t, srv.URL, nil)
	return <-accepted, nc, br
}

// TryWrite never waits: to a client that is not reading it writes what the socket takes and
// says how much, and the bytes that went out are the frame's, in order.
func TestTryWriteTakesWhatTheSocketTakesWithoutWaiting(t *testing.T) {
	c, nc, br := upgradedPair(t)

	frame := TextFrame([]byte(strings.Repeat("abcdefgh", 1<<17))) // 1 MiB: more than loopback buffers hold
	var sent []byte
	partial := false
	for range 64 {
		n, err := c.TryWrite(frame)
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, frame[:n]...)
		if n < len(frame) {
			partial = true
			break
		}
	}
	if !partial {
		t.Fatal("64 MiB went into a socket no one reads; TryWrite must have waited")
	}
	got := make([]byte, len(sent))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(br, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(sent) {
		t.Fatal("the bytes read are not the bytes TryWrite reported written")
	}
	c.CloseNow()
	if _, err := c.TryWrite(frame); err != ErrClosed {
		t.Fatalf("TryWrite after close: %v, want ErrClosed", err)
	}
}

// A write through the queue bounds itself with a deadline; long after it, a TryWrite (which
// sets none) still writes instead of meeting the old deadline expired.
func TestTryWriteLongAfterABoundedWrite(t *testing.T) {
	c, _, _ := upgradedPair(t)
	frame := TextFrame([]byte("hello"))
	if err := c.WriteFrames([][]byte{frame}, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // past the bounded write's deadline
	if n, err := c.TryWrite(frame); err != nil || n != len(frame) {
		t.Fatalf("TryWrite after the deadline: %d bytes, %v", n, err)
	}
}
