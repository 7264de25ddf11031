package bench

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// wsConn is the bench's client end of a WebSocket (RFC 6455), made to hold tens of thousands of
// mostly quiet sockets in one process on the same cores as the server: one small buffer per
// socket, read by a goroutine blocked on it or, for visitors, by the bench's poller, and a frame
// costs a read and a parse, nothing else. (A general-purpose client spent two to three times
// the CPU per frame received, which the bench then took from the server during the fan-out.)
// It speaks only what Portico's live endpoints need: text messages (whole or in fragments),
// ping, pong and close.
type wsConn struct {
	nc  wsTransport // a net.Conn, or an fdConn once the bench's poller reads the socket
	buf []byte      // read buffer; a frame that does not fit gets a larger buffer while it lasts
	in  []byte      // bytes read and not yet parsed, within buf or that larger buffer
	msg []byte      // a message in fragments, while it is gathered

	gathering bool // a fragmented message has begun and not yet ended

	wmu        sync.Mutex // writes come from the pinger and from the reader (pong, close)
	closed     bool       // a close frame was sent; guarded by wmu
	afterClose func()     // runs when closeNow has closed the connection; guarded by wmu
}

// wsTransport is what a wsConn needs of its connection.
type wsTransport interface {
	io.ReadWriteCloser
	SetWriteDeadline(time.Time) error
}

// readWithReceipts has the socket's reads bring the kernel's stamp of their bytes' arrival,
// where the platform can. Only sockets a goroutine reads take it: the pollers' visitors would
// pay for a stamp on every fan-out frame (docs/benchmarks.md, round twenty-three).
func (c *wsConn) readWithReceipts() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if nc, ok := c.nc.(net.Conn); ok {
		c.nc = withReceipts(nc)
	}
}

// receiptStamper is a transport that knows when the bytes of its last read reached the socket.
type receiptStamper interface{ lastReceipt() time.Time }

// lastReceipt is when the bytes of the last read reached the socket, by the kernel's stamp: no
// later than the arrival of any message parsed from them. Zero where the transport has none.
func (c *wsConn) lastReceipt() time.Time {
	if st, ok := c.nc.(receiptStamper); ok {
		return st.lastReceipt()
	}
	return time.Time{}
}

// wsReadBuffer holds any frame the server sends a visitor in one read; larger ones are gathered.
const wsReadBuffer = 1024

const (
	wsContinuation = 0x0
	wsText         = 0x1
	wsBinary       = 0x2
	wsClose        = 0x8
	wsPing         = 0x9
	wsPong         = 0xa
)

// closeError is the server's close frame: its status code and reason.
type closeError struct {
	Code   int
	Reason string
}

func (e closeError) Error() string { return fmt.Sprintf("websocket closed: %d %q", e.Code, e.Reason) }

// errProtocol marks a frame no server should send.
var errProtocol = errors.New("websocket protocol error")

// dialWS opens a WebSocket to rawURL (ws://host/path?query) through the client's dialer, so that
// the socket leaves from the client's source address.
func dialWS(ctx context.Context, client *http.Client, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("websocket dial %s: only ws:// is supported", rawURL)
	}
	dialer := (&net.Dialer{}).DialContext
	switch t := client.Transport.(type) {
	case *transport:
		dialer = t.dial
	case *http.Transport:
		if t.DialContext != nil {
			dialer = t.DialContext
		}
	}
	nc, err := dialer(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	// The handshake gives up with the context: closing the connection ends a blocked read.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	c, err := handshake(nc, u)
	if !stop() {
		err = errors.Join(ctx.Err(), err)
	}
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket dial %s: %w", u.Path, err)
	}
	return c, nil
}

func handshake(nc net.Conn, u *url.URL) (*wsConn, error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(nc, wsReadBuffer)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("the server answered %s, not 101 Switching Protocols", resp.Status)
	}
	if !strings.EqualFold(resp.Header.Get("Upgrade"), "websocket") || !headerHasToken(resp.Header, "Connection", "upgrade") {
		return nil, errors.New("the server's answer does not upgrade to websocket")
	}
	if resp.Header.Get("Sec-WebSocket-Accept") != acceptKey(key) {
		return nil, errors.New("the server's Sec-WebSocket-Accept does not match the key")
	}
	c := &wsConn{nc: nc, buf: make([]byte, wsReadBuffer)}
	// The server may send its first frame right behind its answer, into the same read.
	c.in = c.buf[:copy(c.buf, peekAll(br))]
	return c, nil
}

func peekAll(br *bufio.Reader) []byte {
	b, _ := br.Peek(br.Buffered())
	return b
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// read returns the payload of the next text or binary message, waiting for it; it is valid until
// the next read. Pings are answered on the way. A close frame from the server is answered and
// returned as a closeError; a connection closed here returns an error that is net.ErrClosed.
func (c *wsConn) read() ([]byte, error) {
	for {
		msg, ok, err := c.buffered()
		if ok || err != nil {
			return msg, err
		}
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
}

// buffered returns the next message among the bytes read so far, as read does, or ok false when
// they do not hold a whole one yet; a message in fragments is gathered over several calls.
func (c *wsConn) buffered() (msg []byte, ok bool, err error) {
	for {
		fin, op, payload, whole, err := c.parseFrame()
		if !whole || err != nil {
			return nil, false, err
		}
		switch op {
		case wsPing:
			if err := c.writeFrame(wsPong, payload, time.Now().Add(pingWriteTimeout)); err != nil {
				return nil, false, err
			}
			continue
		case wsPong:
			continue
		case wsClose:
			ce := closeError{Code: 1005}
			if len(payload) >= 2 {
				ce.Code, ce.Reason = int(binary.BigEndian.Uint16(payload)), string(payload[2:])
			}
			c.writeFrame(wsClose, payload[:min(len(payload), 2)], time.Now().Add(time.Second))
			c.nc.Close()
			return nil, false, ce
		case wsText, wsBinary:
			if c.gathering {
				return nil, false, fmt.Errorf("%w: a new message inside a fragmented one", errProtocol)
			}
		case wsContinuation:
			if !c.gathering {
				return nil, false, fmt.Errorf("%w: a continuation with no message", errProtocol)
			}
		default:
			return nil, false, fmt.Errorf("%w: opcode %d", errProtocol, op)
		}
		if fin && !c.gathering {
			return payload, true, nil
		}
		if !c.gathering {
			c.msg = c.msg[:0]
		}
		if len(c.msg)+len(payload) > readLimit {
			return nil, false, fmt.Errorf("%w: a message over %d bytes", errProtocol, readLimit)
		}
		c.msg = append(c.msg, payload...)
		c.gathering = !fin
		if fin {
			return c.msg, true, nil
		}
	}
}

// parseFrame takes one frame off the bytes read so far, or reports whole false while they do
// not hold one. The payload lies in c.buf or in a slice of its own and is valid until the next
// read of the socket.
func (c *wsConn) parseFrame() (fin bool, op byte, payload []byte, whole bool, err error) {
	n, need := frameSize(c.in)
	if n == 0 {
		if need > readLimit {
			return false, 0, nil, false, fmt.Errorf("%w: a frame over %d bytes", errProtocol, readLimit)
		}
		return false, 0, nil, false, nil
	}
	frame := c.in[:n]
	c.in = c.in[n:]
	hdr := n - need
	fin, op = frame[0]&0x80 != 0, frame[0]&0x0f
	switch {
	case frame[0]&0x70 != 0:
		return false, 0, nil, false, fmt.Errorf("%w: reserved bits set", errProtocol)
	case frame[1]&0x80 != 0:
		return false, 0, nil, false, fmt.Errorf("%w: a masked frame from the server", errProtocol)
	case op >= wsClose && (!fin || need > 125):
		return false, 0, nil, false, fmt.Errorf("%w: a fragmented or long control frame", errProtocol)
	}
	return fin, op, frame[hdr:], true, nil
}

// room makes space behind the unparsed bytes and returns it. The unparsed bytes move to the
// front of the read buffer first when there is none behind them, into a larger buffer of their
// own when a frame does not fit in it; that one is dropped once the frame has been parsed.
func (c *wsConn) room() []byte {
	if len(c.in) == cap(c.in) {
		dst := c.buf
		if len(c.in) >= len(c.buf) {
			dst = make([]byte, 2*len(c.in))
		}
		c.in = dst[:copy(dst, c.in)]
	}
	return c.in[len(c.in):cap(c.in)]
}

// fill waits for more bytes and reads them behind the unparsed ones.
func (c *wsConn) fill() error {
	n, err := c.nc.Read(c.room())
	c.in = c.in[:len(c.in)+n]
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// frameSize returns the length of the whole frame at the start of b (header and payload), or
// 0 while b holds less than that; need is the payload's length once the header is there.
func frameSize(b []byte) (n, need int) {
	if len(b) < 2 {
		return 0, 0
	}
	hdr, size := 2, uint64(b[1]&0x7f)
	switch size {
	case 126:
		if len(b) < 4 {
			return 0, 0
		}
		hdr, size = 4, uint64(binary.BigEndian.Uint16(b[2:]))
	case 127:
		if len(b) < 10 {
			return 0, 0
		}
		hdr, size = 10, binary.BigEndian.Uint64(b[2:])
	}
	if b[1]&0x80 != 0 {
		hdr += 4
	}
	if size > readLimit {
		return 0, readLimit + 1
	}
	if len(b) < hdr+int(size) {
		return 0, int(size)
	}
	return hdr + int(size), int(size)
}

// writeText sends one text message, giving up at the deadline.
func (c *wsConn) writeText(payload []byte, deadline time.Time) error {
	return c.writeFrame(wsText, payload, deadline)
}

// writeFrame sends one frame, masked as a client must.
func (c *wsConn) writeFrame(op byte, payload []byte, deadline time.Time) error {
	frame := make([]byte, 0, 14+len(payload))
	frame = append(frame, 0x80|op)
	switch n := len(payload); {
	case n <= 125:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xffff:
		frame = binary.BigEndian.AppendUint16(append(frame, 0x80|126), uint16(n))
	default:
		frame = binary.BigEndian.AppendUint64(append(frame, 0x80|127), uint64(n))
	}
	var mask [4]byte
	rand.Read(mask[:])
	frame = append(frame, mask[:]...)
	for i, b := range payload {
		frame = append(frame, b^mask[i&3])
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = op == wsClose
	if err := c.nc.SetWriteDeadline(deadline); err != nil {
		return err
	}
	_, err := c.nc.Write(frame)
	return err
}

// closeNow closes the connection without a closing handshake, as a browser tab that goes away
// does; a read blocked on it returns net.ErrClosed, and afterClose runs.
func (c *wsConn) closeNow() error {
	c.wmu.Lock()
	nc, after := c.nc, c.afterClose
	c.wmu.Unlock()
	err := nc.Close()
	if after != nil {
		after()
	}
	return err
}

// pollWith hands the socket to the bench's poller: it leaves Go's poller (detach), and once it
// is closed here, end runs, since a socket out of epoll gets no wake-up to tell its reader.
func (c *wsConn) pollWith(end func()) (*fdConn, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	nc, ok := c.nc.(net.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	fc, err := detach(nc)
	if err != nil {
		return nil, err
	}
	c.nc, c.afterClose = fc, end
	return fc, nil
}

// errNothingToRead is fillNow finding the socket empty: the poller woke early.
var errNothingToRead = errors.New("nothing to read")

// fillNow reads what the socket holds behind the unparsed bytes without waiting, for the
// bench's poller: errNothingToRead when it holds nothing, io.EOF at the end of the stream.
func (c *wsConn) fillNow() error {
	n, err := c.nc.Read(c.room())
	c.in = c.in[:len(c.in)+n]
	return err
}
