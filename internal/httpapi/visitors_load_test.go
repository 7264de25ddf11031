package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// frameLog reads an operator socket as fast as it can and keeps what the visitor list needs.
type frameLog struct {
	mu              sync.Mutex
	online          map[string]bool // visitor id → online, as the frames say
	frames          int
	maxVisitorFrame int
}

func (l *frameLog) read(c *websocket.Conn) {
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			return
		}
		var f struct {
			Type      string `json:"type"`
			Event     string `json:"event"`
			VisitorID string `json:"visitor_id"`
			Visitor   *struct {
				ID string `json:"id"`
			} `json:"visitor"`
		}
		if json.Unmarshal(data, &f) != nil || f.Type != "visitor" {
			continue
		}
		l.mu.Lock()
		l.frames++
		l.maxVisitorFrame = max(l.maxVisitorFrame, len(data))
		switch f.Event {
		case "online", "updated":
			l.online[f.Visitor.ID] = true
		case "offline", "left":
			delete(l.online, f.VisitorID)
		}
		l.mu.Unlock()
	}
}

func (l *frameLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.online)
}

// 2,000 visitors arrive and 500 go: the operator's list, kept from the frames alone, converges
// on the right count, and each frame carries one visitor, never the list.
func TestVisitorListConvergesUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	const visitors, leaving = 2000, 500
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, opToken := srv.Operator(acc, domain.RoleAgent)

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	wsURL := strings.Replace(srv.URL, "http", "ws", 1)
	op, _, err := websocket.Dial(ctx, wsURL+"/api/v1/ws?token="+opToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer op.CloseNow()
	log := &frameLog{online: map[string]bool{}}
	go log.read(op)

	conns := make([]*websocket.Conn, visitors)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			body := map[string]any{"account": acc.Key, "page": map[string]string{"url": fmt.Sprintf("https://shop.example/cars/%d", i), "title": "Car"}}
			res := testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/widget/visits", "", body, nil)
			if res.Status != http.StatusOK {
				t.Errorf("visit %d: %d %s", i, res.Status, res.Raw)
				return
			}
			c, _, err := websocket.Dial(ctx, wsURL+"/api/v1/widget/ws?token="+res.String("visitor_token"), nil)
			if err != nil {
				t.Errorf("visitor %d: %v", i, err)
				return
			}
			c.SetReadLimit(1 << 20)
			go func() {
				for {
					if _, _, err := c.Read(context.Background()); err != nil {
						return
					}
				}
			}()
			conns[i] = c
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	waitUntil(t, 60*time.Second, func() bool { return log.count() == visitors }, func() string {
		return fmt.Sprintf("the operator's list has %d of %d visitors", log.count(), visitors)
	})
	if n := len(onlineVisitors(t, srv, opToken)); n != visitors {
		t.Errorf("GET /visitors?online=true lists %d, want %d", n, visitors)
	}

	for _, c := range conns[:leaving] {
		c.Close(websocket.StatusNormalClosure, "")
	}
	waitUntil(t, 60*time.Second, func() bool { return log.count() == visitors-leaving }, func() string {
		return fmt.Sprintf("after %d left the operator's list has %d, want %d", leaving, log.count(), visitors-leaving)
	})
	if n := len(onlineVisitors(t, srv, opToken)); n != visitors-leaving {
		t.Errorf("GET /visitors?online=true lists %d, want %d", n, visitors-leaving)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	// One frame per change (arrival, departure), each the size of one visitor: a frame holding
	// the whole list would be hundreds of kilobytes here.
	if log.frames > visitors+leaving+visitors/10 {
		t.Errorf("%d visitor frames for %d arrivals and %d departures", log.frames, visitors, leaving)
	}
	if log.maxVisitorFrame > 4096 {
		t.Errorf("a visitor frame of %d bytes: the list, not a change?", log.maxVisitorFrame)
	}
	for _, c := range conns[leaving:] {
		c.CloseNow()
	}
}

func waitUntil(t *testing.T, within time.Duration, ok func() bool, explain func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal(explain())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
