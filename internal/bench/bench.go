// Package bench is Portico's load generator: it drives visitors, operators and chat traffic
// against one or more nodes for a bounded time and reports speed, cost per connection and errors.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe one run. The nodes must already be running and the account seeded.
type Options struct {
	URLs      []string // nodes; visitors are spread over them round-robin, operators use the first
	PIDs      []int    // server processes on this machine, read from /proc; none: read /metrics
	Account   string   // the seeded account's key
	Operators []Login

	Visitors    int
	Chatting    int
	Rate        float64 // visitor messages per second, over all conversations
	Duration    time.Duration
	Hold        time.Duration
	PageViews   int
	Concurrency int
	Sources     int
	Heartbeat   time.Duration

	// Check, when set, reports a failure of the environment (a node that died); it is asked
	// between phases and a failure ends the run.
	Check func() error
	// Progress receives one line as each phase starts; may be nil.
	Progress io.Writer
}

// Validate checks the shape of the load; Run also needs the nodes and the seeded account.
func (o *Options) Validate() error {
	switch {
	case o.Visitors < 0 || o.PageViews < 0 || o.Chatting < 0:
		return errors.New("--visitors, --chatting and --pageviews cannot be negative")
	case o.Chatting > o.Visitors:
		return fmt.Errorf("--chatting %d is more than --visitors %d", o.Chatting, o.Visitors)
	case o.Chatting > 0 && len(o.Operators) == 0:
		return errors.New("chatting visitors need at least one operator (--operators)")
	case o.Rate <= 0 && o.Chatting > 0:
		return errors.New("--rate must be positive")
	case o.Concurrency < 1:
		return errors.New("--concurrency must be at least 1")
	case o.Sources < 1 || o.Sources > 254:
		return errors.New("--sources must be between 1 and 254")
	case o.Heartbeat < time.Second:
		return errors.New("--heartbeat must be at least 1 second")
	case o.Duration < 0 || o.Hold < 0:
		return errors.New("--duration and --hold cannot be negative")
	}
	return nil
}

type runner struct {
	opt     Options
	clients []*http.Client
	rep     *Report

	operators []*operatorConn
	visitors  []*visitorConn

	sockMu  sync.Mutex
	socks   []*socket
	readers sync.WaitGroup

	hellos, pongs, pings atomic.Int64
	unexpected           atomic.Int64
	problems             problems

	tracker  tracker
	sendMu   sync.Mutex
	sending  bool
	inflight sync.WaitGroup
	slots    chan struct{} // bounds concurrent message POSTs

	fan fanout
}

// Run performs every phase in turn and returns the report; a setup problem is an error, while
// what goes wrong under load is in the report (Failures, OK).
func Run(ctx context.Context, opt Options) (*Report, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if len(opt.URLs) == 0 || opt.Account == "" {
		return nil, errors.New("bench: no node or no account to run against")
	}
	r := &runner{
		opt:     opt,
		clients: newClients(opt.Sources, opt.Concurrency),
		rep:     &Report{Target: Target{URLs: opt.URLs, Nodes: len(opt.URLs), Usage: "metrics"}},
		slots:   make(chan struct{}, opt.Concurrency),
	}
	if len(opt.PIDs) > 0 {
		r.rep.Target.Usage = "proc"
	}
	r.rep.Machine = Machine{CPUs: runtime.NumCPU(), LoadBefore: loadAverage()}
	r.tracker.msgs = map[string]*tracked{}
	r.rep.Settings = Settings{Visitors: opt.Visitors, Operators: len(opt.Operators), Chatting: opt.Chatting, Rate: opt.Rate,
		DurationSeconds: opt.Duration.Seconds(), HoldSeconds: opt.Hold.Seconds(), PageViews: opt.PageViews,
		Concurrency: opt.Concurrency, Sources: opt.Sources, HeartbeatSeconds: opt.Heartbeat.Seconds()}
	defer closeIdle(r.clients)

	var failures []string
	check := func() bool {
		if ctx.Err() != nil {
			return false
		}
		if opt.Check != nil {
			if err := opt.Check(); err != nil {
				failures = append(failures, err.Error())
				return false
			}
		}
		return true
	}

	pingCtx, stopPings := context.WithCancel(ctx)
	defer stopPings()
	var base serverState
	phases := []struct {
		name string
		run  func(context.Context)
	}{
		{"page views", r.pageViews},
		{"connect", func(ctx context.Context) {
			// The page views' keep-alive connections are not part of what is measured.
			closeIdle(r.clients)
			base = r.settledState(ctx)
			go r.pinger(pingCtx)
			r.connect(ctx)
		}},
		{"idle", func(ctx context.Context) { r.idle(ctx, base) }},
		{"messaging", r.messaging},
		{"fan-out", r.fanoutPhase},
	}
	for _, p := range phases {
		if !check() {
			break
		}
		r.progress("%s", p.name)
		p.run(ctx)
	}
	if ctx.Err() != nil {
		failures = append(failures, "interrupted")
	}
	stopPings()
	r.progress("teardown")
	// Teardown runs even after Ctrl-C: the connections must be closed either way.
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	r.teardown(tctx, base)
	cancel()
	if opt.Check != nil {
		if err := opt.Check(); err != nil {
			failures = append(failures, err.Error())
		}
	}

	rep := r.rep
	rep.Machine.LoadAfter = loadAverage()
	rep.UnexpectedDisconnects = int(r.unexpected.Load())
	rep.Errors = rep.PageViews.Errors + rep.Connect.Errors + rep.Messaging.Errors + rep.Fanout.Errors
	if rep.Errors > 0 {
		failures = append(failures, fmt.Sprintf("%d errors", rep.Errors))
	}
	if rep.UnexpectedDisconnects > 0 {
		failures = append(failures, fmt.Sprintf("%d unexpected disconnects", rep.UnexpectedDisconnects))
	}
	rep.Failures = append(failures, r.problems.list()...)
	rep.OK = len(failures) == 0
	if rep.Failures == nil {
		rep.Failures = []string{}
	}
	return rep, nil
}

func (r *runner) progress(format string, args ...any) {
	if r.opt.Progress != nil {
		fmt.Fprintf(r.opt.Progress, "bench: "+format+"\n", args...)
	}
}

// client and node pick the source address and the node for the i-th connection or request.
func (r *runner) client(i int) *http.Client { return r.clients[i%len(r.clients)] }
func (r *runner) node(i int) string         { return r.opt.URLs[i%len(r.opt.URLs)] }

// parallel calls fn(0) … fn(n-1) on at most workers goroutines, until ctx ends.
func parallel(ctx context.Context, n, workers int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// waitFor polls cond until it holds or the time is up, and reports whether it held.
func waitFor(ctx context.Context, within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return cond()
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

type visitAnswer struct {
	VisitorToken string `json:"visitor_token"`
}

func (r *runner) visitBody(token string, i int) map[string]any {
	body := map[string]any{
		"account": r.opt.Account,
		"page": map[string]string{
			"url":      fmt.Sprintf("https://bench.example/listing/%d", i%500),
			"title":    fmt.Sprintf("Listing %d", i%500),
			"referrer": "https://search.example/?q=bench",
		},
	}
	if token != "" {
		body["visitor_token"] = token
	}
	return body
}

// pageViews sends page views as the widget does on each page: a quarter from new visitors,
// the rest from returning ones with their token.
func (r *runner) pageViews(ctx context.Context) {
	rep := &r.rep.PageViews
	n := r.opt.PageViews
	rep.Requested = n
	if n == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(n)*5*time.Millisecond)
	defer cancel()
	var lat recorder
	var stored, fresh, returning atomic.Int64
	var tokMu sync.Mutex
	var tokens []string
	mark := r.markCPU(ctx)
	start := time.Now()
	parallel(ctx, n, r.opt.Concurrency, func(i int) {
		token := ""
		if i%4 != 0 {
			tokMu.Lock()
			if len(tokens) > 0 {
				token = tokens[i%len(tokens)]
			}
			tokMu.Unlock()
		}
		var out visitAnswer
		t0 := time.Now()
		err := call(ctx, r.client(i), "POST", r.node(i)+"/api/v1/widget/visits", "", r.visitBody(token, i), &out)
		if err != nil {
			r.problems.note("page views", err)
			return
		}
		lat.add(time.Since(t0))
		stored.Add(1)
		if token != "" {
			returning.Add(1)
			return
		}
		fresh.Add(1)
		tokMu.Lock()
		if len(tokens) < 1024 {
			tokens = append(tokens, out.VisitorToken)
		}
		tokMu.Unlock()
	})
	elapsed := time.Since(start)
	rep.Stored, rep.NewVisitors, rep.Returning = int(stored.Load()), int(fresh.Load()), int(returning.Load())
	rep.Errors = n - rep.Stored // failed, or never sent before the deadline
	rep.Seconds = round3(elapsed.Seconds())
	rep.PerSecond = round3(float64(rep.Stored) / elapsed.Seconds())
	rep.Latency = lat.summary()
	rep.CPU = r.cpuSince(ctx, mark)
}

type loginAnswer struct {
	Token    string `json:"token"`
	Operator struct {
		ID string `json:"id"`
	} `json:"operator"`
}

// connect opens the operators' consoles, then the visitors' widgets: each visitor views a
// page and opens the live socket, as the widget does.
func (r *runner) connect(ctx context.Context) {
	rep := &r.rep.Connect
	ctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(r.opt.Visitors)*10*time.Millisecond)
	defer cancel()

	ops := make([]*operatorConn, len(r.opt.Operators))
	var failed atomic.Int64
	parallel(ctx, len(ops), r.opt.Concurrency, func(i int) {
		op := &operatorConn{idx: i, node: r.opt.URLs[0], http: r.client(i)}
		var out loginAnswer
		err := call(ctx, op.http, "POST", op.node+"/api/v1/auth/login", "", r.opt.Operators[i], &out)
		if err != nil {
			failed.Add(1)
			r.problems.note("connect", fmt.Errorf("operator login (is the store the server's?): %w", err))
			return
		}
		op.id, op.token = out.Operator.ID, out.Token
		ws, err := dial(ctx, op.http, wsURL(op.node, "/api/v1/ws", op.token))
		if err != nil {
			failed.Add(1)
			r.problems.note("connect", fmt.Errorf("operator socket: %w", err))
			return
		}
		op.ws = ws
		r.register(&op.socket, "operator", r.onOperatorFrame)
		ops[i] = op
	})
	for _, op := range ops {
		if op != nil {
			r.operators = append(r.operators, op)
		}
	}

	var lat recorder
	visitors := make([]*visitorConn, r.opt.Visitors)
	mark := r.markCPU(ctx)
	start := time.Now()
	parallel(ctx, len(visitors), r.opt.Concurrency, func(i int) {
		v := &visitorConn{node: r.node(i), http: r.client(i)}
		t0 := time.Now()
		var out visitAnswer
		if err := call(ctx, v.http, "POST", v.node+"/api/v1/widget/visits", "", r.visitBody("", i), &out); err != nil {
			failed.Add(1)
			r.problems.note("connect", err)
			return
		}
		v.token = out.VisitorToken
		ws, err := dial(ctx, v.http, wsURL(v.node, "/api/v1/widget/ws", v.token))
		if err != nil {
			failed.Add(1)
			r.problems.note("connect", fmt.Errorf("visitor socket: %w", err))
			return
		}
		lat.add(time.Since(t0))
		v.ws = ws
		r.register(&v.socket, "visitor", r.onVisitorFrame)
		visitors[i] = v
	})
	for _, v := range visitors {
		if v != nil {
			r.visitors = append(r.visitors, v)
		}
	}
	// A connection counts once the server has said hello on it.
	total := int64(len(r.operators) + len(r.visitors))
	if !waitFor(ctx, 30*time.Second, func() bool { return r.hellos.Load() >= total }) {
		r.problems.note("connect", fmt.Errorf("%d of %d sockets never got hello", total-r.hellos.Load(), total))
		failed.Add(total - r.hellos.Load())
	}
	elapsed := time.Since(start)
	rep.Visitors, rep.Operators = len(r.visitors), len(r.operators)
	rep.Errors = int(failed.Load())
	rep.Seconds = round3(elapsed.Seconds())
	rep.PerSecond = round3(float64(len(r.visitors)) / elapsed.Seconds())
	rep.Latency = lat.summary()
	rep.CPU = r.cpuSince(ctx, mark)
}

// serverState is what the bench knows of the servers at one moment.
type serverState struct {
	usage   procUsage
	metrics map[string]float64
}

func (r *runner) state(ctx context.Context) serverState {
	var s serverState
	var err error
	if s.usage, err = r.serverUsage(ctx); err != nil {
		r.problems.note("server usage", err)
	}
	if s.metrics, err = r.scrape(ctx); err != nil {
		r.problems.note("metrics", err)
		s.metrics = map[string]float64{}
	}
	return s
}

// settledState waits (up to 3 s) for the servers' goroutine count to stop falling, so that
// connections just closed do not inflate the baseline, and returns the state then.
func (r *runner) settledState(ctx context.Context) serverState {
	s := r.state(ctx)
	for range 30 {
		select {
		case <-ctx.Done():
			return s
		case <-time.After(100 * time.Millisecond):
		}
		next := r.state(ctx)
		if next.metrics["go_goroutines"] >= s.metrics["go_goroutines"] {
			return next
		}
		s = next
	}
	return s
}

// idle holds every connection open and measures what they cost the server while nothing happens
// but heartbeats.
func (r *runner) idle(ctx context.Context, base serverState) {
	rep := &r.rep.Idle
	disconnects := r.unexpected.Load()
	pings, pongs := r.pings.Load(), r.pongs.Load()
	closeIdle(r.clients)
	before, err := r.serverUsage(ctx)
	if err != nil {
		r.problems.note("idle", err)
	}
	start := time.Now()
	select {
	case <-ctx.Done():
	case <-time.After(r.opt.Hold):
	}
	held := time.Since(start)
	// /proc first: scraping /metrics costs the server CPU, which must stay outside the window.
	after, err := r.serverUsage(ctx)
	if err != nil {
		r.problems.note("idle", err)
	}
	m, err := r.scrape(ctx)
	if err != nil {
		r.problems.note("idle", err)
		m = map[string]float64{}
	}
	conns := len(r.operators) + len(r.visitors) - int(r.unexpected.Load())
	r.rep.Connect.ConnectionsHeld = conns
	rep.HoldSeconds = round3(held.Seconds())
	rep.Connections = conns
	rep.RSSBaselineBytes, rep.RSSBytes = base.usage.rss, after.rss
	rep.CPUSeconds = round3(after.cpu - before.cpu)
	if conns > 0 {
		per := func(key string) float64 { return round3((m[key] - base.metrics[key]) / float64(conns)) }
		rep.BytesPerConnection = round3(float64(after.rss-base.usage.rss) / float64(conns))
		rep.HeapBytesPerConnection = per("go_memstats_heap_inuse_bytes")
		rep.StackBytesPerConnection = per("go_memstats_stack_inuse_bytes")
		rep.GoroutinesPerConnection = per("go_goroutines")
		if held > 0 {
			rep.CPUMicrosPerConnectionSecond = round3((after.cpu - before.cpu) / float64(conns) / held.Seconds() * 1e6)
		}
	}
	rep.PingsSent, rep.PongsReceived = r.pings.Load()-pings, r.pongs.Load()-pongs
	rep.UnexpectedDisconnects = int(r.unexpected.Load() - disconnects)
	if self, err := readProc(os.Getpid()); err == nil {
		rep.BenchRSSBytes = self.rss
	}
}

// teardown drops every connection at once and waits for the servers to let go of them.
func (r *runner) teardown(ctx context.Context, base serverState) {
	rep := &r.rep.Teardown
	start := time.Now()
	rep.Closed = r.closeAll()
	done := make(chan struct{})
	go func() {
		r.readers.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		r.problems.note("teardown", errors.New("socket readers still running 10 s after closing"))
	}
	r.inflight.Wait()
	closeIdle(r.clients)

	baseGoroutines := base.metrics["go_goroutines"]
	var m map[string]float64
	waitFor(ctx, 10*time.Second, func() bool {
		var err error
		if m, err = r.scrape(ctx); err != nil {
			return false
		}
		return m["portico_connections"] == 0 && m["go_goroutines"] <= baseGoroutines
	})
	if m == nil {
		m = map[string]float64{}
	}
	rep.Seconds = round3(time.Since(start).Seconds())
	rep.ServerConnectionsAfter = int(m["portico_connections"])
	rep.GoroutinesBaseline, rep.GoroutinesAfter = int(baseGoroutines), int(m["go_goroutines"])
	if u, err := r.serverUsage(ctx); err == nil {
		rep.RSSAfterBytes = u.rss
	}
}
