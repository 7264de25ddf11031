package live

import "time"

// ReadersStarted is how many reader goroutines the hub has started for watched connections.
func (h *Hub) ReadersStarted() int64 { return h.readersStarted.Load() }

// PublishesJSONEnvelopes says whether the hub's node lays out its envelopes as JSON, for a node
// of an earlier version on the bus.
func (h *Hub) PublishesJSONEnvelopes() bool { return h.publisher.layout.json.Load() }

// BusGap reports a gap in the bus, as a NATS bus does when it is back after an outage.
func (h *Hub) BusGap() { h.busGap() }

// PaceCatchUps sets how many clients a catch-up sends to reconnect at a time, and the pause
// between two batches.
func (h *Hub) PaceCatchUps(batch int, pause time.Duration) {
	h.catchUpBatch, h.catchUpPause = batch, pause
}
