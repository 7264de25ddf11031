package nats

// Flush returns once the server has everything published and subscribed so far.
func (b *Bus) Flush() error { return b.nc.Flush() }
