package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

const (
	expectNothing = iota
	expectOffline
	expectOnline
)

// fanout counts the presence frames the visitors receive while the account's availability flips.
// Receipts of the online frame are kept as monotonic times, so that a worker process's can be
// measured from the parent's start.
type fanout struct {
	expect  atomic.Int32
	offline atomic.Int64
	online  atomic.Int64
	mu      sync.Mutex
	at      []int64 // monoNow of each online frame
}

func (f *fanout) observe(online bool) {
	switch f.expect.Load() {
	case expectOffline:
		if !online {
			f.offline.Add(1)
		}
	case expectOnline:
		if online {
			now := monoNow()
			f.mu.Lock()
			f.at = append(f.at, now)
			f.mu.Unlock()
			f.online.Add(1)
		}
	}
}

// arm resets the count of one kind of frame and starts counting it, before the event is caused.
func (f *fanout) arm(what int) {
	f.mu.Lock()
	switch what {
	case expectOffline:
		f.offline.Store(0)
	case expectOnline:
		f.online.Store(0)
		f.at = nil
	}
	f.mu.Unlock()
	f.expect.Store(int32(what))
}

func (f *fanout) count(what int) int64 {
	if what == expectOffline {
		return f.offline.Load()
	}
	return f.online.Load()
}

// await waits until want frames of the kind expected have arrived, or within has passed, and
// returns how many did and, for the online frame, when each did.
func (f *fanout) await(ctx context.Context, what int, want int64, within time.Duration) (int64, []int64) {
	waitFor(ctx, within, func() bool { return f.count(what) >= want })
	if what != expectOnline {
		return f.count(what), nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.online.Load(), append([]int64(nil), f.at...)
}

// presenceSettle is how long the fan-out phase waits after its last event before it counts the
// presence frames the visitors received.
const presenceSettle = 500 * time.Millisecond

// MaxFanouts bounds --fanouts: each event is two fan-outs and takes a fifth of a second or so
// with 10,000 visitors.
const MaxFanouts = 1000

// fanoutPhase makes one event reach every connected visitor: with a single operator available,
// that operator goes away and comes back, and every visitor of the account is told each time.
// On a portal that operator is the first advertiser's, and the event goes to the visitors on
// its listings only. With --fanouts it does so that many times; the first is reported in full.
func (r *runner) fanoutPhase(ctx context.Context) {
	rep := &r.rep.Fanout
	clients := int64(r.totalVisitors() - r.totalUnexpected(ctx))
	if len(r.opt.Advertisers) > 0 {
		clients = int64(r.opt.audience()) - int64(r.totalUnexpected(ctx))
		if len(r.operators) > 0 && r.operators[0].idx != 0 {
			r.problems.note("fan-out", errors.New("the first advertiser's operator is not connected"))
			return
		}
	}
	if len(r.operators) == 0 || clients <= 0 {
		return
	}
	rep.Clients = int(clients)
	presenceBefore := r.counts(ctx).Presence
	defer func() {
		// Frames beyond the events' audience come within a moment of theirs.
		time.Sleep(presenceSettle)
		rep.PresenceFrames = r.counts(ctx).Presence - presenceBefore
	}()
	for _, op := range r.operators[1:] {
		if !r.setStatus(ctx, op, "away") {
			return
		}
	}
	var spent CPU
	var frames int64
	// Scraped outside the flips, so that reading /metrics does not load the nodes during one.
	scrapedBefore, scrapeErr := r.scrapeHistograms(ctx)
	defer func() {
		if frames > 0 {
			rep.PerFrame = FrameCPU{Frames: frames,
				ServerMicros: round3(spent.ServerSeconds / float64(frames) * 1e6),
				BenchMicros:  round3(spent.BenchSeconds / float64(frames) * 1e6)}
		}
		if scrapedAfter, err := r.scrapeHistograms(ctx); scrapeErr == nil && err == nil {
			cycles := scrapedAfter.gcCyclesSince(scrapedBefore)
			rep.GCCycles = &cycles
		}
	}()
	for i := range max(r.opt.Fanouts, 1) {
		flipCtx, cancel := context.WithTimeout(ctx, time.Minute)
		got, cpu, ok := r.flip(flipCtx, clients, i == 0)
		cancel()
		if !ok {
			return
		}
		frames += got
		spent.ServerSeconds += cpu.ServerSeconds
		spent.BenchSeconds += cpu.BenchSeconds
	}
}

// flip sends the last available operator away and back, and times the online event to every
// client; the first flip fills the report's fields, every one its last client's time. It
// returns how many online frames arrived and the CPU spent from the PATCH until they had.
func (r *runner) flip(ctx context.Context, clients int64, first bool) (int64, CPU, bool) {
	rep := &r.rep.Fanout
	last := r.operators[0]
	// expect arms this process and every worker for one kind of frame before it is caused.
	expect := func(what int) {
		r.fan.arm(what)
		r.onWorkers(ctx, request{Op: opExpect, What: what})
	}
	// await collects the frames from this process and every worker.
	await := func(what int) (int64, []int64) {
		var remote []reply
		var wg sync.WaitGroup
		wg.Go(func() { remote = r.onWorkers(ctx, request{Op: opAwait, What: what, Within: 15 * time.Second}) })
		got, at := r.fan.await(ctx, what, r.fanAudience(), 15*time.Second)
		wg.Wait()
		for _, w := range remote {
			got += w.Count
			at = append(at, w.Times...)
		}
		return got, at
	}

	expect(expectOffline)
	if !r.setStatus(ctx, last, "away") {
		return 0, CPU{}, false
	}
	if got, _ := await(expectOffline); got < clients {
		rep.Errors += int(clients - got)
		r.problems.note("fan-out", fmt.Errorf("%d of %d visitors were not told that no operator is available", clients-got, clients))
	}

	expect(expectOnline)
	mark := r.markCPU(ctx)
	start := monoNow()
	if !r.setStatus(ctx, last, "online") {
		return 0, CPU{}, false
	}
	got, at := await(expectOnline)
	cpu := r.cpuSince(ctx, mark)
	expect(expectNothing)
	var rec recorder
	for _, t := range at {
		rec.add(time.Duration(t - start))
	}
	latency := rec.summary()
	rep.LastMSEach = append(rep.LastMSEach, latency.Max)
	if latency.Max > 100 {
		rep.Over100++
	}
	if first {
		if len(at) > 0 {
			rep.FirstMS = ms(time.Duration(slices.Min(at) - start))
		}
		rep.Received, rep.Latency, rep.LastMS, rep.CPU = int(got), latency, latency.Max, cpu
	}
	switch {
	case got < clients:
		rep.Errors += int(clients - got)
		r.problems.note("fan-out", fmt.Errorf("%d of %d visitors never received presence online within 15 s", clients-got, clients))
	case got > clients:
		rep.Errors++
		r.problems.note("fan-out", fmt.Errorf("%d presence online frames for %d visitors", got, clients))
	}
	return got, cpu, true
}

// audience counts the visitors the fan-out's event goes to: all of them, or on a portal those on
// the first advertiser's listings.
func (o *Options) audience() int {
	if len(o.Advertisers) == 0 {
		return o.Visitors
	}
	n := 0
	for i := range o.Visitors {
		if o.advertiserOf(i) == o.Advertisers[0] {
			n++
		}
	}
	return n
}

// fanAudience is how many of this process's visitors the fan-out's event goes to.
func (r *runner) fanAudience() int64 {
	n := int64(len(r.visitors))
	if len(r.opt.Advertisers) > 0 {
		n = 0
		for _, v := range r.visitors {
			if v.advertiser == r.opt.Advertisers[0] {
				n++
			}
		}
	}
	return n - r.unexpected.Load()
}

// fanEvent says whether a presence frame is the fan-out's event: on a portal, one about the
// first advertiser (the others' come as their operators go away before it).
func (r *runner) fanEvent(frame []byte) bool {
	return len(r.fanAbout) == 0 || bytes.Contains(frame, r.fanAbout)
}

// setStatus sets an operator's status as the console does, counting a failure.
func (r *runner) setStatus(ctx context.Context, op *operatorConn, status string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := call(ctx, op.http, "PATCH", op.node+"/api/v1/me", op.token, map[string]string{"status": status}, nil)
	if err != nil {
		r.rep.Fanout.Errors++
		r.problems.note("fan-out", err)
	}
	return err == nil
}
