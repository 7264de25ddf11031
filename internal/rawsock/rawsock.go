// Package rawsock gives the node's TCP connections (HTTP, PostgreSQL, NATS) reads and
// writes without the Go scheduler's bookkeeping around a system call that may block. The sockets
// are non-blocking, so their calls never do; but on loopback a write carries the receiver's side
// too and takes tens of microseconds, long enough for the runtime's monitor to hand the caller's
// processor to another thread, and while it keeps finding such calls it wakes every 20 µs
// (docs/benchmarks.md, round thirty-two). A socket with nothing to read, or no room to write,
// still waits in the runtime's poller like any other, and deadlines work as before.
package rawsock

import (
	"context"
	"net"
)

// Listen wraps ln so that every connection it accepts is a raw one.
func Listen(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return Wrap(c), nil
}

// Dialing wraps dial (a dialer's DialContext) so that the connections it makes are raw ones.
func Dialing(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return Wrap(c), nil
	}
}
