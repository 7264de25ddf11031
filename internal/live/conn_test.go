package live

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/live/ws"
)

// socketPairs opens n WebSockets on loopback and returns the server's conns, not registered
// with any hub, and the clients' raw sockets with their readers. sendBuffer, when set, shrinks
// the server's socket send buffers.
func socketPairs(tb testing.TB, n, sendBuffer int) ([]*conn, []net.Conn, []*bufio.Reader) {
	tb.Helper()
	accepted := make(chan *conn, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		socket, err := ws.Upgrade(w, r, 1024)
		if err != nil {
			tb.Error(err)
			return
		}
		if sendBuffer > 0 {
			socket.NetConn().(*net.TCPConn).SetWriteBuffer(sendBuffer)
		}
		accepted <- newConn(socket)
	}))
	tb.Cleanup(srv.Close)
	conns := make([]*conn, n)
	clients := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range n {
		nc, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
		if err != nil {
			tb.Fatal(err)
		}
		nc.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
		br := bufio.NewReader(nc)
		if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			tb.Fatalf("handshake: %v %v", resp, err)
		}
		conns[i], clients[i], readers[i] = <-accepted, nc, br
	}
	tb.Cleanup(func() {
		for i := range n {
			conns[i].ws.CloseNow()
			clients[i].Close()
		}
	})
	return conns, clients, readers
}

// Frames that the socket cannot take at once (small buffers, a client not reading yet) arrive
// whole and in order: what a write leaves over goes first in the queue, ahead of later frames.
func TestFramesTheSocketCannotTakeAtOnceArriveWholeAndInOrder(t *testing.T) {
	conns, clients, readers := socketPairs(t, 1, 8<<10)
	c, nc, br := conns[0], clients[0], readers[0]

	// About 700 KiB: far more than the buffers, less than the queue's limit. Uneven sizes make
	// a write stop inside a frame.
	const frames = 120
	want := make([]string, frames)
	for i := range frames {
		want[i] = fmt.Sprintf(`{"n":%d,"pad":%q}`, i, strings.Repeat("x", 5000+37*i))
		c.enqueue(ws.TextFrame([]byte(want[i])))
	}
	c.mu.Lock()
	queued := len(c.queue) > 0 || c.writing
	c.mu.Unlock()
	if !queued {
		t.Fatal("every frame went out at once: the test did not fill the socket")
	}
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range frames {
		var head [4]byte
		if _, err := io.ReadFull(br, head[:4]); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if head[0] != 0x81 || head[1] != 126 {
			t.Fatalf("frame %d: header % x", i, head)
		}
		payload := make([]byte, binary.BigEndian.Uint16(head[2:4]))
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if string(payload) != want[i] {
			t.Fatalf("frame %d is not the %dth frame sent", i, i)
		}
	}
}

// BenchmarkFanOut sends one small frame to 2,000 loopback sockets per operation, as a presence
// change reaches every visitor; the clients are drained outside the timer.
func BenchmarkFanOut(b *testing.B) {
	conns, clients, _ := socketPairs(b, 2000, 0)
	frame := ws.TextFrame([]byte(`{"type":"presence","online":true}`))
	buf := make([]byte, 64<<10)
	drain := func() {
		for _, nc := range clients {
			nc.SetReadDeadline(time.Now().Add(time.Millisecond))
			for {
				if _, err := nc.Read(buf); err != nil {
					break
				}
			}
		}
	}
	written := func() bool {
		for _, c := range conns {
			c.mu.Lock()
			busy := c.writing
			c.mu.Unlock()
			if busy {
				return false
			}
		}
		return true
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sendAll(conns, frame)
		for !written() {
			time.Sleep(10 * time.Microsecond)
		}
		if i%64 == 63 {
			b.StopTimer()
			drain()
			b.StartTimer()
		}
	}
}
