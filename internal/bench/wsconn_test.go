package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The bench's client is checked against another implementation of the protocol, as the server.
func wsServer(t *testing.T, handle func(ctx context.Context, ws *websocket.Conn)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ws, err := websocket.Accept(w, req, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(1 << 20)
		handle(req.Context(), ws)
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/live?token=t"
}

func mustDial(t *testing.T, url string) *wsConn {
	t.Helper()
	c, err := dialWS(context.Background(), http.DefaultClient, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.closeNow() })
	return c
}

// Messages of every length class of the framing (7-bit, 16-bit, 64-bit) arrive whole and in
// order, also those larger than the read buffer, and the small ones after them still do.
func TestWSConnReadsMessagesOfEverySize(t *testing.T) {
	sizes := []int{0, 1, 125, 126, 1000, wsReadBuffer, wsReadBuffer + 1, 65535, 65536, readLimit, 17}
	url := wsServer(t, func(ctx context.Context, ws *websocket.Conn) {
		for _, n := range sizes {
			if ws.Write(ctx, websocket.MessageText, payloadOf(n)) != nil {
				return
			}
		}
		ws.Read(ctx) // until the client goes
	})
	c := mustDial(t, url)
	for _, n := range sizes {
		got, err := c.read()
		if err != nil {
			t.Fatalf("reading the %d-byte message: %v", n, err)
		}
		if !bytes.Equal(got, payloadOf(n)) {
			t.Fatalf("the %d-byte message came back as %d bytes, or changed", n, len(got))
		}
	}
}

func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}

// The client's frames are masked as the protocol requires (the other implementation refuses
// unmasked ones), in every length class.
func TestWSConnWritesMaskedFramesTheServerAccepts(t *testing.T) {
	sizes := []int{0, 15, 125, 126, 70000}
	got := make(chan []byte, len(sizes))
	url := wsServer(t, func(ctx context.Context, ws *websocket.Conn) {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			got <- data
		}
	})
	c := mustDial(t, url)
	for _, n := range sizes {
		if err := c.writeText(payloadOf(n), time.Now().Add(5*time.Second)); err != nil {
			t.Fatal(err)
		}
		select {
		case data := <-got:
			if !bytes.Equal(data, payloadOf(n)) {
				t.Fatalf("the server read %d bytes for a %d-byte message, or other bytes", len(data), n)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("the server never read the %d-byte message", n)
		}
	}
}

// A server's ping is answered while the client reads; the server's close comes back as its code
// and reason, and the client answers it so that the server's close completes.
func TestWSConnAnswersPingAndClose(t *testing.T) {
	closed := make(chan error, 1)
	url := wsServer(t, func(ctx context.Context, ws *websocket.Conn) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ws.CloseRead(ctx) // the pong is read by a reader of the server's, which this starts
		if err := ws.Ping(ctx); err != nil {
			closed <- err
			return
		}
		closed <- ws.Close(websocket.StatusGoingAway, "node shutting down")
	})
	c := mustDial(t, url)
	_, err := c.read()
	var ce closeError
	if !errors.As(err, &ce) || ce.Code != 1001 || ce.Reason != "node shutting down" {
		t.Fatalf("read: %v, want the server's close 1001 \"node shutting down\"", err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("the server's ping or close did not complete: %v", err)
	}
}

// rawServer answers the handshake correctly and then writes exactly what write is given, so that
// frames can arrive in the same read as the answer, in pieces, or broken.
func rawServer(t *testing.T, write func(conn net.Conn, answer []byte)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				answer := []byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
					acceptKey(req.Header.Get("Sec-WebSocket-Key")) + "\r\n\r\n")
				write(conn, answer)
				conn.Read(make([]byte, 1)) // until the client goes
			}()
		}
	}()
	return "ws://" + ln.Addr().String() + "/live"
}

func textFrame(payload string) []byte {
	return append([]byte{0x81, byte(len(payload))}, payload...)
}

// The server's hello often travels in the same segment as its 101 answer; it must not be lost
// with the handshake's buffer. Frames cut anywhere, and a message in fragments with a ping
// between them, are put back together.
func TestWSConnFramesAcrossReads(t *testing.T) {
	hello, pong := `{"type":"hello"}`, `{"type":"pong"}`
	url := rawServer(t, func(conn net.Conn, answer []byte) {
		conn.Write(append(answer, textFrame(hello)...))
		for _, b := range textFrame(pong) {
			conn.Write([]byte{b})
			time.Sleep(time.Millisecond)
		}
		conn.Write([]byte{0x01, 3, 'o', 'n', 'e'})      // first fragment, not final
		conn.Write([]byte{0x89, 2, 'h', 'i'})           // a ping between fragments
		conn.Write([]byte{0x80, 4, ' ', 't', 'w', 'o'}) // the final continuation
	})
	c := mustDial(t, url)
	for _, want := range []string{hello, pong, "one two"} {
		got, err := c.read()
		if err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
}

func TestWSConnRefusesWhatNoServerShouldSend(t *testing.T) {
	for _, tc := range []struct {
		name  string
		frame []byte
	}{
		{"masked frame", []byte{0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2}},
		{"reserved bit", []byte{0xc1, 1, 'x'}},
		{"unknown opcode", []byte{0x83, 1, 'x'}},
		{"fragmented control frame", []byte{0x09, 0}},
		{"continuation of nothing", []byte{0x80, 1, 'x'}},
		{"frame over the read limit", []byte{0x82, 127, 0, 0, 0, 0, 0x10, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := rawServer(t, func(conn net.Conn, answer []byte) { conn.Write(append(answer, tc.frame...)) })
			c := mustDial(t, url)
			if _, err := c.read(); !errors.Is(err, errProtocol) {
				t.Fatalf("read: %v, want a protocol error", err)
			}
		})
	}
}

func TestWSConnHandshakeFailures(t *testing.T) {
	refused := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Error(w, "unknown token", http.StatusUnauthorized)
	}))
	defer refused.Close()
	_, err := dialWS(context.Background(), http.DefaultClient, "ws"+strings.TrimPrefix(refused.URL, "http")+"/live")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("dial refused with 401: %v, want an error naming the status", err)
	}

	wrongKey := rawServer(t, func(conn net.Conn, _ []byte) {
		conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"))
	})
	if _, err := dialWS(context.Background(), http.DefaultClient, wrongKey); err == nil || !strings.Contains(err.Error(), "Sec-WebSocket-Accept") {
		t.Errorf("dial with a wrong accept key: %v", err)
	}

	silent := rawServer(t, func(net.Conn, []byte) {})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := dialWS(ctx, http.DefaultClient, silent); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("dial to a server that never answers: %v, want the context's deadline", err)
	}
}

// Closing from the bench's side ends a blocked read with net.ErrClosed, which the reader
// tells apart from the server closing.
func TestWSConnCloseNowEndsTheRead(t *testing.T) {
	url := wsServer(t, func(ctx context.Context, ws *websocket.Conn) { ws.Read(ctx) })
	c := mustDial(t, url)
	done := make(chan error, 1)
	go func() {
		_, err := c.read()
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	c.closeNow()
	select {
	case err := <-done:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after closeNow: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read still blocked after closeNow")
	}
}
