package live

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live/netpoll"
	"github.com/portico/portico/internal/live/ws"
	"github.com/portico/portico/internal/store"
)

// Close codes of our own (docs/protocol.md).
const (
	CloseSlowConsumer = 4008
	CloseUnauthorized = 4401
	CloseIdle         = 4000
)

// conn is one live connection. While idle it costs no goroutine and no buffer: the hub's
// poller reads what the client sends when it sends it (where the platform cannot watch
// sockets, one goroutine per connection waits in a read instead), and frames to send wait in a
// short queue that a writer goroutine, started only when there is something to write, drains
// and then exits. A queue that overflows means the client is not reading: it is dropped so
// that it cannot stall others.
type conn struct {
	ws       *ws.Conn
	operator *domain.Operator
	session  string // for operators: the hash of the token the socket was opened with
	visitor  *domain.Visitor
	topics   []string
	// followed: the advertisers a portal visitor's page follows (follow.go), shared with the
	// cache; read and written under the hub's lock.
	followed []*advertiserEntry
	onSlow   func()
	onTyping func(ctx context.Context, conversationID string, typing bool) error
	onSend   func(ctx context.Context, conversationID, body, clientMsgID string) (*domain.Message, bool, error)
	// lastRead is when the client last sent anything (Unix seconds), for the idle sweep.
	lastRead atomic.Int64

	// watch and readState are used when the poller watches the socket; finish (leaving the
	// hub) then runs on whichever goroutine sees the connection end first.
	watch     *netpoll.Watch
	readState atomic.Int32
	finish    func()

	mu      sync.Mutex
	queue   [][]byte // encoded WebSocket frames
	queued  int      // bytes in queue
	writing bool
	closed  bool
	// sends: messages sent over the connection, until they are answered (send.go).
	sends sends
	// echo: the frame of a message stored for this connection's `send`, not to be written to it
	// (expectEcho).
	echo atomic.Pointer[[]byte]
	// follows: a portal visitor's `follow` frames (follow.go); nil until the first one.
	follows *followRequests
	// resyncs: the client asked for `resync` frames (?resync=1) and fetches again on one
	// without reconnecting. Set before the connection is served.
	resyncs bool
}

func newConn(w *ws.Conn) *conn {
	c := &conn{ws: w}
	c.lastRead.Store(time.Now().Unix())
	return c
}

// enqueue sends an encoded frame (ws.TextFrame): at once when nothing is queued before it and
// the socket takes it without waiting, as it almost always does; else through the queue.
func (c *conn) enqueue(frame []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if !c.writing {
		c.writing = true // the writer's role, so that frames arriving meanwhile queue behind this one
		c.mu.Unlock()
		c.writeNow(frame)
		return
	}
	if len(c.queue) >= sendQueueLen || c.queued+len(frame) > sendQueueBytes {
		c.mu.Unlock()
		if c.onSlow != nil {
			c.onSlow()
		}
		c.kill(CloseSlowConsumer, "slow consumer")
		return
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		go c.writeQueued()
	}
}

// writeNow writes frame on the caller's goroutine, without waiting on the socket; what it does
// not take, and whatever was queued meanwhile, goes to a writer goroutine. The caller holds the
// writer's role.
func (c *conn) writeNow(frame []byte) {
	n, err := c.ws.TryWrite(frame)
	if err != nil {
		c.kill(ws.CloseGoingAway, "write failed")
		return
	}
	c.mu.Lock()
	if n < len(frame) && !c.closed {
		c.queue = append([][]byte{frame[n:]}, c.queue...)
		c.queued += len(frame) - n
	}
	if len(c.queue) == 0 || c.closed {
		c.writing = false
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	go c.writeQueued()
}

// writeQueued sends everything queued, in order, then exits.
func (c *conn) writeQueued() {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue, c.queued = nil, 0
		if len(batch) == 0 || c.closed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if err := c.ws.WriteFrames(batch, writeTimeout); err != nil {
			c.kill(ws.CloseGoingAway, "write failed")
			return
		}
	}
}

// kill closes the connection from any goroutine without waiting; the reader then cleans up.
func (c *conn) kill(code int, reason string) {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.queue = nil
	c.mu.Unlock()
	if !already {
		go func() {
			c.ws.Close(code, reason)
			c.socketClosed()
		}()
	}
}

// goAway sends a last frame and closes the connection politely, for a node shutting down or a
// client that must catch up.
func (c *conn) goAway(frame []byte, reason string) {
	c.mu.Lock()
	already := c.closed
	c.closed = true
	c.queue = nil
	c.mu.Unlock()
	if already {
		return
	}
	c.ws.WriteFrames([][]byte{frame}, 2*time.Second)
	c.ws.Close(ws.CloseGoingAway, reason)
	c.socketClosed()
}

type clientFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	Typing         bool   `json:"typing"`
	// Body and ClientMsgID: a `send` frame.
	Body        string `json:"body"`
	ClientMsgID string `json:"client_msg_id"`
	// Advertisers: a visitor's `follow` frame.
	Advertisers []string `json:"advertisers"`
}

var pongFrame = ws.TextFrame(mustEncode(simpleFrame{Type: "pong"}))

// handleFrame acts on one client message. Work that needs the database (typing checks, messages)
// goes to other goroutines, so that the reading goroutine stays short-lived and its stack small.
func (h *Hub) handleFrame(c *conn, op int, data []byte) {
	c.lastRead.Store(time.Now().Unix())
	if op != ws.OpText {
		return
	}
	var f clientFrame
	if json.Unmarshal(data, &f) != nil {
		return
	}
	switch f.Type {
	case "ping":
		c.enqueue(pongFrame)
	case "typing":
		if f.ConversationID != "" && len(f.ConversationID) < 100 {
			// A typing frame for a chat the sender may not see is dropped without a word,
			// and so is one that finds every worker busy: typing is a hint, not a record.
			h.tryWork(func(ctx context.Context) { c.onTyping(ctx, f.ConversationID, f.Typing) })
		}
	case "follow":
		if c.visitor != nil {
			h.requestFollow(c, f.Advertisers)
		}
	case "send":
		h.requestSend(c, sendRequest{ConversationID: f.ConversationID, Body: f.Body, ClientMsgID: f.ClientMsgID})
	}
}

// serve registers a connection and has its frames read from now on, so that the HTTP handler
// — and net/http's goroutine and buffers with it — can return. done runs at the end.
func (h *Hub) serve(c *conn, greeting []json.RawMessage, done func(), topics ...string) {
	if h.Metrics != nil {
		c.onSlow = h.Metrics.SlowConsumers.Inc
	}
	// This goroutine holds the writer's role until the greeting is out: events that come while
	// the subscriptions are confirmed queue behind it, since the hello is the first frame.
	c.writing = true
	confirmed, joined := h.join(c, topics...)
	if !joined {
		c.ws.Close(ws.CloseGoingAway, "server shutting down")
		done()
		return
	}
	// Read after the join: an operator who joined after busCut's list still hears of the pause.
	if c.operator != nil && h.cut.Load() {
		greeting = append(greeting, pausedJSON)
	}
	c.finish = func() {
		h.leave(c)
		done()
	}
	confirmed()
	c.writeNow(textFrames(greeting)) // in one write, then whatever queued behind it
	if h.poller != nil && h.watch(c) {
		return
	}
	go func() {
		defer c.finish()
		for {
			op, data, err := c.ws.ReadMessage()
			if err != nil {
				break
			}
			h.handleFrame(c, op, data)
		}
		c.kill(ws.CloseNormal, "")
	}()
}

// asksForResync says whether the client handles the `resync` frame: clients that predate it
// ignore frames they do not know, so they are sent to reconnect instead.
func asksForResync(r *http.Request) bool { return r.URL.Query().Get("resync") == "1" }

func writeHandshakeError(w http.ResponseWriter, err error) {
	var he *ws.HandshakeError
	if errors.As(err, &he) {
		http.Error(w, he.Reason, he.Status)
	}
}

// ServeOperator upgrades an authenticated operator's request. The console authenticates with
// a cookie, so the page must be on this server's own origin.
// session is the hash of the operator's token, so that signing out closes the socket.
func (h *Hub) ServeOperator(w http.ResponseWriter, r *http.Request, op *domain.Operator, session string) {
	if origin := r.Header.Get("Origin"); origin != "" && !sameOrigin(origin, r) {
		http.Error(w, "WebSocket from another origin refused", http.StatusForbidden)
		return
	}
	socket, err := ws.Upgrade(w, r, maxClientFrame)
	if err != nil {
		writeHandshakeError(w, err)
		return
	}
	c := newConn(socket)
	c.operator = op
	c.session = session
	c.resyncs = asksForResync(r)
	h.updateOperator(op.AccountID, op.ID, func(st *operatorState) { st.status = op.Status; st.conns++ })
	done := func() { h.updateOperator(op.AccountID, op.ID, func(st *operatorState) { st.conns-- }) }
	hello := mustEncode(helloFrame{Type: "hello", HeartbeatSeconds: int(HeartbeatInterval / time.Second), OperatorID: op.ID, Send: true})
	c.onTyping = func(ctx context.Context, id string, typing bool) error {
		return h.chat.OperatorTyping(ctx, op, id, typing)
	}
	c.onSend = func(ctx context.Context, id, body, clientMsgID string) (*domain.Message, bool, error) {
		return h.chat.OperatorSend(ctx, store.SessionProof{TokenHash: session}, id, body, clientMsgID)
	}
	h.serve(c, []json.RawMessage{hello}, done, h.operatorTopics(op)...)
}

func (h *Hub) operatorTopics(op *domain.Operator) []string {
	return []string{bus.AccountTopic(op.AccountID)}
}

// ServeVisitor upgrades a visitor's request; the caller has checked the token and the origin.
func (h *Hub) ServeVisitor(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	socket, err := ws.Upgrade(w, r, maxClientFrame)
	if err != nil {
		writeHandshakeError(w, err)
		return
	}
	c := newConn(socket)
	c.visitor = v
	c.resyncs = asksForResync(r)
	h.visitorPresence(v, +1)
	done := func() { h.visitorPresence(v, -1) }
	hello := mustEncode(helloFrame{Type: "hello", HeartbeatSeconds: int(HeartbeatInterval / time.Second), VisitorID: v.ID, Send: true})
	// Availability may have changed while the visitor was away, so it follows the hello.
	greeting := []json.RawMessage{hello, mustEncode(presenceFrame{Type: "presence", Online: h.AnyOperatorAvailable(v.AccountID)})}
	if e := h.followedOnConnect(r, v); e != nil {
		c.followed = []*advertiserEntry{e}
		greeting = append(greeting, e.presence[b2i(h.advertiserAvailable(e, v.AccountID))])
	}
	c.onTyping = func(ctx context.Context, id string, typing bool) error {
		return h.chat.VisitorTyping(ctx, v, id, typing)
	}
	c.onSend = func(ctx context.Context, id, body, clientMsgID string) (*domain.Message, bool, error) {
		return h.chat.VisitorSend(ctx, v, id, body, clientMsgID)
	}
	h.serve(c, greeting, done, bus.VisitorTopic(v.ID), bus.AccountVisitorsTopic(v.AccountID))
}
