package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSplitVisitors(t *testing.T) {
	got := splitVisitors(50, 25050, 3)
	want := [][2]int{{50, 8334}, {8384, 8333}, {16717, 8333}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("splitVisitors(50, 25050, 3) = %v, want %v", got, want)
		}
	}
	if end := got[2][0] + got[2][1]; end != 25050 {
		t.Errorf("the shares end at %d, want 25050", end)
	}
}

func TestDefaultWorkers(t *testing.T) {
	for _, tc := range []struct{ visitors, want int }{
		{0, 1}, {100, 1}, {SocketsPerWorker, 1}, {SocketsPerWorker + 1, 2}, {45000, 3},
	} {
		if got := DefaultWorkers(tc.visitors); got != tc.want {
			t.Errorf("DefaultWorkers(%d) = %d, want %d", tc.visitors, got, tc.want)
		}
	}
}

func TestValidateFileLimit(t *testing.T) {
	base := Options{Visitors: 25000, Chatting: 50, Rate: 10, Concurrency: 64, Sources: 8, Heartbeat: time.Second,
		Operators: make([]Login, 10), FileLimit: 20000}
	for _, tc := range []struct {
		workers int
		want    string // "" for valid
	}{
		{1, "25010 sockets in one process do not fit in its limit of 20000 open files"},
		{2, ""},
		{3, ""},
	} {
		o := base
		o.Workers = tc.workers
		err := o.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("--workers %d: %v", tc.workers, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("--workers %d: error %v, want one saying %q", tc.workers, err, tc.want)
		}
	}
}

// The reconnect delays are the widget's (web/widget/socket.js): 0.5 s doubling to at most 10 s,
// each a random point in the second half.
func TestBackoff(t *testing.T) {
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for n, w := range want {
		if got := backoff(n); got != w {
			t.Errorf("backoff(%d) = %s, want %s", n, got, w)
		}
	}
	for range 100 {
		if d := jitter(time.Second); d < 500*time.Millisecond || d > time.Second {
			t.Fatalf("jitter(1s) = %s, want between 0.5 s and 1 s", d)
		}
	}
}

// A worker answers every request with one line, and only once it has been started.
func TestServeWorkerProtocol(t *testing.T) {
	in := strings.NewReader(`{"op":"stats"}` + "\n" +
		`{"op":"start","config":{"urls":["http://127.0.0.1:1"],"account":"pk","first":0,"count":0,"concurrency":1,"sources":1,"heartbeat":1000000000}}` + "\n" +
		`{"op":"nonsense"}` + "\n" +
		`{"op":"close"}` + "\n")
	var out bytes.Buffer
	if err := ServeWorker(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	var replies []reply
	dec := json.NewDecoder(&out)
	for dec.More() {
		var r reply
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		replies = append(replies, r)
	}
	if len(replies) != 4 {
		t.Fatalf("%d replies, want 4: %+v", len(replies), replies)
	}
	for i, want := range []string{"the first request must be start", "", `unknown request "nonsense"`, ""} {
		if !strings.Contains(replies[i].Error, want) || (want == "" && replies[i].Error != "") {
			t.Errorf("reply %d: error %q, want %q", i+1, replies[i].Error, want)
		}
	}
}

// Times taken in one process and compared in another come from the machine's monotonic
// clock; in one process it must agree with Go's own.
func TestMonoNow(t *testing.T) {
	a, start := monoNow(), time.Now()
	time.Sleep(10 * time.Millisecond)
	b, took := monoNow(), time.Since(start)
	if d := time.Duration(b - a); d < 10*time.Millisecond || d > took+time.Millisecond {
		t.Errorf("monoNow advanced %s over %s", d, took)
	}
	if runtime.GOOS != "linux" {
		return // elsewhere the shared clock is the wall clock
	}
	if d := clockMonotonic() - monoNow(); d < -time.Millisecond.Nanoseconds() || d > 50*time.Millisecond.Nanoseconds() {
		t.Errorf("monoNow is %s away from CLOCK_MONOTONIC", time.Duration(d))
	}
}

// The idle phase's window must not end between a ping and its pong: the counts wait for the
// pong of a ping in flight.
func TestAnsweredCountsWaitForThePongInFlight(t *testing.T) {
	r := newRunner(Options{Concurrency: 1}, 0, 0)
	t.Cleanup(r.stopPollers)
	r.pings.Store(3)
	r.pongs.Store(2)
	go func() {
		time.Sleep(50 * time.Millisecond)
		r.pongs.Add(1)
	}()
	if c := r.answeredCounts(context.Background()); c.Pings != 3 || c.Pongs != 3 {
		t.Fatalf("counts %d pings / %d pongs, want 3 / 3", c.Pings, c.Pongs)
	}
}
