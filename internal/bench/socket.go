package bench

import (
	"bytes"
	"context"
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

// socket is one live connection. Each has exactly one reader, a goroutine of its own or, for
// a visitor, a poller's thread; heartbeats are written by the single pinger for all sockets.
// During a node restart the connection is replaced by a new one to the same node, so it is
// held behind an atomic pointer.
type socket struct {
	conn      atomic.Pointer[wsConn]
	closing   atomic.Bool // set before the bench closes it, so the reader knows the end was expected
	rejoining atomic.Bool // dropped by a restarting node, not yet greeted again

	kind   int
	node   string // base URL of the node it uses
	url    string // the WebSocket URL, to dial again after a restart
	client *http.Client
	// handle gets each message the socket receives and when its bytes reached the socket, by
	// the kernel's stamp (zero where there is none: receipt_linux.go).
	handle func(data []byte, receipt time.Time)
}

type visitorConn struct {
	socket
	http       *http.Client
	token      string
	advertiser string // whose listing the visitor is on, on a portal
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
	frameSent      = []byte(`{"type":"sent"`)
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

// register adds a socket to the pinger's list and starts reading it.
func (r *runner) register(s *socket, ws *wsConn) {
	s.conn.Store(ws)
	r.sockMu.Lock()
	r.socks = append(r.socks, s)
	r.sockMu.Unlock()
	r.startReading(s, ws)
}

// startReading reads a socket until it ends: a visitor's on a poller where there is one, any
// other on a goroutine of its own. The bench stands in for thousands of browsers on other
// machines, but it shares the server's cores: a goroutine per visitor, woken for each frame,
// cost it about as much CPU per frame received as the server spent sending it, which it took
// from the server during a fan-out (see pollPause). Operators stay on goroutines: they answer
// messages at once, and a poller must never wait.
func (r *runner) startReading(s *socket, ws *wsConn) {
	r.readers.Add(1)
	if s.kind == kindVisitor && len(r.pollers) > 0 && r.poll(s, ws) {
		return
	}
	ws.readWithReceipts()
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
			r.socketEnded(s, err, toldToGo)
			return
		}
		if !r.onFrame(s, data, ws.lastReceipt()) {
			toldToGo = true
			ws.closeNow()
		}
	}
}

// onFrame handles one message from the server. It reports false for a reconnect that the
// socket is to follow: the widget closes at once and comes back after a short jitter, so the
// caller closes it and the end of the socket dials again.
func (r *runner) onFrame(s *socket, data []byte, receipt time.Time) (stay bool) {
	switch {
	case bytes.HasPrefix(data, frameReconnect):
		// Anywhere else the server closes next, and that counts as an unexpected disconnect.
		if r.rejoin.expects(s) {
			r.rejoin.frames.Add(1)
			return false
		}
		return true
	case bytes.HasPrefix(data, frameHello) && s.rejoining.CompareAndSwap(true, false):
		r.rejoin.greeted(s.kind)
	}
	s.handle(data, receipt)
	return true
}

// socketEnded accounts for a socket that is over: closed by the bench, dropped by a restarting
// node (reconnect as the widget would), or an unexpected disconnect.
func (r *runner) socketEnded(s *socket, err error, toldToGo bool) {
	switch {
	case s.closing.Load():
	case r.rejoin.expects(s):
		// The redial goroutine is counted among the readers so that teardown waits for it.
		r.rejoin.dropped(s.kind)
		r.readers.Add(1)
		go r.redial(s, toldToGo)
	default:
		r.unexpected.Add(1)
		r.problems.note("disconnect", fmt.Errorf("%s socket closed %s: %s", kindNames[s.kind], closedBy(err), closeReason(err)))
	}
}

// polledRead is a socket that the poller reads. It ends once, on whichever goroutine sees the
// end first: the poller's (the server closed it) or the one closing it here, since a socket
// closed here is out of epoll and gets no more wake-ups.
type polledRead struct {
	ended    atomic.Bool
	toldToGo atomic.Bool
}

// poll hands a socket to a poller; false leaves it to a goroutine of its own.
func (r *runner) poll(s *socket, ws *wsConn) bool {
	pr := &polledRead{}
	fc, err := ws.pollWith(func() { r.endPolled(s, ws, pr, net.ErrClosed) })
	if err != nil {
		return false
	}
	// The server's first frame may have come behind its answer to the handshake, and the
	// poller wakes only for bytes still in the socket.
	if !r.handleBuffered(s, ws, pr) {
		return true
	}
	poller := r.pollers[int(r.polled.Add(1))%len(r.pollers)]
	if err := poller.watch(fc, func() { r.readPolled(s, ws, pr) }); err != nil {
		// Closed meanwhile (and ended then), or a socket epoll refuses.
		r.endPolled(s, ws, pr, err)
	}
	return true
}

// readPolled runs on the poller's thread when a visitor's socket has bytes (or its end):
// one read(2), then every whole message in what it read.
func (r *runner) readPolled(s *socket, ws *wsConn, pr *polledRead) {
	if pr.ended.Load() {
		return
	}
	if err := ws.fillNow(); err != nil {
		if err != errNothingToRead {
			r.endPolled(s, ws, pr, err)
		}
		return
	}
	r.handleBuffered(s, ws, pr)
}

// handleBuffered handles every whole message read so far; false when the socket has ended.
func (r *runner) handleBuffered(s *socket, ws *wsConn, pr *polledRead) bool {
	for {
		data, ok, err := ws.buffered()
		switch {
		case err != nil:
			r.endPolled(s, ws, pr, err)
			return false
		case !ok:
			return true
		case !r.onFrame(s, data, time.Time{}): // the pollers read without stamps (readWithReceipts)
			pr.toldToGo.Store(true)
			r.endPolled(s, ws, pr, net.ErrClosed)
			return false
		}
	}
}

func (r *runner) endPolled(s *socket, ws *wsConn, pr *polledRead, err error) {
	if !pr.ended.CompareAndSwap(false, true) {
		return
	}
	ws.closeNow()
	r.socketEnded(s, err, pr.toldToGo.Load())
	r.readers.Done()
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

func (r *runner) onVisitorFrame(data []byte, receipt time.Time) {
	switch {
	case bytes.HasPrefix(data, framePresence):
		r.presence.Add(1)
		if r.fanEvent(data) {
			r.fan.observe(bytes.Contains(data, onlineTrue))
		}
	case bytes.HasPrefix(data, frameMessage):
		r.onMessage(data, "operator", receipt)
	case bytes.HasPrefix(data, frameSent):
		r.onSent(data)
	case bytes.HasPrefix(data, framePong):
		r.pongs.Add(1)
	case bytes.HasPrefix(data, frameHello):
		r.hellos.Add(1)
	}
}

func (r *runner) onOperatorFrame(data []byte, receipt time.Time) {
	switch {
	case bytes.HasPrefix(data, frameMessage):
		r.onMessage(data, "visitor", receipt)
	case bytes.HasPrefix(data, frameSent):
		r.onSent(data)
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
func (r *runner) onMessage(data []byte, from string, receipt time.Time) {
	at := time.Now()
	clientMsgID, author, err := readMessage(data)
	if err != nil {
		r.problems.note("messaging", errors.New("a message frame that is not JSON"))
		return
	}
	if author != from {
		return // one's own message: sent over REST, which every socket of the sender hears of
	}
	m := r.tracker.received(clientMsgID, at, receipt)
	if m != nil && m.dir == visitorToOperator && m.n%replyEvery == replyEvery-1 {
		r.reply(m)
	}
}

// onSent ends the socket send the `sent` frame answers.
func (r *runner) onSent(data []byte) {
	a, err := readSent(data)
	if err != nil {
		r.problems.note("messaging", errors.New("a sent frame that is not JSON"))
		return
	}
	m := r.tracker.end(a.ClientMsgID)
	if m == nil {
		return
	}
	if a.Status != http.StatusCreated && a.Status != http.StatusOK {
		err = fmt.Errorf("send on the %s socket: %d %s", kindNames[m.senderSocket().kind], a.Status, a.Error.Code)
	}
	r.endSocketSend(m, err)
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
