package bench

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
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
	pong := make(chan struct{}, 1)
	s := &socket{kind: kindVisitor, handle: func(data []byte) {
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
