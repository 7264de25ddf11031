package live_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// rawSocket is a WebSocket client without a goroutine of its own, so that counting goroutines
// counts the server's alone.
type rawSocket struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// dialRaw opens a visitor socket; extra bytes are sent in the same write as the handshake.
func dialRaw(t *testing.T, srv *testutil.Server, token string, extra []byte) *rawSocket {
	t.Helper()
	host := strings.TrimPrefix(srv.URL, "http://")
	nc, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	key := make([]byte, 16)
	rand.Read(key)
	req := "GET /api/v1/widget/ws?token=" + token + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
		base64.StdEncoding.EncodeToString(key) + "\r\n\r\n"
	if _, err := nc.Write(append([]byte(req), extra...)); err != nil {
		t.Fatal(err)
	}
	s := &rawSocket{t: t, nc: nc, br: bufio.NewReaderSize(nc, 512)}
	resp, err := http.ReadResponse(s.br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	return s
}

// clientFrame encodes a masked client text frame.
func clientFrame(payload string) []byte { return maskedFrame(0x1, payload) }

// maskedFrame encodes a short masked client frame with the given opcode.
func maskedFrame(opcode byte, payload string) []byte {
	mask := []byte{1, 2, 3, 4}
	f := []byte{0x80 | opcode, 0x80 | byte(len(payload))}
	f = append(f, mask...)
	for i := range len(payload) {
		f = append(f, payload[i]^mask[i&3])
	}
	return f
}

func (s *rawSocket) send(b []byte) {
	s.t.Helper()
	if _, err := s.nc.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

// next reads server frames until one whose payload contains want; a close frame returns its
// code as an error.
func (s *rawSocket) next(want string) {
	s.t.Helper()
	s.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var head [4]byte
		if _, err := readFull(s.br, head[:2]); err != nil {
			s.t.Fatalf("waiting for %q: %v", want, err)
		}
		n := int(head[1] & 0x7F)
		if n == 126 {
			readFull(s.br, head[2:4])
			n = int(binary.BigEndian.Uint16(head[2:4]))
		}
		payload := make([]byte, n)
		if _, err := readFull(s.br, payload); err != nil {
			s.t.Fatalf("waiting for %q: %v", want, err)
		}
		if head[0]&0x0F == 0x8 {
			s.t.Fatalf("waiting for %q: closed with %d", want, binary.BigEndian.Uint16(payload))
		}
		if strings.Contains(string(payload), want) {
			return
		}
	}
}

func readFull(r *bufio.Reader, p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := r.Read(p[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Idle visitors cost the node no goroutine each: the poller reads one only when it sends
// something.
func TestIdleConnectionsCostNoGoroutine(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	const n = 200
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i], _ = srv.Visitor(acc, "https://shop.example/")
	}
	warm := dialRaw(t, srv, tokens[0], nil)
	warm.next("hello")
	warm.nc.Close()
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 0 })

	before := runtime.NumGoroutine()
	socks := make([]*rawSocket, n)
	for i, token := range tokens {
		socks[i] = dialRaw(t, srv, token, nil)
		socks[i].next("hello")
	}
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == n })
	// The writers that sent the hellos exit once their queues are empty.
	waitFor(t, func() bool { return runtime.NumGoroutine()-before < n/10 })

	// Every socket still answers, many times over: each read hands it back to the poller.
	for round := 0; round < 3; round++ {
		for _, s := range socks {
			s.send(clientFrame(`{"type":"ping"}`))
		}
		for _, s := range socks {
			s.next("pong")
		}
	}
	for _, s := range socks {
		s.nc.Close()
	}
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 0 })
}

// A frame sent in the same packet as the handshake, and a frame that arrives in pieces, are
// both read whole.
func TestFramesBehindTheHandshakeAndInPieces(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	token, _ := srv.Visitor(acc, "https://shop.example/")
	s := dialRaw(t, srv, token, clientFrame(`{"type":"ping"}`))
	s.next("pong")

	frame := clientFrame(`{"type":"ping"}`)
	for _, piece := range [][]byte{frame[:1], frame[1:5], frame[5:9], frame[9:]} {
		s.send(piece)
		time.Sleep(20 * time.Millisecond) // the pieces must arrive apart, as on a slow network
	}
	s.next("pong")
}

// A heartbeat that arrives whole is answered on the poller's goroutine, with no reader
// goroutine started for it; a WebSocket ping, whose pong may have to wait for the socket, still
// gets one, and is answered too.
func TestHeartbeatsNeedNoReaderGoroutine(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	token, _ := srv.Visitor(acc, "https://shop.example/")
	s := dialRaw(t, srv, token, nil)
	s.next("hello")
	hub := srv.App.Hub

	before := hub.ReadersStarted()
	for range 50 {
		s.send(clientFrame(`{"type":"ping"}`))
		s.next("pong")
	}
	if n := hub.ReadersStarted() - before; n != 0 {
		t.Fatalf("%d reader goroutines started for 50 heartbeats, want none", n)
	}

	s.send(maskedFrame(0x9, "are you there"))
	s.next("are you there")
	if hub.ReadersStarted() == before {
		t.Fatal("a WebSocket ping was answered without a reader goroutine")
	}
	s.send(clientFrame(`{"type":"ping"}`))
	s.next("pong")
}

// A connection the server closes while it is idle, with no reader running, still leaves the
// hub: here the operator's socket closed by signing out, and idle visitors at shutdown.
func TestServerClosingIdleConnectionsCleansUp(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	srv.DialOperator(token)
	waitFor(t, func() bool { ops, _ := srv.App.Hub.ConnectionCounts(); return ops == 1 })
	srv.Do("POST", "/api/v1/auth/logout", token, nil).Want(t, http.StatusNoContent)
	waitFor(t, func() bool { ops, _ := srv.App.Hub.ConnectionCounts(); return ops == 0 })

	for range 20 {
		vt, _ := srv.Visitor(acc, "https://shop.example/")
		dialRaw(t, srv, vt, nil).next("hello")
	}
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 20 })
	srv.Close()
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 0 })
}
