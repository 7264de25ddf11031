package live_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// A client that stops reading is dropped with 4008 and never holds up the others.
func TestSlowConsumerIsDroppedWithoutStallingOthers(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	fastToken, _ := srv.Visitor(acc, "https://shop.example/")
	slowToken, _ := srv.Visitor(acc, "https://shop.example/")
	fast := srv.DialVisitor(fastToken)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	slow, _, err := websocket.Dial(ctx, strings.Replace(srv.URL, "http", "ws", 1)+"/api/v1/widget/ws?token="+slowToken, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.CloseNow() // never read: its socket buffers fill, then its queue
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 2 })

	pad := strings.Repeat("x", 16<<10)
	const batches, perBatch = 100, 20
	for b := 0; b < batches; b++ {
		for i := 0; i < perBatch; i++ {
			frame := fmt.Sprintf(`{"type":"test","n":%d,"pad":%q}`, b*perBatch+i, pad)
			srv.App.Bus.Publish(ctx, bus.AccountVisitorsTopic(acc.ID), []byte(frame))
		}
		// The fast client keeps up: every frame of the batch arrives before the next batch.
		for i := 0; i < perBatch; i++ {
			fast.Next("test")
		}
	}
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 1 })
	fast.Send(map[string]string{"type": "ping"})
	fast.Next("pong")
}

// Connections that all drop at once leave no goroutine or file descriptor behind.
func TestMassDisconnectLeaksNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	token, _ := srv.Visitor(acc, "https://shop.example/")
	url := strings.Replace(srv.URL, "http", "ws", 1) + "/api/v1/widget/ws?token=" + token
	warm := testutil.Dial(t, url, nil)
	warm.Conn.CloseNow()
	waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 0 })

	const n = 2000
	// Round 0 warms up what the node keeps by design (the database's pool of idle readers, each
	// with its files open); the counts after it are the baseline the later rounds must return to.
	var goroutines, fds int
	for round := 0; round < 3; round++ {
		if round == 1 {
			goroutines, fds = runtime.NumGoroutine(), openFiles(t)
		}
		conns := make([]*websocket.Conn, n)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 64)
		for i := range conns {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				c, _, err := websocket.Dial(ctx, url, nil)
				if err != nil {
					t.Errorf("dial %d: %v", i, err)
					return
				}
				conns[i] = c
			}()
		}
		wg.Wait()
		if t.Failed() {
			t.FailNow()
		}
		waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == n })
		for _, c := range conns {
			c.CloseNow() // all at once, without a close handshake, as when a network dies
		}
		waitFor(t, func() bool { _, v := srv.App.Hub.ConnectionCounts(); return v == 0 })
	}
	waitFor(t, func() bool {
		return runtime.NumGoroutine() <= goroutines+5 && openFiles(t) <= fds+5
	})
}

func openFiles(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd on this system")
	}
	return len(entries)
}

// waitFor polls cond until it holds, failing after 20 s: events, not sleeps, decide.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within 20 s (goroutines %d)", runtime.NumGoroutine())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
