package nats

// Flush returns once the server has everything published and subscribed so far.
func (b *Bus) Flush() error { return b.nc.Flush() }

// Server is the URL of the server the bus is connected to, or "".
func (b *Bus) Server() string { return b.nc.ConnectedUrl() }
