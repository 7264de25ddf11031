//go:build !linux

package netpoll

import "net"

// Poller is unavailable here: New always fails and callers read on a goroutine per connection.
type Poller struct{}

// Watch is a watched connection.
type Watch struct{}

func New() (*Poller, error)                                { return nil, ErrUnsupported }
func (p *Poller) Run() error                               { return nil }
func (p *Poller) Close() error                             { return nil }
func (p *Poller) Watch(net.Conn, Readable) (*Watch, error) { return nil, ErrUnsupported }
func (w *Watch) Rearm() error                              { return ErrUnsupported }
func (w *Watch) Remove()                                   {}
