// Package netpoll tells when an idle connection has bytes to read, so that tens of thousands of
// mostly silent sockets need no goroutine, and no goroutine stack, each while they wait.
package netpoll

import "errors"

// ErrUnsupported is returned where the platform, or the kind of connection, cannot be watched;
// the caller then reads the connection on a goroutine of its own.
var ErrUnsupported = errors.New("netpoll: not supported for this connection or platform")

// ErrClosed is returned by Watch and Rearm once the poller or the connection is closed.
var ErrClosed = errors.New("netpoll: closed")

// Readable is called when a watched connection has bytes to read, has been closed by its peer or
// has failed. It is called once per arming: after reading, Rearm. It runs on the poller's
// goroutine, which watches every connection, so it must not wait: it handles what needs no
// waiting and starts a goroutine for the rest.
type Readable func()
