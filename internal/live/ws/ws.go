// Package ws is the server side of the WebSocket protocol (RFC 6455), made for holding tens of
// thousands of mostly idle connections: after the handshake no net/http goroutine or buffer is
// kept, a connection owns no buffer while idle, and frames for many receivers are encoded once.
// It speaks what browsers speak: no extensions, no subprotocols.
package ws

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	OpText         = 0x1
	OpBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// Close codes (RFC 6455 §7.4.1) that this package sends itself.
const (
	CloseNormal        = 1000
	CloseGoingAway     = 1001
	CloseProtocolError = 1002
	CloseInvalidData   = 1007
	CloseTooBig        = 1009
)

// ErrClosed is returned by ReadMessage once the peer has closed the connection.
var ErrClosed = errors.New("websocket closed")

// CloseError is the close frame the peer sent.
type CloseError struct {
	Code   int
	Reason string
}

func (e *CloseError) Error() string {
	return fmt.Sprintf("websocket closed by peer: %d %s", e.Code, e.Reason)
}

// HandshakeError is a request that is not a valid WebSocket upgrade; Status is the HTTP answer.
type HandshakeError struct {
	Status int
	Reason string
}

func (e *HandshakeError) Error() string { return e.Reason }

const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Upgrade checks the handshake, takes the connection over from net/http and answers 101.
// It answers nothing on error: the caller writes the HTTP error for a *HandshakeError.
func Upgrade(w http.ResponseWriter, r *http.Request, readLimit int) (*Conn, error) {
	if r.Method != http.MethodGet {
		return nil, &HandshakeError{http.StatusMethodNotAllowed, "a WebSocket handshake is a GET"}
	}
	if !headerHas(r.Header, "Connection", "upgrade") || !headerHas(r.Header, "Upgrade", "websocket") {
		return nil, &HandshakeError{http.StatusUpgradeRequired, "this endpoint speaks WebSocket only"}
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		return nil, &HandshakeError{http.StatusUpgradeRequired, "unsupported WebSocket version; 13 is supported"}
	}
	key := r.Header.Get("Sec-WebSocket-Key")
	if k, err := base64.StdEncoding.DecodeString(key); err != nil || len(k) != 16 {
		return nil, &HandshakeError{http.StatusBadRequest, "bad Sec-WebSocket-Key"}
	}
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return nil, &HandshakeError{http.StatusInternalServerError, "connection cannot be taken over: " + err.Error()}
	}
	sum := sha1.Sum([]byte(key + acceptGUID))
	response := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n"
	nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := nc.Write([]byte(response)); err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	c := &Conn{nc: nc, readLimit: readLimit, raw: rawConnOf(nc)}
	// A client may send its first frame right behind the handshake; those bytes sit in
	// net/http's reader, whose buffer is not kept.
	if n := brw.Reader.Buffered(); n > 0 {
		c.in = takeInBuffer(n)[:n]
		io.ReadFull(brw.Reader, c.in)
	}
	return c, nil
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

// Conn is one server-side WebSocket. ReadMessage is for one goroutine; writes may come from any.
type Conn struct {
	nc        net.Conn
	readLimit int

	// in[inPos:] are bytes read from the socket and not yet parsed. The buffer comes from a
	// pool when Fill or the handshake has bytes to keep, and goes back once they are parsed,
	// so that an idle connection holds none.
	in    []byte
	inPos int
	// bufferedOnly makes ReadMessage parse the buffered bytes alone and do nothing a reply or
	// a wait would need (ReadBuffered).
	bufferedOnly bool
	// head is ReadMessage's frame header (at most 2 + 8 length + 4 mask), here rather than on
	// its stack, from where reading into it through the net.Conn would move it to the heap.
	head [14]byte

	writeMu sync.Mutex
	closed  bool
	// raw reaches the descriptor, where the connection exposes one: found once, since each
	// SyscallConn is an allocation.
	raw syscall.RawConn
}

// rawConnOf is nc's descriptor access, or nil where it has none.
func rawConnOf(nc net.Conn) syscall.RawConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// inBufferSize is what Fill reads at most: a heartbeat or a typing hint in one read, and the
// few frames a client sends in a row.
const inBufferSize = 2048

var inBuffers = sync.Pool{New: func() any { b := make([]byte, inBufferSize); return &b }}

func takeInBuffer(n int) []byte {
	if n > inBufferSize {
		return make([]byte, n)
	}
	return (*inBuffers.Get().(*[]byte))[:inBufferSize]
}

func (c *Conn) releaseIn() {
	if cap(c.in) == inBufferSize {
		b := c.in[:inBufferSize]
		inBuffers.Put(&b)
	}
	c.in, c.inPos = nil, 0
}

// errNeedSocket stops a ReadMessage in bufferedOnly mode before it would wait for bytes or act.
var errNeedSocket = errors.New("websocket: the buffered bytes do not finish the message")

// ErrNotBuffered is returned by ReadBuffered: the next message needs the socket or an answer.
var ErrNotBuffered = errors.New("websocket: no whole message is buffered")

func (c *Conn) read(p []byte) (int, error) {
	if c.inPos < len(c.in) {
		n := copy(p, c.in[c.inPos:])
		c.inPos += n
		if c.inPos == len(c.in) && !c.bufferedOnly {
			c.releaseIn()
		}
		return n, nil
	}
	if c.bufferedOnly {
		return 0, errNeedSocket
	}
	return c.nc.Read(p)
}

func (c *Conn) readFull(p []byte) error {
	for len(p) > 0 {
		n, err := c.read(p)
		if err != nil {
			return err
		}
		p = p[n:]
	}
	return nil
}

// NetConn is the connection underneath, for watching it for readability.
func (c *Conn) NetConn() net.Conn { return c.nc }

// Buffered reports whether bytes the client sent are held here, not in the socket: a poller
// watching the socket would not wake for them.
func (c *Conn) Buffered() bool { return c.inPos < len(c.in) }

// ReadBuffered returns the next message if the bytes already buffered (Fill) hold all of it
// and it needs no answer. Otherwise it returns ErrNotBuffered and leaves the bytes for
// ReadMessage, which answers pings and close frames, reports bad framing and waits for the rest.
// It never touches the socket, so a goroutine that must not wait can call it.
func (c *Conn) ReadBuffered() (opcode int, payload []byte, err error) {
	start := c.inPos
	c.bufferedOnly = true
	opcode, payload, err = c.ReadMessage()
	c.bufferedOnly = false
	if err != nil {
		c.inPos = start
		return 0, nil, ErrNotBuffered
	}
	if c.inPos == len(c.in) {
		c.releaseIn()
	}
	return opcode, payload, nil
}

// SetReadDeadline bounds the next ReadMessage.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// ReadMessage returns the next text or binary message, reassembled from its fragments. It
// answers pings and close frames itself. A message longer than the read limit, bad framing or
// text that is not UTF-8 close the connection with the matching code.
func (c *Conn) ReadMessage() (opcode int, payload []byte, err error) {
	var msg []byte
	msgOp := -1
	for {
		head := &c.head
		if err := c.readFull(head[:2]); err != nil {
			return 0, nil, err
		}
		fin := head[0]&0x80 != 0
		if head[0]&0x70 != 0 {
			return 0, nil, c.fail(CloseProtocolError, "reserved bits set")
		}
		op := int(head[0] & 0x0F)
		if head[1]&0x80 == 0 {
			return 0, nil, c.fail(CloseProtocolError, "client frames must be masked")
		}
		length := uint64(head[1] & 0x7F)
		switch length {
		case 126:
			if err := c.readFull(head[2:4]); err != nil {
				return 0, nil, err
			}
			length = uint64(binary.BigEndian.Uint16(head[2:4]))
		case 127:
			if err := c.readFull(head[2:10]); err != nil {
				return 0, nil, err
			}
			length = binary.BigEndian.Uint64(head[2:10])
		}
		mask := head[10:14]
		if err := c.readFull(mask); err != nil {
			return 0, nil, err
		}
		control := op >= 0x8
		if control && (length > 125 || !fin) {
			return 0, nil, c.fail(CloseProtocolError, "bad control frame")
		}
		if !control && uint64(len(msg))+length > uint64(c.readLimit) {
			return 0, nil, c.fail(CloseTooBig, "message too big")
		}
		if c.bufferedOnly && length > uint64(len(c.in)-c.inPos) {
			return 0, nil, errNeedSocket // not all here: no payload buffer for it yet
		}
		data := make([]byte, length)
		if err := c.readFull(data); err != nil {
			return 0, nil, err
		}
		for i := range data {
			data[i] ^= mask[i&3]
		}
		switch op {
		case opPing:
			if c.bufferedOnly {
				return 0, nil, errNeedSocket
			}
			if err := c.writeControl(opPong, data); err != nil {
				return 0, nil, err
			}
			continue
		case opPong:
			continue
		case opClose:
			if c.bufferedOnly {
				return 0, nil, errNeedSocket
			}
			return 0, nil, c.peerClosed(data)
		case OpText, OpBinary:
			if msgOp != -1 {
				return 0, nil, c.fail(CloseProtocolError, "new message inside a fragmented one")
			}
			msgOp, msg = op, data
		case opContinuation:
			if msgOp == -1 {
				return 0, nil, c.fail(CloseProtocolError, "continuation without a message")
			}
			msg = append(msg, data...)
		default:
			return 0, nil, c.fail(CloseProtocolError, "unknown opcode")
		}
		if fin {
			if msgOp == OpText && !utf8.Valid(msg) {
				return 0, nil, c.fail(CloseInvalidData, "text is not UTF-8")
			}
			return msgOp, msg, nil
		}
	}
}

// peerClosed answers a close frame with the same code and reports it.
func (c *Conn) peerClosed(data []byte) error {
	e := &CloseError{Code: 1005}
	if len(data) >= 2 {
		e.Code = int(binary.BigEndian.Uint16(data))
		e.Reason = string(data[2:])
	}
	c.Close(e.Code, "")
	return e
}

func (c *Conn) fail(code int, reason string) error {
	if c.bufferedOnly {
		return errNeedSocket
	}
	c.Close(code, reason)
	return fmt.Errorf("websocket: %s", reason)
}

// Frame encodes a complete unmasked server frame. Encode a message once and hand the same
// bytes to every connection that should receive it.
func Frame(opcode int, payload []byte) []byte {
	return AppendFrame(make([]byte, 0, MaxHeaderLen+len(payload)), opcode, payload)
}

// MaxHeaderLen is the longest header of a server frame.
const MaxHeaderLen = 10

// AppendFrame appends a complete unmasked server frame to out: frames appended one after
// the other go to a socket in one write.
func AppendFrame(out []byte, opcode int, payload []byte) []byte {
	n := len(payload)
	out = append(out, 0x80|byte(opcode))
	switch {
	case n <= 125:
		out = append(out, byte(n))
	case n <= 0xFFFF:
		out = append(out, 126)
		out = binary.BigEndian.AppendUint16(out, uint16(n))
	default:
		out = append(out, 127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	return append(out, payload...)
}

// TextFrame is Frame for a text message.
func TextFrame(payload []byte) []byte { return Frame(OpText, payload) }

// WriteFrames writes encoded frames in one system call where it can. A write that cannot
// finish within timeout fails, so a stalled client cannot hold the writer.
func (c *Conn) WriteFrames(frames [][]byte, timeout time.Duration) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.nc.SetWriteDeadline(time.Now().Add(timeout))
	bufs := net.Buffers(frames)
	if _, err := bufs.WriteTo(c.nc); err != nil {
		return err
	}
	// A deadline left behind would expire later and fail the next TryWrite, which sets none.
	return c.nc.SetWriteDeadline(time.Time{})
}

func (c *Conn) writeControl(op int, payload []byte) error {
	return c.WriteFrames([][]byte{Frame(op, payload)}, 5*time.Second)
}

// Close sends a close frame (best effort, briefly) and closes the connection. It is safe to
// call more than once and from any goroutine; it unblocks a pending ReadMessage.
func (c *Conn) Close(code int, reason string) error {
	c.nc.SetWriteDeadline(time.Now()) // a write stuck on a stalled client gives way at once
	c.writeMu.Lock()
	if c.closed {
		c.writeMu.Unlock()
		return nil
	}
	c.closed = true
	if len(reason) > 123 {
		reason = reason[:123]
	}
	payload := make([]byte, 2, 2+len(reason))
	binary.BigEndian.PutUint16(payload, uint16(code))
	payload = append(payload, reason...)
	c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	c.nc.Write(Frame(opClose, payload))
	c.writeMu.Unlock()
	return c.nc.Close()
}

// CloseNow closes the connection without a close frame, for a peer that is gone anyway.
func (c *Conn) CloseNow() error {
	c.writeMu.Lock()
	c.closed = true
	c.writeMu.Unlock()
	return c.nc.Close()
}
