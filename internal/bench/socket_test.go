package bench

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Each socket gets one ping per heartbeat period, and the pings of a period are spread over its
// ticks rather than sent a second's worth at once.
func TestPingsAreSpreadOverThePeriod(t *testing.T) {
	const sockets = 10000
	turns := pingTurns(25 * time.Second)
	if turns != 25*pingTicks {
		t.Fatalf("%d turns in a 25 s period, want %d", turns, 25*pingTicks)
	}
	pinged := make([]int, sockets)
	most := 0
	for turn := range turns {
		n := 0
		forEachDue(sockets, turn, turns, func(i int) { pinged[i]++; n++ })
		most = max(most, n)
	}
	for i, n := range pinged {
		if n != 1 {
			t.Fatalf("socket %d pinged %d times in one period, want once", i, n)
		}
	}
	if want := (sockets + turns - 1) / turns; most > want {
		t.Errorf("one tick pinged %d sockets, want at most %d", most, want)
	}
	if pingTurns(0) != pingTicks {
		t.Errorf("a heartbeat under a second: %d turns, want %d", pingTurns(0), pingTicks)
	}
}

// Stopping the pings while one is being written must not close that socket: coder/websocket
// closes a connection whose write context ends mid-frame, and the bench then counted an
// unexpected disconnect that the server never caused.
func TestStoppingPingsMidWriteKeepsTheSocket(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ws, err := websocket.Accept(w, req, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			_, data, err := ws.Read(req.Context())
			if err != nil {
				return
			}
			if bytes.Equal(data, pingFrame) {
				ws.Write(req.Context(), websocket.MessageText, []byte(`{"type":"pong"}`))
			}
		}
	}))
	defer srv.Close()

	var gate *gatedConn
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		gate = newGatedConn(c)
		return gate, nil
	}}}
	ctx := context.Background()
	ws, err := dial(ctx, client, wsURL(srv.URL, "/", "t"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRunner(Options{Heartbeat: time.Second, Concurrency: 1}, 0, 1)
	t.Cleanup(r.stopPollers)
	pong := make(chan struct{}, 1)
	s := &socket{kind: kindVisitor, handle: func(data []byte, _ time.Time) {
		if bytes.HasPrefix(data, framePong) {
			pong <- struct{}{}
		}
	}}
	gate.hold.Store(true)
	r.register(s, ws)

	pingCtx, stopPings := context.WithCancel(ctx)
	go r.pinger(pingCtx)
	<-gate.entered // the ping is being written
	stopPings()
	gate.hold.Store(false)
	close(gate.release)

	select {
	case <-pong:
	case <-time.After(10 * time.Second):
		t.Fatalf("no pong after stopping the pings; unexpected disconnects %d, problems %v", r.unexpected.Load(), r.problems.list())
	}
	r.closeAll()
	r.readers.Wait()
	if n := r.unexpected.Load(); n != 0 {
		t.Fatalf("%d unexpected disconnects: %v", n, r.problems.list())
	}
}

// gatedConn holds its writes while hold is set, until release is closed or the conn is.
type gatedConn struct {
	net.Conn
	hold      atomic.Bool
	entered   chan struct{}
	enterOnce sync.Once
	release   chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func newGatedConn(c net.Conn) *gatedConn {
	return &gatedConn{Conn: c, entered: make(chan struct{}), release: make(chan struct{}), closed: make(chan struct{})}
}

func (g *gatedConn) Write(p []byte) (int, error) {
	if g.hold.Load() {
		g.enterOnce.Do(func() { close(g.entered) })
		select {
		case <-g.release:
		case <-g.closed:
			return 0, net.ErrClosed
		}
	}
	return g.Conn.Write(p)
}

func (g *gatedConn) Close() error {
	g.closeOnce.Do(func() { close(g.closed) })
	return g.Conn.Close()
}

// polledRunner is a runner whose visitors' sockets the poller reads.
func polledRunner(t *testing.T) *runner {
	t.Helper()
	r := newRunner(Options{Heartbeat: time.Second, Concurrency: 1}, 0, 1)
	if len(r.pollers) == 0 {
		t.Skip("the bench's poller is Linux's epoll")
	}
	t.Cleanup(r.stopPollers)
	return r
}

// registerPolled dials url as the visitor s and registers it, and fails unless the poller reads
// it: out of Go's poller, with an end for its close.
func registerPolled(t *testing.T, r *runner, s *socket, url string) *wsConn {
	t.Helper()
	ws := mustDial(t, url)
	r.register(s, ws)
	ws.wmu.Lock()
	_, detached := ws.nc.(*fdConn)
	polled := detached && ws.afterClose != nil
	ws.wmu.Unlock()
	if !polled {
		t.Fatal("the visitor's socket is not on the poller")
	}
	return ws
}

// A visitor's socket read by the poller gets what a reader goroutine would: the hello that came
// in the same segment as the handshake's answer (the poller wakes only for bytes still in the
// socket), frames cut anywhere, a message in fragments with a ping between them. The server
// closing it is one unexpected disconnect.
func TestPolledVisitorSocketReadsWhatAGoroutineWould(t *testing.T) {
	hello, pong := `{"type":"hello"}`, `{"type":"pong"}`
	more, release := make(chan struct{}), make(chan struct{})
	url := rawServer(t, func(conn net.Conn, answer []byte) {
		conn.Write(append(answer, textFrame(hello)...))
		<-more
		for _, b := range textFrame(pong) {
			conn.Write([]byte{b})
			time.Sleep(time.Millisecond)
		}
		conn.Write([]byte{0x01, 3, 'o', 'n', 'e'})
		conn.Write([]byte{0x89, 2, 'h', 'i'})
		conn.Write([]byte{0x80, 4, ' ', 't', 'w', 'o'})
		<-release
		conn.Close()
	})
	r := polledRunner(t)
	got := make(chan string, 8)
	s := &socket{kind: kindVisitor, handle: func(data []byte, _ time.Time) { got <- string(data) }}
	registerPolled(t, r, s, url)
	for i, want := range []string{hello, pong, "one two"} {
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("handled %q, want %q", g, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%q never handled", want)
		}
		if i == 0 {
			close(more)
		}
	}
	close(release)
	r.awaitReaders() // a reader that never ends is a problem of its own
	if n := r.unexpected.Load(); n != 1 {
		t.Fatalf("%d unexpected disconnects after the server closed, want 1", n)
	}
	if p := r.problems.list(); len(p) != 1 || !strings.Contains(p[0], "closed by the server") {
		t.Fatalf("problems %q, want the server's close", p)
	}
}

// A polled socket closed by the bench gets no wake-up (it is out of epoll once closed), yet its
// reader ends, once, and it is no disconnect.
func TestPolledSocketClosedHereEnds(t *testing.T) {
	url := rawServer(t, func(conn net.Conn, answer []byte) { conn.Write(answer) })
	r := polledRunner(t)
	s := &socket{kind: kindVisitor, handle: func([]byte, time.Time) {}}
	ws := registerPolled(t, r, s, url)
	if n := r.closeAll(); n != 1 {
		t.Fatalf("closed %d sockets, want 1", n)
	}
	ws.closeNow() // a second close, as the test's cleanup also does, ends nothing twice
	r.awaitReaders()
	if n, p := r.unexpected.Load(), r.problems.list(); n != 0 || len(p) != 0 {
		t.Fatalf("%d unexpected disconnects, problems %q", n, p)
	}
}

// A polled socket is out of Go's poller, and the bench still writes on it: its heartbeat reaches
// the server and the answer comes back through the poller, and the server's WebSocket ping is
// answered from the poller's thread.
func TestPolledSocketWritesReachTheServer(t *testing.T) {
	pinged := make(chan error, 1)
	url := wsServer(t, func(ctx context.Context, ws *websocket.Conn) {
		_, data, err := ws.Read(ctx)
		if err != nil || !bytes.Equal(data, pingFrame) {
			return
		}
		ws.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
		// coder/websocket reads the client's pong only while a read is under way.
		go ws.Read(ctx)
		pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		pinged <- ws.Ping(pingCtx)
		<-ctx.Done()
	})
	r := polledRunner(t)
	got := make(chan string, 4)
	s := &socket{kind: kindVisitor, handle: func(data []byte, _ time.Time) { got <- string(data) }}
	ws := registerPolled(t, r, s, url)
	if err := ws.writeText(pingFrame, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-got:
		if g != `{"type":"pong"}` {
			t.Fatalf("handled %q, want the pong", g)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the heartbeat's answer never came")
	}
	if err := <-pinged; err != nil {
		t.Fatalf("the server's ping was not answered: %v", err)
	}
}

// A write to a polled socket whose server stopped reading waits for room until its deadline, then
// fails; it does not spin or hang.
func TestPolledSocketWriteGivesUpAtItsDeadline(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	url := rawServer(t, func(conn net.Conn, answer []byte) {
		conn.Write(answer)
		<-release
	})
	r := polledRunner(t)
	ws := registerPolled(t, r, &socket{kind: kindVisitor, handle: func([]byte, time.Time) {}}, url)
	start := time.Now()
	err := ws.writeText(make([]byte, 32<<20), start.Add(200*time.Millisecond))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a write that cannot finish: %v, want the deadline exceeded", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("gave up after %v, before its deadline", waited)
	}
}
