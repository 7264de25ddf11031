package testutil

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Socket is a test client of the live protocol.
type Socket struct {
	t      testing.TB
	Conn   *websocket.Conn
	frames chan map[string]any
	closed chan error
	// Hello is the server's first frame.
	Hello map[string]any
}

// DialOperator opens the operator socket with a bearer token.
func (s *Server) DialOperator(token string) *Socket {
	s.t.Helper()
	return Dial(s.t, strings.Replace(s.URL, "http", "ws", 1)+"/api/v1/ws?token="+token, nil)
}

// DialVisitor opens the widget socket as a page on origin would.
func (s *Server) DialVisitor(token string) *Socket {
	s.t.Helper()
	return Dial(s.t, strings.Replace(s.URL, "http", "ws", 1)+"/api/v1/widget/ws?token="+token, nil)
}

func Dial(t testing.TB, url string, header http.Header) *Socket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.SetReadLimit(1 << 20)
	s := &Socket{t: t, Conn: c, frames: make(chan map[string]any, 1024), closed: make(chan error, 1)}
	go s.read()
	t.Cleanup(func() { c.CloseNow() })
	s.Hello = s.Next("hello")
	if s.Hello["heartbeat_seconds"] == nil {
		t.Fatalf("hello without heartbeat_seconds: %v", s.Hello)
	}
	return s
}

func (s *Socket) read() {
	for {
		_, data, err := s.Conn.Read(context.Background())
		if err != nil {
			s.closed <- err
			close(s.frames)
			return
		}
		var f map[string]any
		if json.Unmarshal(data, &f) == nil {
			s.frames <- f
		}
	}
}

// Send writes one frame.
func (s *Socket) Send(frame any) {
	s.t.Helper()
	data, _ := json.Marshal(frame)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Conn.Write(ctx, websocket.MessageText, data); err != nil {
		s.t.Fatal(err)
	}
}

// Next waits for the next frame of the type, skipping others; it fails after 5 s.
func (s *Socket) Next(typ string) map[string]any {
	s.t.Helper()
	return s.NextWhere(typ, func(map[string]any) bool { return true })
}

// NextWhere waits for a frame of the type that matches.
func (s *Socket) NextWhere(typ string, match func(map[string]any) bool) map[string]any {
	s.t.Helper()
	return s.NextWithoutWhere(typ, match, func(map[string]any) bool { return false })
}

// NextWithoutWhere waits for a frame of the type that matches, and fails if a frame that
// unwanted matches comes before it.
func (s *Socket) NextWithoutWhere(typ string, match, unwanted func(map[string]any) bool) map[string]any {
	s.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				s.t.Fatalf("socket closed while waiting for %q", typ)
			}
			if f["type"] == typ && match(f) {
				return f
			}
			if unwanted(f) {
				s.t.Fatalf("while waiting for %q: unexpected %v", typ, f)
			}
		case <-deadline:
			s.t.Fatalf("no %q frame within 5 s", typ)
		}
	}
}

// MessageFrame matches the `message` frame of the message with client id cid.
func MessageFrame(cid string) func(map[string]any) bool {
	return func(f map[string]any) bool {
		return f["type"] == "message" && Field(f, "message", "client_msg_id") == cid
	}
}

// Quiet checks that no frame of the type arrives within d.
func (s *Socket) Quiet(typ string, d time.Duration) {
	s.t.Helper()
	s.QuietWhere(typ, func(map[string]any) bool { return true }, d)
}

// QuietWhere checks that no frame of the type that matches arrives within d.
func (s *Socket) QuietWhere(typ string, match func(map[string]any) bool, d time.Duration) {
	s.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case f, ok := <-s.frames:
			if !ok {
				return
			}
			if f["type"] == typ && match(f) {
				s.t.Fatalf("unexpected %q frame: %v", typ, f)
			}
		case <-deadline:
			return
		}
	}
}

// Closed waits for the server to close the socket and returns its close code.
func (s *Socket) Closed(within time.Duration) websocket.StatusCode {
	s.t.Helper()
	select {
	case err := <-s.closed:
		return websocket.CloseStatus(err)
	case <-time.After(within):
		s.t.Fatalf("socket still open after %v", within)
		return 0
	}
}

// Field digs into a frame: Field(f, "message", "body").
func Field(f map[string]any, keys ...string) any {
	var cur any = f
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return fmt.Sprintf("<no %s>", k)
		}
		cur = m[k]
	}
	return cur
}
