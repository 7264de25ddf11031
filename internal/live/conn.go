package live

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// Close codes of our own (docs/protocol.md).
const (
	CloseSlowConsumer websocket.StatusCode = 4008
	CloseUnauthorized websocket.StatusCode = 4401
	CloseIdle         websocket.StatusCode = 4000
)

// conn is one WebSocket: a reader (the HTTP handler's goroutine) and a writer fed by a bounded
// queue. A full queue means the client is not reading; it is dropped so it cannot stall others.
type conn struct {
	ws       *websocket.Conn
	operator *domain.Operator
	visitor  *domain.Visitor
	topics   []string

	queue     chan []byte
	done      chan struct{}
	closeOnce sync.Once
	onSlow    func()
}

func newConn(ws *websocket.Conn) *conn {
	return &conn{ws: ws, queue: make(chan []byte, sendQueueLen), done: make(chan struct{})}
}

func (c *conn) enqueue(frame []byte) {
	select {
	case <-c.done:
	case c.queue <- frame:
	default:
		if c.onSlow != nil {
			c.onSlow()
		}
		c.kill(CloseSlowConsumer, "slow consumer")
	}
}

// kill closes the connection from any goroutine without waiting for the close handshake.
func (c *conn) kill(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() {
		close(c.done)
		go c.ws.Close(code, reason)
	})
}

// goAway sends a last frame and closes the connection politely, for a node shutting down.
func (c *conn) goAway(ctx context.Context, frame []byte) {
	c.closeOnce.Do(func() {
		close(c.done)
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		c.ws.Write(wctx, websocket.MessageText, frame)
		c.ws.Close(websocket.StatusGoingAway, "server shutting down")
	})
}

func (c *conn) writeLoop(ctx context.Context) {
	for {
		select {
		case <-c.done:
			return
		case <-ctx.Done():
			return
		case frame := <-c.queue:
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.ws.Write(wctx, websocket.MessageText, frame)
			cancel()
			if err != nil {
				c.kill(websocket.StatusAbnormalClosure, "write failed")
				return
			}
		}
	}
}

type clientFrame struct {
	Type           string `json:"type"`
	ConversationID string `json:"conversation_id"`
	Typing         bool   `json:"typing"`
}

// readLoop handles client frames until the client goes quiet for idleTimeout or disconnects.
func (c *conn) readLoop(ctx context.Context, onTyping func(ctx context.Context, conversationID string, typing bool) error) {
	pong := mustEncode(simpleFrame{Type: "pong"})
	for {
		rctx, cancel := context.WithTimeout(ctx, idleTimeout)
		typ, data, err := c.ws.Read(rctx)
		cancel()
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				c.kill(CloseIdle, "idle")
			}
			return
		}
		if typ != websocket.MessageText {
			continue
		}
		var f clientFrame
		if json.Unmarshal(data, &f) != nil {
			continue
		}
		switch f.Type {
		case "ping":
			c.enqueue(pong)
		case "typing":
			if f.ConversationID != "" && len(f.ConversationID) < 100 {
				// A typing frame for a chat the sender may not see is dropped without a word.
				onTyping(ctx, f.ConversationID, f.Typing)
			}
		}
	}
}

// serve runs a registered connection until it ends, then unregisters it.
// greeting is sent first: the hello frame and whatever state the client needs at once.
func (h *Hub) serve(ctx context.Context, c *conn, greeting [][]byte, onTyping func(context.Context, string, bool) error, topics ...string) {
	if h.Metrics != nil {
		c.onSlow = h.Metrics.SlowConsumers.Inc
	}
	if !h.join(c, topics...) {
		c.ws.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer h.leave(c)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, frame := range greeting {
		c.enqueue(frame)
	}
	go c.writeLoop(ctx)
	c.readLoop(ctx, onTyping)
	c.kill(websocket.StatusNormalClosure, "")
}

// ServeOperator upgrades an authenticated operator's request. The upgrade checks that the page
// is on this server's own origin, which is what protects the cookie-authenticated console.
func (h *Hub) ServeOperator(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(maxClientFrame)
	c := newConn(ws)
	c.operator = op
	h.updateOperator(op.AccountID, op.ID, func(st *operatorState) { st.status = op.Status; st.conns++ })
	defer h.updateOperator(op.AccountID, op.ID, func(st *operatorState) { st.conns-- })
	hello := mustEncode(helloFrame{Type: "hello", HeartbeatSeconds: int(HeartbeatInterval / time.Second), OperatorID: op.ID})
	onTyping := func(ctx context.Context, id string, typing bool) error {
		return h.typing.OperatorTyping(ctx, op, id, typing)
	}
	h.serve(r.Context(), c, [][]byte{hello}, onTyping, h.operatorTopics(op)...)
}

func (h *Hub) operatorTopics(op *domain.Operator) []string {
	return []string{bus.AccountTopic(op.AccountID)}
}

// ServeVisitor upgrades a visitor's request; the caller has checked the token and the origin.
func (h *Hub) ServeVisitor(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	ws.SetReadLimit(maxClientFrame)
	c := newConn(ws)
	c.visitor = v
	h.visitorPresence(v, +1)
	defer h.visitorPresence(v, -1)
	hello := mustEncode(helloFrame{Type: "hello", HeartbeatSeconds: int(HeartbeatInterval / time.Second), VisitorID: v.ID})
	// Availability may have changed while the visitor was away, so it follows the hello.
	presence := mustEncode(presenceFrame{Type: "presence", Online: h.AnyOperatorAvailable(v.AccountID)})
	onTyping := func(ctx context.Context, id string, typing bool) error {
		return h.typing.VisitorTyping(ctx, v, id, typing)
	}
	h.serve(r.Context(), c, [][]byte{hello, presence}, onTyping, bus.VisitorTopic(v.ID), bus.AccountVisitorsTopic(v.AccountID))
}
