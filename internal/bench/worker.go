package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ServeWorker is the worker process's side (see workers.go): it answers the bench's requests
// from in on out, one JSON line each, until in ends or the bench asks it to close.
func ServeWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	var r *runner
	pingCtx, stopPings := context.WithCancel(ctx)
	defer stopPings()
	defer func() {
		// The bench went away without a close (or asked for one): drop what is still held.
		if r != nil {
			r.closeAll()
			r.readers.Wait()
			r.stopPollers()
		}
	}()
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("bench worker: a request that is not JSON: %w", err)
		}
		var rep reply
		switch {
		case req.Op == opStart && r == nil && req.Config != nil:
			r = newWorkerRunner(*req.Config)
			go r.pinger(pingCtx)
		case r == nil:
			rep.Error = "the first request must be start, with the configuration"
		default:
			rep = r.serve(ctx, req)
		}
		if r != nil {
			rep.Problems = r.problems.list()
		}
		if err := enc.Encode(rep); err != nil {
			return err
		}
		if req.Op == opClose {
			return nil
		}
	}
}

func newWorkerRunner(c WorkerConfig) *runner {
	return newRunner(Options{URLs: c.URLs, Account: c.Account, Visitors: c.Count, Concurrency: c.Concurrency,
		Sources: c.Sources, Heartbeat: c.Heartbeat, Advertisers: c.Advertisers, Chatting: c.Chatting}, c.First, c.Count)
}

// serve carries out one request on the worker's visitors.
func (r *runner) serve(ctx context.Context, req request) reply {
	var rep reply
	switch req.Op {
	case opConnect:
		// The same deadline as the bench's own connect phase, for this share of the visitors.
		cctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(r.count)*10*time.Millisecond)
		lat, failed := r.connectVisitors(cctx)
		cancel()
		rep.Visitors, rep.Failed = len(r.visitors), failed
		for _, d := range lat.samples {
			rep.Latency = append(rep.Latency, int64(d))
		}
	case opStats:
	case opExpect:
		r.fan.arm(req.What)
	case opAwait:
		rep.Count, rep.Times = r.fan.await(ctx, req.What, r.fanAudience(), req.Within)
	case opArm:
		rep.Rejoin = r.armRestart(req.Node)
	case opRejoin:
		rep.Rejoin = r.awaitRejoin(ctx, req.Within)
	case opClose:
		rep.Closed = r.closeAll()
		r.awaitReaders()
	default:
		rep.Error = fmt.Sprintf("unknown request %q", req.Op)
	}
	rep.Counts = r.localCounts()
	return rep
}
