package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// The widget's back-off (web/widget/socket.js): after a `reconnect` frame it comes back within
// a second; after a failed or lost connection it waits 0.5 s, 1 s, 2 s … at most 10 s, each
// time a random point in the second half of the interval.
const (
	rejoinSoon     = time.Second
	rejoinMinDelay = 500 * time.Millisecond
	rejoinMaxDelay = 10 * time.Second
	// rejoinWithin is how long the restart phase waits, after the node is back, for the last
	// socket to be greeted again: beyond the widget's longest back-off, so a miss is a failure.
	rejoinWithin = time.Minute
)

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// backoff is the widget's delay before attempt n (0-based) after a failure.
func backoff(n int) time.Duration {
	if n >= 5 {
		return rejoinMaxDelay
	}
	return min(rejoinMaxDelay, rejoinMinDelay<<n)
}

// rejoin follows the sockets of the node being restarted: while it is armed, a socket on that
// node that is told to go or is closed reconnects to it instead of counting as a disconnect.
type rejoin struct {
	mu   sync.Mutex
	node string // armed for this node's base URL; "" otherwise

	expected [2]atomic.Int64 // live sockets on the node when armed, by kind
	lost     [2]atomic.Int64 // of them, dropped by the node
	back     [2]atomic.Int64 // of them, greeted again
	frames   atomic.Int64    // reconnect frames received
	failed   atomic.Int64    // connection attempts refused while the node was away
	last     atomic.Int64    // monotonic ns of the latest greeting again
}

func (j *rejoin) expects(s *socket) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.node != "" && j.node == s.node
}

func (j *rejoin) dropped(kind int) { j.lost[kind].Add(1) }

func (j *rejoin) greeted(kind int) {
	now := monoNow()
	j.back[kind].Add(1)
	for {
		old := j.last.Load()
		if now <= old || j.last.CompareAndSwap(old, now) {
			return
		}
	}
}

// RejoinCounts is what one process saw of a restart; the parent adds up its own and its
// workers'.
type RejoinCounts struct {
	Expected  [2]int64 `json:"expected"`
	Lost      [2]int64 `json:"lost"`
	Back      [2]int64 `json:"back"`
	Frames    int64    `json:"frames"`
	Failed    int64    `json:"failed"`
	LastMonoN int64    `json:"last_mono_ns"`
}

func (c *RejoinCounts) add(o RejoinCounts) {
	for k := range 2 {
		c.Expected[k] += o.Expected[k]
		c.Lost[k] += o.Lost[k]
		c.Back[k] += o.Back[k]
	}
	c.Frames += o.Frames
	c.Failed += o.Failed
	c.LastMonoN = max(c.LastMonoN, o.LastMonoN)
}

// armRestart makes the sockets on node reconnect when it goes away, and counts them.
func (r *runner) armRestart(node string) RejoinCounts {
	j := &r.rejoin
	j.mu.Lock()
	j.node = node
	j.mu.Unlock()
	r.sockMu.Lock()
	socks := r.socks
	r.sockMu.Unlock()
	var c RejoinCounts
	for _, s := range socks {
		if s.node == node && !s.closing.Load() {
			c.Expected[s.kind]++
		}
	}
	for k := range 2 {
		j.expected[k].Store(c.Expected[k])
	}
	return c
}

// awaitRejoin waits until every socket armed for has been greeted again, or the time is up,
// then disarms: from now on a disconnect counts as unexpected again.
func (r *runner) awaitRejoin(ctx context.Context, within time.Duration) RejoinCounts {
	j := &r.rejoin
	waitFor(ctx, within, func() bool {
		return j.back[0].Load() >= j.expected[0].Load() && j.back[1].Load() >= j.expected[1].Load()
	})
	j.mu.Lock()
	j.node = ""
	j.mu.Unlock()
	var c RejoinCounts
	for k := range 2 {
		c.Expected[k], c.Lost[k], c.Back[k] = j.expected[k].Load(), j.lost[k].Load(), j.back[k].Load()
	}
	c.Frames, c.Failed, c.LastMonoN = j.frames.Load(), j.failed.Load(), j.last.Load()
	return c
}

// redial reconnects a socket dropped by its restarting node, with the widget's back-off, and
// starts its reader again; the reader counts the greeting. It gives up only when the bench
// closes everything.
func (r *runner) redial(s *socket, toldToGo bool) {
	defer r.readers.Done()
	s.rejoining.Store(true)
	s.conn.Store(nil)
	delay, attempt := rejoinSoon, 0
	if !toldToGo {
		delay, attempt = backoff(0), 1
	}
	for {
		select {
		case <-r.stopping:
			return
		case <-time.After(jitter(delay)):
		}
		ws, err := dial(context.Background(), s.client, s.url)
		if err == nil {
			s.conn.Store(ws)
			if s.closing.Load() {
				ws.closeNow()
				return
			}
			r.startReading(s, ws)
			return
		}
		r.rejoin.failed.Add(1)
		delay = backoff(attempt)
		attempt++
	}
}

// restartPhase stops one node with SIGTERM, starts it again on the same address with the same
// store, and waits for every socket that was on it to reconnect to it and get its hello.
func (r *runner) restartPhase(ctx context.Context) {
	if !r.opt.Restart {
		return
	}
	idx := len(r.opt.URLs) - 1 // with several nodes not the operators' node, so messaging's side is untouched
	node := r.opt.URLs[idx]
	rep := &RestartReport{Node: node, ReconnectTo: "the same node"}
	r.rep.Restart = rep
	unexpected := r.totalUnexpected(ctx)

	total := r.armRestart(node)
	for _, c := range r.onWorkers(ctx, request{Op: opArm, Node: node}) {
		total.add(c.Rejoin)
	}
	rep.Visitors, rep.Operators = int(total.Expected[kindVisitor]), int(total.Expected[kindOperator])

	start := monoNow()
	done, err := r.opt.RestartNode(ctx, idx)
	rep.NodeSeconds = round3(float64(monoNow()-start) / 1e9)
	rep.StopSeconds = round3(done.Stopped.Seconds())
	if err != nil {
		rep.Errors++
		r.problems.note("restart", err)
	} else if idx < len(r.opt.PIDs) {
		r.opt.PIDs[idx] = done.PID
	}
	within := rejoinWithin
	if err != nil {
		within = 0 // nothing will come back; count what did
	}

	var remote []reply
	var wg sync.WaitGroup
	wg.Go(func() { remote = r.onWorkers(ctx, request{Op: opRejoin, Within: within}) })
	got := r.awaitRejoin(ctx, within)
	wg.Wait()
	for _, c := range remote {
		got.add(c.Rejoin)
	}
	rep.ReconnectFrames = int(got.Frames)
	rep.Dropped = int(got.Lost[kindVisitor] + got.Lost[kindOperator])
	rep.Reconnected = int(got.Back[kindVisitor])
	rep.OperatorsReconnected = int(got.Back[kindOperator])
	rep.FailedAttempts = int(got.Failed)
	if got.LastMonoN > start {
		rep.Seconds = round3(float64(got.LastMonoN-start) / 1e9)
	}
	if missed := int(got.Expected[0]+got.Expected[1]) - rep.Reconnected - rep.OperatorsReconnected; missed > 0 {
		rep.Errors += missed
		r.problems.note("restart", fmt.Errorf("%d of %d sockets on the restarted node did not reconnect within %s of its start",
			missed, got.Expected[0]+got.Expected[1], within))
	}
	rep.UnexpectedDisconnects = r.totalUnexpected(ctx) - unexpected
	if rep.Visitors+rep.Operators == 0 && err == nil {
		r.problems.note("restart", errors.New("no socket was on the restarted node"))
		rep.Errors++
	}
}
