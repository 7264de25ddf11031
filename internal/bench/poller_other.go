//go:build !linux

package bench

import (
	"errors"
	"net"
)

// The bench's poller is Linux's epoll; elsewhere every socket has a reader goroutine.
type poller struct{}

type fdConn struct{ wsTransport }

func newPoller() (*poller, error)                        { return nil, errors.ErrUnsupported }
func (p *poller) run() error                             { return nil }
func (p *poller) stop()                                  {}
func (p *poller) watch(c *fdConn, readable func()) error { return errors.ErrUnsupported }
func detach(nc net.Conn) (*fdConn, error)                { return nil, errors.ErrUnsupported }
