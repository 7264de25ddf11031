package live

import (
	"time"

	"github.com/portico/portico/internal/live/ws"
)

// How a watched connection is being read. The zero value is a connection read by a goroutine
// of its own, which the poller does not know.
const (
	readOwnGoroutine int32 = iota
	readArmed              // idle: the poller reads the socket when bytes arrive
	readBusy               // the poller or a reader goroutine is reading it
	readDone               // over; finish has run or is running
)

// frameTimeout bounds reading one client message once its first bytes have arrived, so that a
// client sending half a frame cannot hold a reader for long.
const frameTimeout = 15 * time.Second

// watch hands the connection to the poller. It reports false when the socket cannot be watched
// (a TLS connection), and the caller reads it on a goroutine of its own.
func (h *Hub) watch(c *conn) bool {
	// Busy until armed below: a wake-up before then finds no reader to start, and the arming
	// catches whatever arrived.
	c.readState.Store(readBusy)
	w, err := h.poller.Watch(c.ws.NetConn(), func() { h.wake(c) })
	if err != nil {
		c.readState.Store(readOwnGoroutine)
		return false
	}
	c.watch = w
	if c.ws.Buffered() {
		h.startReader(c) // the client's first frame came behind the handshake
		return true
	}
	h.rearm(c)
	return true
}

// wake runs on the poller's goroutine when the client has sent something. What arrived whole
// and needs no waiting (a heartbeat, a typing hint: nearly everything a client sends on its
// socket) is handled right there, in one read; anything else goes to a reader goroutine. An
// idle visitor's heartbeat then costs no goroutine, no hand-off to another thread and no wake-up
// of the runtime's monitor thread, which were most of an idle server's CPU.
func (h *Hub) wake(c *conn) {
	if !c.readState.CompareAndSwap(readArmed, readBusy) {
		return
	}
	if !c.ws.Fill() {
		h.startReader(c) // the peer is gone, or the wake-up was early: the reader finds out
		return
	}
	for c.ws.Buffered() {
		op, data, err := c.ws.ReadBuffered()
		if err != nil {
			h.startReader(c) // part of a frame, or one that needs an answer
			return
		}
		h.handleFrame(c, op, data)
	}
	c.readState.Store(readArmed)
	if err := c.watch.Rearm(); err != nil {
		go c.socketClosed()
	}
}

func (h *Hub) startReader(c *conn) {
	h.readersStarted.Add(1)
	go h.readFrames(c)
}

// readFrames reads what the client has sent, waiting for the rest of a frame, then hands the
// socket back to the poller.
func (h *Hub) readFrames(c *conn) {
	for {
		c.ws.SetReadDeadline(time.Now().Add(frameTimeout))
		op, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readState.Store(readDone)
			c.kill(ws.CloseNormal, "")
			c.watch.Remove()
			c.finish()
			return
		}
		h.handleFrame(c, op, data)
		if !c.ws.Buffered() {
			break
		}
	}
	// The poller reads without waiting, and a deadline that has passed would fail its reads.
	c.ws.SetReadDeadline(time.Time{})
	h.rearm(c)
}

// rearm makes the connection idle again. A socket closed meanwhile cannot be armed: whoever
// moves it from armed to done finishes it.
func (h *Hub) rearm(c *conn) {
	c.readState.Store(readArmed)
	if err := c.watch.Rearm(); err != nil {
		c.socketClosed()
	}
}

// socketClosed finishes a watched connection that was closed while no reader ran; one being
// read finishes when its read fails.
func (c *conn) socketClosed() {
	if c.readState.CompareAndSwap(readArmed, readDone) {
		c.watch.Remove()
		c.finish()
	}
}
