package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// readLimit bounds one frame from the server; the largest the bench sees is a conversation event.
const readLimit = 64 << 10

const (
	kindVisitor = iota
	kindOperator
)

var kindNames = [2]string{"visitor", "operator"}

// socket is one live connection. Each has exactly one goroutine, its reader; heartbeats are
// written by the single pinger for all sockets. During a node restart the connection is
// replaced by a new one to the same node, so it is held behind an atomic pointer.
type socket struct {
	conn      atomic.Pointer[wsConn]
	closing   atomic.Bool // set before the bench closes it, so the reader knows the end was expected
	rejoining atomic.Bool // dropped by a restarting node, not yet greeted again

	kind   int
	node   string // base URL of the node it uses
	url    string // the WebSocket URL, to dial again after a restart
	client *http.Client
	handle func([]byte)
}

type visitorConn struct {
	socket
	http  *http.Client
	token string
}

type operatorConn struct {
	socket
	idx   int
	id    string
	http  *http.Client
	token string
}

// Frames are matched by their first bytes: the server encodes "type" first, and most frames
// need nothing more, so a visitor's reader decodes only message frames.
var (
	frameHello     = []byte(`{"type":"hello"`)
	framePong      = []byte(`{"type":"pong"`)
	framePresence  = []byte(`{"type":"presence"`)
	frameMessage   = []byte(`{"type":"message"`)
	frameReconnect = []byte(`{"type":"reconnect"`)
	onlineTrue     = []byte(`"online":true`)
	pingFrame      = []byte(`{"type":"ping"}`)
)

func dial(ctx context.Context, client *http.Client, url string) (*wsConn, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return dialWS(ctx, client, url)
}

func wsURL(base, path, token string) string {
	if len(base) > 4 && base[:4] == "http" {
		base = "ws" + base[4:]
	}
	return base + path + "?token=" + token
}

// register adds a socket to the pinger's list and starts its reader.
func (r *runner) register(s *socket, ws *wsConn) {
	s.conn.Store(ws)
	r.sockMu.Lock()
	r.socks = append(r.socks, s)
	r.sockMu.Unlock()
	r.readers.Add(1)
	go r.readLoop(s, ws)
}

func (r *runner) readLoop(s *socket, ws *wsConn) {
	defer r.readers.Done()
	toldToGo := false
	for {
		// No deadline: the bench ends a socket by closing it, and a reader without a deadline
		// costs no timer.
		data, err := ws.read()
		if err != nil {
			switch {
			case s.closing.Load():
			case r.rejoin.expects(s):
				// The node is restarting: reconnect as the widget would. The redial
				// goroutine is counted among the readers so that teardown waits for it.
				r.rejoin.dropped(s.kind)
				r.readers.Add(1)
				go r.redial(s, toldToGo)
			default:
				r.unexpected.Add(1)
				r.problems.note("disconnect", fmt.Errorf("%s socket closed %s: %s", kindNames[s.kind], closedBy(err), closeReason(err)))
			}
			return
		}
		switch {
		case bytes.HasPrefix(data, frameReconnect):
			// The widget closes at once and comes back after a short jitter. Anywhere else
			// the server closes next, and that counts as an unexpected disconnect.
			if r.rejoin.expects(s) {
				r.rejoin.frames.Add(1)
				toldToGo = true
				ws.closeNow()
			}
			continue
		case bytes.HasPrefix(data, frameHello) && s.rejoining.CompareAndSwap(true, false):
			r.rejoin.greeted(s.kind)
		}
		s.handle(data)
	}
}

// closedBy names the side that ended a socket: a read that fails with net.ErrClosed found the
// connection closed here, not by the server.
func closedBy(err error) string {
	if errors.Is(err, net.ErrClosed) {
		return "on the bench's side"
	}
	return "by the server"
}

func closeReason(err error) string {
	var ce closeError
	if errors.As(err, &ce) {
		return fmt.Sprintf("close %d %q", int(ce.Code), ce.Reason)
	}
	return err.Error()
}

func (r *runner) onVisitorFrame(data []byte) {
	switch {
	case bytes.HasPrefix(data, framePresence):
		r.fan.observe(bytes.Contains(data, onlineTrue))
	case bytes.HasPrefix(data, frameMessage):
		r.onMessage(data, "operator")
	case bytes.HasPrefix(data, framePong):
		r.pongs.Add(1)
	case bytes.HasPrefix(data, frameHello):
		r.hellos.Add(1)
	}
}

func (r *runner) onOperatorFrame(data []byte) {
	switch {
	case bytes.HasPrefix(data, frameMessage):
		r.onMessage(data, "visitor")
	case bytes.HasPrefix(data, framePong):
		r.pongs.Add(1)
	case bytes.HasPrefix(data, frameHello):
		r.hellos.Add(1)
	}
}

type messageFrame struct {
	Message struct {
		ClientMsgID string `json:"client_msg_id"`
		Author      struct {
			Type string `json:"type"`
		} `json:"author"`
	} `json:"message"`
}

// onMessage matches a message frame from the other side with the send the bench recorded.
func (r *runner) onMessage(data []byte, from string) {
	at := time.Now()
	var f messageFrame
	if json.Unmarshal(data, &f) != nil {
		r.problems.note("messaging", errors.New("a message frame that is not JSON"))
		return
	}
	if f.Message.Author.Type != from {
		return // the echo of one's own message
	}
	m := r.tracker.received(f.Message.ClientMsgID, at)
	if m != nil && m.dir == visitorToOperator && m.n%replyEvery == replyEvery-1 {
		r.reply(m)
	}
}

// pingTicks is how many times a second the pinger wakes. Browsers ping on their own clocks,
// spread over the heartbeat period; a bench that pinged a whole second's share of the sockets
// at once would add a burst each second that no real audience makes.
const pingTicks = 25

// pinger sends the protocol's heartbeat on every socket once per heartbeat period. One ticker
// serves all sockets; each tick pings the sockets whose turn it is (forEachDue), so the load is
// even over the period instead of a burst.
func (r *runner) pinger(ctx context.Context) {
	turns := pingTurns(r.opt.Heartbeat)
	tick := time.NewTicker(time.Second / pingTicks)
	defer tick.Stop()
	for turn := 0; ; turn = (turn + 1) % turns {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		r.sockMu.Lock()
		socks := r.socks
		r.sockMu.Unlock()
		// The writes have a deadline of their own, not the pinger's context: stopping the
		// pings must not cut a frame in half and drop the socket.
		deadline := time.Now().Add(pingWriteTimeout)
		forEachDue(len(socks), turn, turns, func(i int) {
			s := socks[i]
			ws := s.conn.Load()
			if ws == nil || s.closing.Load() || s.rejoining.Load() {
				return
			}
			// A failed write means the socket is gone; its reader reports that.
			if ws.writeText(pingFrame, deadline) == nil {
				r.pings.Add(1)
			}
		})
	}
}

// pingWriteTimeout bounds one heartbeat write; a socket that cannot take 15 bytes in that time
// is closed, and its reader reports the disconnect.
const pingWriteTimeout = 5 * time.Second

// pingTurns is how many ticks of the pinger one heartbeat period holds.
func pingTurns(heartbeat time.Duration) int {
	return max(int(heartbeat/time.Second), 1) * pingTicks
}

// forEachDue calls fn with the index of each of n sockets whose ping is due on this turn: every
// socket once in turns turns, about n / turns of them each turn.
func forEachDue(n, turn, turns int, fn func(i int)) {
	for i := turn; i < n; i += turns {
		fn(i)
	}
}

// closeAll drops every socket at once, as a crowd of browsers closing would.
func (r *runner) closeAll() int {
	r.stopOnce.Do(func() { close(r.stopping) })
	r.sockMu.Lock()
	socks := r.socks
	r.socks = nil
	r.sockMu.Unlock()
	for _, s := range socks {
		s.closing.Store(true)
		if ws := s.conn.Load(); ws != nil {
			ws.closeNow()
		}
	}
	return len(socks)
}
