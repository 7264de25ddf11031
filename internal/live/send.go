package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live/ws"
	"github.com/portico/portico/internal/store"
)

// MessageSender stores a message sent over a live connection, as the REST routes for sending
// do: validated, checked against the sender in the write itself, acknowledged after the commit.
type MessageSender interface {
	VisitorSend(ctx context.Context, v *domain.Visitor, conversationID, body, clientMsgID string) (*domain.Message, bool, error)
	OperatorSend(ctx context.Context, proof store.SessionProof, conversationID, body, clientMsgID string) (*domain.Message, bool, error)
}

const (
	// maxPendingSends bounds the messages one connection may have waiting for the database:
	// a client that sends faster than they are stored is told to slow down (429), not queued
	// without end.
	maxPendingSends = 32
	// sendTimeout bounds one message's store; the client retries with the same client_msg_id.
	sendTimeout = 10 * time.Second
)

var (
	errTooManySends = fmt.Errorf("%w: more than %d messages waiting on this connection", domain.ErrRateLimited, maxPendingSends)
	errShuttingDown = errors.New("shutting down")
)

// sendRequest is a `send` frame, and when it was read.
type sendRequest struct {
	ConversationID, Body, ClientMsgID string
	read                              time.Time
}

// sends is a connection's messages between their `send` frame and their `sent` answer. Each
// conversation's are stored one after the other, in the order they came, so that they keep it;
// different conversations' at the same time, as separate REST requests would be.
type sends struct {
	waiting []sendRequest   // behind another of the same conversation
	storing map[string]bool // conversations with a message being stored
}

type sentFrame struct {
	Type        string          `json:"type"`
	ClientMsgID string          `json:"client_msg_id"`
	Status      int             `json:"status"`
	Message     *domain.Message `json:"message,omitempty"`
	Error       *sendError      `json:"error,omitempty"`
}

type sendError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// requestSend takes a `send` frame: it is stored at once on a goroutine of its own, or after the
// message of the same conversation before it.
func (h *Hub) requestSend(c *conn, req sendRequest) {
	req.read = time.Now()
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return
	case len(c.sends.waiting)+len(c.sends.storing) >= maxPendingSends:
		c.mu.Unlock()
		h.answerSend(c, req, nil, false, errTooManySends)
		return
	}
	if c.sends.storing[req.ConversationID] {
		c.sends.waiting = append(c.sends.waiting, req)
		c.mu.Unlock()
		return
	}
	if c.sends.storing == nil {
		c.sends.storing = map[string]bool{}
	}
	c.sends.storing[req.ConversationID] = true
	c.mu.Unlock()
	if !h.startSend() {
		h.finishSends(c, req, errShuttingDown)
		return
	}
	go h.storeSends(c, req)
}

// storeSends stores req and then the messages of its conversation that came behind it.
func (h *Hub) storeSends(c *conn, req sendRequest) {
	defer h.sendsInFlight.Done()
	for ok := true; ok; req, ok = c.nextSend(req.ConversationID) {
		if h.sendsStopping() {
			h.finishSends(c, req, errShuttingDown)
			return
		}
		ctx, cancel := context.WithTimeout(context.WithValue(context.Background(), senderKey{}, c), sendTimeout)
		m, created, err := c.onSend(ctx, req.ConversationID, req.Body, req.ClientMsgID)
		cancel()
		h.answerSend(c, req, m, created, err)
	}
}

// nextSend takes the next message waiting for conversation id, or reports false and lets the
// conversation's next message start at once. A closed connection stores nothing more: what it
// had not had answered, its client sends again.
func (c *conn) nextSend(id string) (sendRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, req := range c.sends.waiting {
		if req.ConversationID == id && !c.closed {
			c.sends.waiting = append(c.sends.waiting[:i], c.sends.waiting[i+1:]...)
			return req, true
		}
	}
	delete(c.sends.storing, id)
	return sendRequest{}, false
}

// finishSends answers req and every message waiting behind it with err, for a node that no
// longer stores anything.
func (h *Hub) finishSends(c *conn, req sendRequest, err error) {
	for ok := true; ok; req, ok = c.nextSend(req.ConversationID) {
		h.answerSend(c, req, nil, false, err)
	}
}

// answerSend queues the `sent` frame for req.
func (h *Hub) answerSend(c *conn, req sendRequest, m *domain.Message, created bool, err error) {
	f := sentFrame{Type: "sent", ClientMsgID: req.ClientMsgID, Message: m, Status: http.StatusOK}
	switch {
	case err == errShuttingDown:
		f.Message, f.Status = nil, http.StatusServiceUnavailable
		f.Error = &sendError{Code: "shutting_down", Message: "the server is shutting down; send again once reconnected"}
	case err != nil:
		f.Message, f.Status = nil, http.StatusInternalServerError
		e := sendError{Code: "internal_error", Message: "something went wrong on our side; it has been logged"}
		if h.AnswerError != nil {
			f.Status, e.Code, e.Message, e.Field = h.AnswerError(err)
		}
		if f.Status >= http.StatusInternalServerError {
			h.log.Error("message sent over the socket failed", "conversation_id", req.ConversationID, "err", err)
		}
		f.Error = &e
	case created:
		f.Status = http.StatusCreated
	}
	data, encErr := json.Marshal(f)
	if encErr != nil {
		// Our own types: a frame that cannot be encoded is a bug; the client's retry will tell.
		h.log.Error("sent frame not encoded", "err", encErr)
		return
	}
	if h.Metrics != nil {
		h.Metrics.ObserveSocketSend(c.author(), f.Status, time.Since(req.read))
	}
	c.enqueue(ws.TextFrame(data))
}

// senderKey marks the context of a message stored for a connection's `send` frame.
type senderKey struct{}

// sentOver is the connection whose `send` frame ctx stores a message for, or nil.
func sentOver(ctx context.Context) *conn {
	c, _ := ctx.Value(senderKey{}).(*conn)
	return c
}

// expectEcho marks frame, a stored message's, as one not to write to c: its `sent` answer
// carries the message, and the copy the bus hands back to the sender's own connection would
// cost the node a write and the client a frame to read for nothing. Both buses deliver to this
// node's connections on the publishing goroutine, so the mark is in place for exactly that
// delivery (a bus that delivered later would find none, and the frame would go as before); the
// returned function removes it. Another connection of the same person (a second tab) is not
// marked and gets the frame.
func (c *conn) expectEcho(frame []byte) (done func()) {
	mark := &frame
	c.echo.Store(mark)
	return func() { c.echo.CompareAndSwap(mark, nil) }
}

// isEcho reports whether wire is the marked frame, alone, as it goes on the socket.
func (c *conn) isEcho(wire []byte) bool {
	mark := c.echo.Load()
	return mark != nil && len(wire)-len(*mark) <= ws.MaxHeaderLen && bytes.HasSuffix(wire, *mark)
}

// author names the kind of client for metrics.
func (c *conn) author() string {
	if c.operator != nil {
		return string(domain.AuthorOperator)
	}
	return string(domain.AuthorVisitor)
}

// startSend counts a goroutine that stores messages, unless the node is shutting down.
func (h *Hub) startSend() bool {
	h.sendMu.Lock()
	defer h.sendMu.Unlock()
	if h.sendsStopped {
		return false
	}
	h.sendsInFlight.Add(1)
	return true
}

func (h *Hub) sendsStopping() bool {
	h.sendMu.Lock()
	defer h.sendMu.Unlock()
	return h.sendsStopped
}

// stopSends refuses messages from now on and waits, until ctx ends, for those being stored,
// so that their answers go out before the connections are sent away.
func (h *Hub) stopSends(ctx context.Context) {
	h.sendMu.Lock()
	h.sendsStopped = true
	h.sendMu.Unlock()
	done := make(chan struct{})
	go func() {
		h.sendsInFlight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
