package nats

import "time"

// Flush returns once the server has everything published and subscribed so far.
func (b *Bus) Flush() error { return b.nc.Flush() }

// Server is the URL of the server the bus is connected to, or "".
func (b *Bus) Server() string { return b.nc.ConnectedUrl() }

// SetPingInterval makes the buses connected from now on check their link every d, until
// restore is called.
func SetPingInterval(d time.Duration) (restore func()) {
	old := pingInterval
	pingInterval = d
	return func() { pingInterval = old }
}

// SetReconnectBuffer makes the buses connected from now on hold n bytes while they reconnect,
// until restore is called.
func SetReconnectBuffer(n int) (restore func()) {
	old := reconnectBuffer
	reconnectBuffer = n
	return func() { reconnectBuffer = old }
}

// SetDispatchQueue makes the buses connected from now on hold n events a dispatcher, until
// restore is called.
func SetDispatchQueue(n int) (restore func()) {
	old := dispatchQueue
	dispatchQueue = n
	return func() { dispatchQueue = old }
}
