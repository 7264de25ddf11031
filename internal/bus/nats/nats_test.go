package nats_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/bus/nats"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/testutil"
)

// received collects what one handler got, in order.
type received struct {
	mu  sync.Mutex
	got []string
}

func (r *received) add(p []byte) {
	r.mu.Lock()
	r.got = append(r.got, string(p))
	r.mu.Unlock()
}

func (r *received) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func (r *received) waitFor(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(r.list()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("got %v, want %d events", r.list(), n)
		}
		time.Sleep(time.Millisecond)
	}
	return r.list()
}

func connect(t *testing.T, url, node string) *nats.Bus {
	t.Helper()
	return connectWith(t, config.NATS{URL: url}, node, slog.New(slog.DiscardHandler))
}

func connectWith(t *testing.T, cfg config.NATS, node string, log *slog.Logger) *nats.Bus {
	t.Helper()
	b, err := nats.Connect(cfg, node, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// A node's own subscribers get its events before Publish returns, once: not again through the
// server. The other node gets them through the server, and a node's subscriber still gets the
// other node's events.
func TestOwnEventsStayInProcessOthersComeThroughTheServer(t *testing.T) {
	url := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	topic := "test." + t.Name() + "." + time.Now().Format("150405.000000000")
	a, b := connect(t, url, "a"), connect(t, url, "b")
	var onA, onB, familyOnA received
	for _, sub := range []struct {
		bus *nats.Bus
		got *received
	}{{a, &onA}, {b, &onB}} {
		unsubscribe, err := sub.bus.Subscribe(topic, sub.got.add)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(unsubscribe)
	}
	unsubscribe, err := a.SubscribeFamily("test.", func(_ string, p []byte) { familyOnA.add(p) })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unsubscribe)
	// The subscriptions reach the server before anything is published.
	for _, n := range []*nats.Bus{a, b} {
		if err := n.Flush(); err != nil {
			t.Fatal(err)
		}
	}

	if err := a.Publish(context.Background(), topic, []byte("from a")); err != nil {
		t.Fatal(err)
	}
	if got := onA.list(); len(got) != 1 || got[0] != "from a" {
		t.Fatalf("node a's subscriber had %v when Publish returned, want [from a]", got)
	}
	if err := a.Flush(); err != nil { // an echo, if the server sent one, is now on its way to a
		t.Fatal(err)
	}
	if got := onB.waitFor(t, 1); got[0] != "from a" {
		t.Fatalf("node b got %v", got)
	}
	if err := b.Publish(context.Background(), topic, []byte("from b")); err != nil {
		t.Fatal(err)
	}
	// Node a's subscription reads the server's messages in order: an echo of "from a" would
	// come before "from b".
	if got := onA.waitFor(t, 2); len(got) != 2 || got[1] != "from b" {
		t.Fatalf("node a got %v, want [from a from b]", got)
	}
	if got := familyOnA.waitFor(t, 2); len(got) != 2 || got[0] != "from a" || got[1] != "from b" {
		t.Fatalf("node a's family subscription got %v, want [from a from b]", got)
	}
	if got := onB.list(); len(got) != 2 || got[1] != "from b" {
		t.Fatalf("node b got %v, want [from a from b]", got)
	}
}

// A node may start before its NATS server: the bus serves the node's own subscribers meanwhile,
// says at once that it cannot confirm a subscription (a client's hello does not wait for it),
// and once the server comes reports a gap and carries the subscriptions made while it waited.
func TestABusStartsBeforeItsServer(t *testing.T) {
	server := testutil.StartNATS(t)
	server.Stop()
	a := connect(t, server.URL(), "a")
	if a.Connected() {
		t.Fatal("Connected says true with no server")
	}
	gaps := make(chan struct{}, 10)
	a.OnGap(func() { gaps <- struct{}{} })
	topic := "test." + t.Name()
	var onA received
	unsubscribe, err := a.Subscribe(topic, onA.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unsubscribe)
	// Any other error (the context's deadline) means the confirmation waited for the server.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Confirm(ctx); !errors.Is(err, bus.ErrDisconnected) {
		t.Fatalf("Confirm without a server: %v, want bus.ErrDisconnected", err)
	}
	if err := a.Publish(context.Background(), topic, []byte("while alone")); err != nil {
		t.Fatal(err)
	}
	if got := onA.list(); len(got) != 1 || got[0] != "while alone" {
		t.Fatalf("node a's own subscriber got %v, want [while alone]", got)
	}

	server.Start()
	select {
	case <-gaps:
	case <-time.After(10 * time.Second):
		t.Fatal("no gap reported once the server came")
	}
	if !a.Connected() {
		t.Fatal("Connected says false after the gap")
	}
	if err := a.Confirm(ctx); err != nil {
		t.Fatalf("Confirm with the server: %v", err)
	}
	b := connect(t, server.URL(), "b")
	if err := b.Publish(context.Background(), topic, []byte("from b")); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := onA.waitFor(t, 2); got[1] != "from b" {
		t.Fatalf("node a got %v, want [while alone from b]", got)
	}
	if len(gaps) != 0 {
		t.Fatalf("%d more gaps reported", len(gaps))
	}
}

// A node whose NATS server cannot be reached says why in its log, once for the outage rather
// than at every attempt (four a second), and once more for the next outage.
func TestAnUnreachableServerIsLoggedOnceAnOutage(t *testing.T) {
	server := testutil.StartNATS(t)
	server.Stop()
	var logged syncBuffer
	a := connectWith(t, config.NATS{URL: server.URL()}, "a", slog.New(slog.NewTextHandler(&logged, nil)))
	reason := `msg="NATS unreachable; trying again every 250 ms" err=`
	waitForLog(t, &logged, reason, 1)
	time.Sleep(time.Second) // four more attempts
	if n := strings.Count(logged.String(), reason); n != 1 {
		t.Fatalf("the reason logged %d times in one outage, want once:\n%s", n, logged.String())
	}
	gaps := make(chan struct{}, 1)
	a.OnGap(func() { gaps <- struct{}{} })
	server.Start()
	select {
	case <-gaps:
	case <-time.After(10 * time.Second):
		t.Fatal("no gap reported once the server came")
	}
	server.Stop()
	waitForLog(t, &logged, reason, 2)
}

// syncBuffer is a log destination that the bus's callbacks and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitForLog(t *testing.T, logged *syncBuffer, text string, times int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(logged.String(), text) < times {
		if time.Now().After(deadline) {
			t.Fatalf("%q not logged %d times within 10 s:\n%s", text, times, logged.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A node holds a topic per account with someone connected: thousands on a portal. The topics'
// subscriptions cost no goroutine each, every topic's events come in order, and an ended
// subscription gets nothing more.
func TestTopicSubscriptionsShareFewGoroutines(t *testing.T) {
	url := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	prefix := "test." + strings.ReplaceAll(t.Name(), "/", ".") + "." + time.Now().Format("150405.000000000") + "."
	a, b := connect(t, url, "a"), connect(t, url, "b")
	const topics, events = 300, 20
	before := runtime.NumGoroutine()
	got := make([]received, topics)
	unsubscribes := make([]func(), topics)
	for i := range topics {
		unsubscribe, err := a.Subscribe(prefix+strconv.Itoa(i), got[i].add)
		if err != nil {
			t.Fatal(err)
		}
		unsubscribes[i] = unsubscribe
	}
	if grown := runtime.NumGoroutine() - before; grown >= topics/10 {
		t.Fatalf("%d topic subscriptions took %d goroutines", topics, grown)
	}
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	unsubscribes[0]()
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	for n := range events {
		for i := range topics {
			if err := b.Publish(context.Background(), prefix+strconv.Itoa(i), []byte(strconv.Itoa(n))); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := 1; i < topics; i++ {
		list := got[i].waitFor(t, events)
		for n, p := range list {
			if p != strconv.Itoa(n) {
				t.Fatalf("topic %d got %v, want 0 … %d in order", i, list, events-1)
			}
		}
	}
	if n := len(got[0].list()); n != 0 {
		t.Fatalf("an ended subscription got %d events", n)
	}
}

// A topic whose handler cannot keep up fills its dispatcher's queue; the client then drops
// events, and the bus reports a gap so that the node's clients catch up from the database.
func TestADispatcherThatCannotKeepUpIsAGap(t *testing.T) {
	url := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	defer nats.SetDispatchQueue(4)()
	topic := "test." + t.Name() + "." + time.Now().Format("150405.000000000")
	a, b := connect(t, url, "a"), connect(t, url, "b")
	gaps := make(chan struct{}, 1)
	a.OnGap(func() {
		select {
		case gaps <- struct{}{}:
		default:
		}
	})
	release := make(chan struct{})
	unsubscribe, err := a.Subscribe(topic, func([]byte) { <-release })
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	defer close(release)
	if err := a.Flush(); err != nil {
		t.Fatal(err)
	}
	for n := range 100 {
		if err := b.Publish(context.Background(), topic, []byte(strconv.Itoa(n))); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-gaps:
	case <-time.After(5 * time.Second):
		t.Fatal("no gap reported with events dropped")
	}
}

// publishAndExit names the topic a helper process of TestEventsPublishedBeforeCloseLeaveWithTheProcess
// publishes on before it exits.
const publishAndExit = "PORTICO_TEST_PUBLISH_AND_EXIT"

// A node shutting down publishes its goodbye and its visitors' departure, closes its bus and
// exits: Close returns once the server has what was published, so that none of it is lost with
// the process. A helper process publishes and exits at once after Close.
func TestEventsPublishedBeforeCloseLeaveWithTheProcess(t *testing.T) {
	url := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	const events = 200
	if topic := os.Getenv(publishAndExit); topic != "" {
		b, err := nats.Connect(config.NATS{URL: url}, "leaving", slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Confirm(ctx); err != nil {
			t.Fatal(err)
		}
		for i := range events {
			if err := b.Publish(context.Background(), topic, []byte(fmt.Sprintf("event %d", i))); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		os.Exit(0)
	}

	topic := "test.close." + strconv.FormatInt(time.Now().UnixNano(), 10)
	watcher := connect(t, url, "staying")
	var got received
	unsubscribe, err := watcher.Subscribe(topic, got.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unsubscribe)
	if err := watcher.Flush(); err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$")
	helper.Env = append(os.Environ(), publishAndExit+"="+topic)
	if out, err := helper.CombinedOutput(); err != nil {
		t.Fatalf("the publishing process: %v\n%s", err, out)
	}
	if all := got.waitFor(t, events); all[events-1] != fmt.Sprintf("event %d", events-1) {
		t.Fatalf("the last event is %q", all[events-1])
	}
}
