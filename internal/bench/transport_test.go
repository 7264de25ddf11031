package bench

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// transportServer is a node stand-in on loopback that counts the connections it accepts.
func transportServer(t *testing.T, handler http.HandlerFunc, configure func(*http.Server)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(handler)
	srv.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			conns.Add(1)
		}
	}
	if configure != nil {
		configure(srv.Config)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

func transportClient() *http.Client {
	return &http.Client{Transport: &transport{dial: (&net.Dialer{}).DialContext, maxIdle: 4}}
}

func TestTransportKeepsTheConnection(t *testing.T) {
	srv, conns := transportServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"error":{"code":"unauthorized"}}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"echo":"` + r.URL.Path + `"}`))
	}, nil)
	c := transportClient()
	ctx := context.Background()
	for i := range 5 {
		var out struct{ Echo string }
		if err := call(ctx, c, "POST", srv.URL+"/a/b", "tok", map[string]int{"n": i}, &out); err != nil || out.Echo != "/a/b" {
			t.Fatalf("request %d: %+v, %v", i, out, err)
		}
	}
	var apiErr *apiError
	if err := call(ctx, c, "POST", srv.URL+"/a/b", "wrong", map[string]int{}, nil); !errors.As(err, &apiErr) || apiErr.Status != 401 || apiErr.Code != "unauthorized" {
		t.Fatalf("a refused request: %v, want a 401 unauthorized", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("6 requests one after the other took %d connections, want 1", n)
	}
}

// A node that says Connection: close, streams a chunked answer, or closes a connection while it
// is idle: the next request still goes through, on a new connection where it must.
func TestTransportReusesOnlyWhatItMay(t *testing.T) {
	srv, conns := transportServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/close":
			w.Header().Set("Connection", "close")
		case "/chunked":
			w.Write([]byte(`{"part":`))
			w.(http.Flusher).Flush()
		}
		w.Write([]byte(`1}`))
	}, func(s *http.Server) { s.IdleTimeout = 50 * time.Millisecond })
	c := transportClient()
	ctx := context.Background()
	get := func(path string) {
		t.Helper()
		if err := call(ctx, c, "GET", srv.URL+path, "", nil, nil); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	get("/chunked")
	get("/chunked")
	if n := conns.Load(); n != 1 {
		t.Fatalf("a chunked answer read to its end: %d connections, want 1", n)
	}
	get("/close")
	get("/")
	if n := conns.Load(); n != 2 {
		t.Fatalf("after an answer with Connection: close: %d connections, want 2", n)
	}
	time.Sleep(200 * time.Millisecond) // the node closes the idle connection
	get("/")
	if n := conns.Load(); n != 3 {
		t.Fatalf("after the node closed the idle connection: %d connections, want 3", n)
	}
}

// An answer not read to its end leaves the connection unusable; it is closed, not kept.
func TestTransportDropsAConnectionWithAnUnreadAnswer(t *testing.T) {
	srv, conns := transportServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 10000)))
	}, nil)
	c := transportClient()
	for range 2 {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Read(make([]byte, 10))
		resp.Body.Close()
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("two answers left unread: %d connections, want 2", n)
	}
}

func TestTransportGivesUpWithTheContext(t *testing.T) {
	release := make(chan struct{})
	srv, _ := transportServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, nil)
	defer close(release)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := call(ctx, transportClient(), "POST", srv.URL, "", map[string]int{}, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a request past its deadline: %v, want the deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the request gave up after %s", took)
	}
	if _, err := transportClient().Get("https://" + srv.Listener.Addr().String()); err == nil || !strings.Contains(err.Error(), "only http://") {
		t.Errorf("an https URL: %v, want a refusal", err)
	}
}
