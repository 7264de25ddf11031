package live

// ReadersStarted is how many reader goroutines the hub has started for watched connections.
func (h *Hub) ReadersStarted() int64 { return h.readersStarted.Load() }
