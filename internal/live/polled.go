package live

import (
	"time"

	"github.com/portico/portico/internal/live/ws"
)

// How a watched connection is being read. The zero value is a connection read by a goroutine
// of its own, which the poller does not know.
const (
	readOwnGoroutine int32 = iota
	readArmed              // idle: the poller starts a reader when bytes arrive
	readBusy               // a reader is running
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
		go h.readFrames(c) // the client's first frame came behind the handshake
		return true
	}
	h.rearm(c)
	return true
}

// wake runs when the poller sees bytes: it reads them unless a reader already is.
func (h *Hub) wake(c *conn) {
	if c.readState.CompareAndSwap(readArmed, readBusy) {
		h.readFrames(c)
	}
}

// readFrames reads what the client has sent, then hands the socket back to the poller.
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
