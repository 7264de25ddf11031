package live

// ReadersStarted is how many reader goroutines the hub has started for watched connections.
func (h *Hub) ReadersStarted() int64 { return h.readersStarted.Load() }

// PublishesJSONEnvelopes says whether the hub's node lays out its envelopes as JSON, for a node
// of an earlier version on the bus.
func (h *Hub) PublishesJSONEnvelopes() bool { return h.publisher.layout.json.Load() }
