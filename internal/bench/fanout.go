package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

const (
	expectNothing = iota
	expectOffline
	expectOnline
)

// fanout counts the presence frames the visitors receive while the account's availability flips.
type fanout struct {
	expect  atomic.Int32
	start   atomic.Int64 // when the PATCH that makes the account available again was sent (Unix ns)
	offline atomic.Int64
	online  atomic.Int64
	rec     recorder
}

func (f *fanout) observe(online bool) {
	switch f.expect.Load() {
	case expectOffline:
		if !online {
			f.offline.Add(1)
		}
	case expectOnline:
		if online {
			f.rec.add(time.Duration(time.Now().UnixNano() - f.start.Load()))
			f.online.Add(1)
		}
	}
}

// fanoutPhase makes one event reach every connected visitor: with a single operator available,
// that operator goes away and comes back, and every visitor of the account is told each time.
func (r *runner) fanoutPhase(ctx context.Context) {
	rep := &r.rep.Fanout
	if len(r.operators) == 0 || len(r.visitors) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	clients := int64(len(r.visitors) - int(r.unexpected.Load()))
	rep.Clients = int(clients)
	setStatus := func(op *operatorConn, status string) bool {
		err := call(ctx, op.http, "PATCH", op.node+"/api/v1/me", op.token, map[string]string{"status": status}, nil)
		if err != nil {
			rep.Errors++
			r.problems.note("fan-out", err)
		}
		return err == nil
	}
	for _, op := range r.operators[1:] {
		if !setStatus(op, "away") {
			return
		}
	}
	last := r.operators[0]

	r.fan.expect.Store(expectOffline)
	if !setStatus(last, "away") {
		return
	}
	if !waitFor(ctx, 15*time.Second, func() bool { return r.fan.offline.Load() >= clients }) {
		rep.Errors += int(clients - r.fan.offline.Load())
		r.problems.note("fan-out", fmt.Errorf("%d of %d visitors were not told that no operator is available", clients-r.fan.offline.Load(), clients))
	}

	r.fan.start.Store(time.Now().UnixNano())
	r.fan.expect.Store(expectOnline)
	if !setStatus(last, "online") {
		return
	}
	waitFor(ctx, 15*time.Second, func() bool { return r.fan.online.Load() >= clients })
	r.fan.expect.Store(expectNothing)
	rep.Received = int(r.fan.online.Load())
	rep.Latency = r.fan.rec.summary()
	rep.LastMS = rep.Latency.Max
	if missed := rep.Clients - rep.Received; missed > 0 {
		rep.Errors += missed
		r.problems.note("fan-out", fmt.Errorf("%d of %d visitors never received presence online within 15 s", missed, clients))
	}
}
