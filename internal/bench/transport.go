package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
)

// transport is the bench's HTTP/1.1 client transport. net/http's Transport keeps two goroutines
// for each connection, one reading and one writing, and hands every request and answer between
// them and the caller: three goroutines woken for each request, on the cores the nodes share.
// This one writes the request and reads the answer on the caller's goroutine and keeps the idle
// connections of each node on a stack. Plain http only, no proxies, no compression, no HTTP/2:
// what the bench needs from a node on loopback.
type transport struct {
	dial    func(ctx context.Context, network, addr string) (net.Conn, error)
	maxIdle int // idle connections kept for each node

	mu   sync.Mutex
	idle map[string][]*clientConn // by host:port
}

type clientConn struct {
	nc net.Conn
	br *bufio.Reader
	bw *bufio.Writer
}

// RoundTrip sends the request on an idle connection to its node or a new one. A connection goes
// back to the stack once its answer's body has been read to the end and closed.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		closeBody(req)
		return nil, fmt.Errorf("bench transport: %s: only http:// is supported", req.URL)
	}
	ctx, host := req.Context(), req.URL.Host
	cc, err := t.get(ctx, host)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	// The request gives up with its context: closing the connection ends a blocked write or read.
	stop := context.AfterFunc(ctx, func() { cc.nc.Close() })
	resp, err := t.exchange(cc, req)
	if err != nil {
		stop()
		cc.nc.Close()
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return nil, err
	}
	resp.Body = &answerBody{ReadCloser: resp.Body, done: func(atEnd bool) {
		if stop() && atEnd && !resp.Close {
			t.put(host, cc)
			return
		}
		cc.nc.Close()
	}}
	return resp, nil
}

func (t *transport) exchange(cc *clientConn, req *http.Request) (*http.Response, error) {
	if err := req.Write(cc.bw); err != nil {
		return nil, err
	}
	if err := cc.bw.Flush(); err != nil {
		return nil, err
	}
	return http.ReadResponse(cc.br, req)
}

// get takes the most recent idle connection to host that the node has not closed, or dials one.
func (t *transport) get(ctx context.Context, host string) (*clientConn, error) {
	for {
		t.mu.Lock()
		stack := t.idle[host]
		if len(stack) == 0 {
			t.mu.Unlock()
			break
		}
		cc := stack[len(stack)-1]
		t.idle[host] = stack[:len(stack)-1]
		t.mu.Unlock()
		if cc.br.Buffered() == 0 && !closedByPeer(cc.nc) {
			return cc, nil
		}
		cc.nc.Close()
	}
	nc, err := t.dial(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	return &clientConn{nc: nc, br: bufio.NewReaderSize(nc, 4096), bw: bufio.NewWriterSize(nc, 4096)}, nil
}

func (t *transport) put(host string, cc *clientConn) {
	t.mu.Lock()
	if t.idle == nil {
		t.idle = map[string][]*clientConn{}
	}
	if len(t.idle[host]) < t.maxIdle {
		t.idle[host] = append(t.idle[host], cc)
		cc = nil
	}
	t.mu.Unlock()
	if cc != nil {
		cc.nc.Close()
	}
}

// CloseIdleConnections closes the idle connections; http.Client.CloseIdleConnections calls it.
func (t *transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, stack := range idle {
		for _, cc := range stack {
			cc.nc.Close()
		}
	}
}

// answerBody tells the transport, once closed, whether the answer was read to its end: only then
// is the connection ready for another request.
type answerBody struct {
	io.ReadCloser
	atEnd  bool
	closed bool
	done   func(atEnd bool)
}

func (b *answerBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.atEnd = true
	}
	return n, err
}

func (b *answerBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.ReadCloser.Close()
	b.done(b.atEnd)
	return err
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}
