// Package bench is Portico's load generator: it drives visitors, operators and chat traffic
// against one or more nodes for a bounded time and reports speed, cost per connection and errors.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
	// Advertisers, when set, makes the account a portal with these advertisers (external ids),
	// the i-th operator being the i-th advertiser's: visitors are on their listing pages.
	Advertisers []string

	Visitors  int
	Chatting  int
	Rate      float64 // visitor messages per second, over all conversations
	Duration  time.Duration
	Hold      time.Duration
	PageViews int
	// Lists is how many times returning visitors list their chats, as the widget does on every
	// page load of a returning visitor; 0 skips the phase.
	Lists       int
	Concurrency int
	Sources     int
	Heartbeat   time.Duration
	// SendOverREST sends the messages with POST …/messages instead of `send` frames on the
	// sockets, as clients that predate the frame do.
	SendOverREST bool
	// Window, when set, cuts the messaging phase into windows of this length, each reported
	// with the nodes' database times in it.
	Window time.Duration
	// Fanouts is how many times the fan-out phase sends its event to every visitor; the report
	// gives the first in full and the time to the last client of each. 0 counts as 1.
	Fanouts int

	// Workers is how many processes hold the visitors' sockets: 1 is this process alone; more
	// starts that many worker processes with Worker, and this one keeps only the operators and
	// the chatting visitors.
	Workers int
	Worker  *WorkerSpec
	// FileLimit, when set, is the open-file limit of each process; Validate refuses a share of
	// sockets that would not fit in it.
	FileLimit int

	// Restart adds the restart phase: RestartNode(i) stops node i with SIGTERM and starts it
	// again on the same address with the same store, returning once it is ready.
	Restart     bool
	RestartNode func(ctx context.Context, i int) (Restarted, error)

	// Check, when set, reports a failure of the environment (a node that died); it is asked
	// between phases and a failure ends the run.
	Check func() error
	// Progress receives one line as each phase starts; may be nil.
	Progress io.Writer
}

// Validate checks the shape of the load; Run also needs the nodes and the seeded account.
func (o *Options) Validate() error {
	switch {
	case o.Visitors < 0 || o.PageViews < 0 || o.Chatting < 0 || o.Lists < 0:
		return errors.New("--visitors, --chatting, --pageviews and --lists cannot be negative")
	case o.Lists > 0 && o.PageViews == 0:
		return errors.New("--lists needs --pageviews: the page views make the returning visitors")
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
	case o.Fanouts < 0 || o.Fanouts > MaxFanouts:
		return fmt.Errorf("--fanouts must be between 1 and %d", MaxFanouts)
	case o.Duration < 0 || o.Hold < 0:
		return errors.New("--duration and --hold cannot be negative")
	case o.Window != 0 && o.Window < time.Second:
		return errors.New("--window must be 0 (no windows) or at least 1s")
	case len(o.Advertisers) > 0 && len(o.Operators) > len(o.Advertisers):
		return fmt.Errorf("--operators %d is more than --advertisers %d: each operator is one advertiser's", len(o.Operators), len(o.Advertisers))
	case len(o.Advertisers) > 0 && len(o.Operators) == 0:
		return errors.New("--advertisers needs at least one operator (--operators)")
	case o.Workers < 1:
		return errors.New("--workers must be at least 1")
	case o.Workers > 1 && o.Visitors-o.Chatting < o.Workers:
		return fmt.Errorf("--workers %d needs at least as many visitors that do not chat (--visitors minus --chatting: %d); "+
			"the chatting visitors stay in the bench's own process", o.Workers, o.Visitors-o.Chatting)
	}
	if o.FileLimit > 0 {
		// Every process keeps some files for itself: HTTP connections (--concurrency), the
		// runtime's, the nodes' pipes.
		spare := o.Concurrency + 100
		self, most := len(o.Operators)+o.Visitors, 0
		if o.Workers > 1 {
			self = len(o.Operators) + o.Chatting
			most = (o.Visitors - o.Chatting + o.Workers - 1) / o.Workers
		}
		if self+spare > o.FileLimit || most+spare > o.FileLimit {
			return fmt.Errorf("%d sockets in one process do not fit in its limit of %d open files: use more --workers (each holds about %d visitors by default)",
				max(self, most), o.FileLimit, SocketsPerWorker)
		}
	}
	return nil
}

// DefaultWorkers is how many processes hold the given number of visitors by default: one
// while they fit in SocketsPerWorker, else enough worker processes for that many each.
func DefaultWorkers(visitors int) int {
	return max(1, (visitors+SocketsPerWorker-1)/SocketsPerWorker)
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
	pollers []*poller    // read the visitors' sockets, one per CPU; none where epoll is not
	polled  atomic.Int64 // sockets handed to the pollers, to spread them evenly

	hellos, pongs, pings atomic.Int64
	presence             atomic.Int64 // frames to visitors, whoever they are about
	unexpected           atomic.Int64
	problems             problems

	tracker  tracker
	sendMu   sync.Mutex
	sending  bool
	inflight sync.WaitGroup
	slots    chan struct{} // bounds concurrent message POSTs

	fan    fanout
	rejoin rejoin
	// fanAbout picks out, on a portal, the presence frames of the fan-out's advertiser.
	fanAbout []byte
	// returning are visitor tokens the page views made, for the chat lists.
	returning []string

	// first and count are the visitors this process connects (all of them, or the chatting
	// ones when workers hold the rest, or a worker's share).
	first, count int
	workers      []*worker
	workerErrors atomic.Int64

	stopping chan struct{} // closed when every socket is dropped: reconnects stop
	stopOnce sync.Once
}

func newRunner(opt Options, first, count int) *runner {
	r := &runner{
		opt:      opt,
		clients:  newClients(opt.Sources, opt.Concurrency),
		rep:      &Report{Target: Target{URLs: opt.URLs, Nodes: len(opt.URLs), Usage: "metrics"}},
		slots:    make(chan struct{}, opt.Concurrency),
		first:    first,
		count:    count,
		stopping: make(chan struct{}),
	}
	r.tracker.msgs = map[string]*tracked{}
	if len(opt.Advertisers) > 0 {
		r.fanAbout = fmt.Appendf(nil, `"advertiser":%q`, opt.Advertisers[0])
	}
	for range runtime.GOMAXPROCS(0) {
		p, err := newPoller()
		if err != nil {
			break
		}
		r.pollers = append(r.pollers, p)
		go func() {
			if err := p.run(); err != nil {
				r.problems.note("poller", err)
			}
		}()
	}
	return r
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
	if opt.Restart && opt.RestartNode == nil {
		return nil, errors.New("bench: --restart is for nodes the bench starts itself")
	}
	local := opt.Visitors
	if opt.Workers > 1 {
		local = opt.Chatting
	}
	r := newRunner(opt, 0, local)
	defer r.stopPollers() // teardown stops them; a run that ends before it must too
	if len(opt.PIDs) > 0 {
		r.rep.Target.Usage = "proc"
	}
	r.rep.Machine = Machine{CPUs: runtime.NumCPU(), LoadBefore: loadAverage(), Host: describeHost()}
	r.rep.Settings = Settings{Visitors: opt.Visitors, Operators: len(opt.Operators), Chatting: opt.Chatting, Rate: opt.Rate,
		DurationSeconds: opt.Duration.Seconds(), HoldSeconds: opt.Hold.Seconds(), PageViews: opt.PageViews,
		Concurrency: opt.Concurrency, Sources: opt.Sources, HeartbeatSeconds: opt.Heartbeat.Seconds(),
		Workers: opt.Workers, Restart: opt.Restart, WindowSeconds: opt.Window.Seconds(), Advertisers: len(opt.Advertisers),
		Lists: opt.Lists, SendOver: sendOver(opt.SendOverREST)}
	defer closeIdle(r.clients)

	var failures []string
	check := func() bool {
		if ctx.Err() != nil {
			return false
		}
		for _, c := range []func() error{opt.Check, r.checkWorkers} {
			if c == nil {
				continue
			}
			if err := c(); err != nil {
				failures = append(failures, err.Error())
				return false
			}
		}
		return true
	}
	defer r.stopWorkers()
	if opt.Workers > 1 {
		if opt.Worker == nil {
			return nil, errors.New("bench: --workers needs a way to start a worker process")
		}
		r.progress("starting %d workers", opt.Workers)
		if err := r.startWorkers(ctx); err != nil {
			return nil, err
		}
	}

	pingCtx, stopPings := context.WithCancel(ctx)
	defer stopPings()
	var base serverState
	phases := []struct {
		name string
		run  func(context.Context)
	}{
		{"page views", r.pageViews},
		{"chat lists", r.chatLists},
		{"connect", func(ctx context.Context) {
			// The page views' keep-alive connections are not part of what is measured.
			closeIdle(r.clients)
			base = r.settledState(ctx)
			go r.pinger(pingCtx)
			r.connect(ctx)
		}},
		{"idle", func(ctx context.Context) { r.idle(ctx, base) }},
		{"messaging", withCollectorHeld(r.messaging)},
		{"fan-out", withCollectorHeld(r.fanoutPhase)},
		{"restart", r.restartPhase},
	}
	for _, p := range phases {
		if (p.name == "restart" && !opt.Restart) || (p.name == "chat lists" && opt.Lists == 0) {
			continue
		}
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
	defer cancel()
	r.teardown(tctx, base)
	if opt.Check != nil {
		if err := opt.Check(); err != nil {
			failures = append(failures, err.Error())
		}
	}

	rep := r.rep
	rep.Machine.LoadAfter = loadAverage()
	rep.UnexpectedDisconnects = r.totalUnexpected(tctx)
	rep.Errors = rep.PageViews.Errors + rep.Connect.Errors + rep.Messaging.Errors + rep.Fanout.Errors
	if rep.ChatLists != nil {
		rep.Errors += rep.ChatLists.Errors
	}
	if rep.Restart != nil {
		rep.Errors += rep.Restart.Errors
	}
	if n := r.workerErrors.Load(); n > 0 {
		failures = append(failures, fmt.Sprintf("%d requests to workers failed", n))
	}
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
	page := i % 500
	body := map[string]any{
		"account": r.opt.Account,
		"page": map[string]string{
			"url":      fmt.Sprintf("https://bench.example/listing/%d", page),
			"title":    fmt.Sprintf("Listing %d", page),
			"referrer": "https://search.example/?q=bench",
		},
	}
	if token != "" {
		body["visitor_token"] = token
	}
	if adv := r.opt.advertiserOf(i); adv != "" {
		body["advertiser"] = adv
		body["listing"] = map[string]string{"id": fmt.Sprintf("%s-%d", adv, page), "title": fmt.Sprintf("Listing %d", page),
			"url": fmt.Sprintf("https://bench.example/listing/%d", page)}
	}
	return body
}

// advertiserOf is the advertiser whose listing the i-th visitor is on, "" on a website. A
// chatting visitor's has one of the bench's operators (the j-th operator is the j-th
// advertiser's, and conversation i goes to operator i mod their number); the other visitors
// are spread over all the advertisers.
func (o *Options) advertiserOf(i int) string {
	switch {
	case len(o.Advertisers) == 0:
		return ""
	case i < o.Chatting && len(o.Operators) > 0:
		return o.Advertisers[i%len(o.Operators)]
	default:
		return o.Advertisers[i%len(o.Advertisers)]
	}
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
	r.returning = tokens
	rep.Stored, rep.NewVisitors, rep.Returning = int(stored.Load()), int(fresh.Load()), int(returning.Load())
	rep.Errors = n - rep.Stored // failed, or never sent before the deadline
	rep.Seconds = round3(elapsed.Seconds())
	rep.PerSecond = round3(float64(rep.Stored) / elapsed.Seconds())
	rep.Latency = lat.summary()
	rep.CPU = r.cpuSince(ctx, mark)
}

// chatLists has returning visitors (those of the page views) list their chats, as the widget
// does on every page load of a returning visitor: on a portal that is a read over all of its
// advertisers' conversations, and its cost must not grow with their number.
func (r *runner) chatLists(ctx context.Context) {
	n := r.opt.Lists
	rep := &ChatListsReport{Requested: n}
	r.rep.ChatLists = rep
	if len(r.returning) == 0 {
		rep.Errors = n
		r.problems.note("chat lists", errors.New("no visitor from the page views to list chats for"))
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(n)*5*time.Millisecond)
	defer cancel()
	var lat recorder
	var listed atomic.Int64
	mark := r.markCPU(ctx)
	start := time.Now()
	parallel(ctx, n, r.opt.Concurrency, func(i int) {
		var out struct {
			Conversations []struct {
				ID string `json:"id"`
			} `json:"conversations"`
		}
		t0 := time.Now()
		err := call(ctx, r.client(i), "GET", r.node(i)+"/api/v1/widget/conversations", r.returning[i%len(r.returning)], nil, &out)
		if err != nil {
			r.problems.note("chat lists", err)
			return
		}
		lat.add(time.Since(t0))
		listed.Add(1)
	})
	elapsed := time.Since(start)
	rep.Listed = int(listed.Load())
	rep.Errors = n - rep.Listed
	rep.Seconds = round3(elapsed.Seconds())
	rep.PerSecond = round3(float64(rep.Listed) / elapsed.Seconds())
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
// page and opens the live socket, as the widget does. Workers connect their shares at the
// same time as this process connects its own.
func (r *runner) connect(ctx context.Context) {
	rep := &r.rep.Connect
	ctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(r.opt.Visitors)*10*time.Millisecond)
	defer cancel()
	failed := r.connectOperators(ctx)

	mark := r.markCPU(ctx)
	start := time.Now()
	var remote []reply
	var wg sync.WaitGroup
	wg.Go(func() { remote = r.onWorkers(ctx, request{Op: opConnect}) })
	lat, n := r.connectVisitors(ctx)
	wg.Wait()
	failed += n
	for _, w := range remote {
		failed += w.Failed
		for _, d := range w.Latency {
			lat.add(time.Duration(d))
		}
	}
	if missing := len(r.workers) - len(remote); missing > 0 {
		failed += missing // the worker's share is unknown; the run fails on the worker error anyway
	}
	elapsed := time.Since(start)
	visitors := r.totalVisitors()
	rep.Visitors, rep.Operators = visitors, len(r.operators)
	rep.Errors = failed
	rep.Seconds = round3(elapsed.Seconds())
	rep.PerSecond = round3(float64(visitors) / elapsed.Seconds())
	rep.Latency = lat.summary()
	rep.CPU = r.cpuSince(ctx, mark)
}

// connectOperators signs the operators in and opens their sockets; it returns how many failed.
func (r *runner) connectOperators(ctx context.Context) int {
	ops := make([]*operatorConn, len(r.opt.Operators))
	var failed atomic.Int64
	parallel(ctx, len(ops), r.opt.Concurrency, func(i int) {
		op := &operatorConn{idx: i, http: r.client(i)}
		op.kind, op.node, op.client, op.handle = kindOperator, r.opt.URLs[0], op.http, r.onOperatorFrame
		var out loginAnswer
		err := call(ctx, op.http, "POST", op.node+"/api/v1/auth/login", "", r.opt.Operators[i], &out)
		if err != nil {
			failed.Add(1)
			r.problems.note("connect", fmt.Errorf("operator login (is the store the server's?): %w", err))
			return
		}
		op.id, op.token = out.Operator.ID, out.Token
		op.url = wsURL(op.node, "/api/v1/ws", op.token)
		ws, err := dial(ctx, op.http, op.url)
		if err != nil {
			failed.Add(1)
			r.problems.note("connect", fmt.Errorf("operator socket: %w", err))
			return
		}
		r.register(&op.socket, ws)
		ops[i] = op
	})
	for _, op := range ops {
		if op != nil {
			r.operators = append(r.operators, op)
		}
	}
	return int(failed.Load())
}

// connectVisitors connects this process's visitors, r.first … r.first+r.count-1, and waits
// for every socket here to have its hello. It returns each visitor's visit + handshake time
// and how many failed.
func (r *runner) connectVisitors(ctx context.Context) (*recorder, int) {
	lat := &recorder{}
	var failed atomic.Int64
	visitors := make([]*visitorConn, r.count)
	// With workers, each process dials with its share of --concurrency, so that all of them
	// together have as many handshakes in flight as one process would.
	dialers := r.opt.Concurrency
	if len(r.workers) > 0 {
		dialers = share(r.opt.Concurrency, r.count, r.opt.Visitors)
	}
	parallel(ctx, len(visitors), dialers, func(k int) {
		i := r.first + k
		v := &visitorConn{http: r.client(i), advertiser: r.opt.advertiserOf(i)}
		v.kind, v.node, v.client, v.handle = kindVisitor, r.node(i), v.http, r.onVisitorFrame
		t0 := time.Now()
		var out visitAnswer
		if err := call(ctx, v.http, "POST", v.node+"/api/v1/widget/visits", "", r.visitBody("", i), &out); err != nil {
			failed.Add(1)
			r.problems.note("connect", err)
			return
		}
		v.token = out.VisitorToken
		v.url = wsURL(v.node, "/api/v1/widget/ws", v.token)
		if v.advertiser != "" {
			// As the widget on a listing page: the socket follows the listing's advertiser.
			v.url += "&follow=" + url.QueryEscape(v.advertiser)
		}
		ws, err := dial(ctx, v.http, v.url)
		if err != nil {
			failed.Add(1)
			r.problems.note("connect", fmt.Errorf("visitor socket: %w", err))
			return
		}
		lat.add(time.Since(t0))
		r.register(&v.socket, ws)
		visitors[k] = v
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
	return lat, int(failed.Load())
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
	c0 := r.answeredCounts(ctx)
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
	c1 := r.answeredCounts(ctx)
	conns := len(r.operators) + r.totalVisitors() - int(c1.Unexpected)
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
	rep.PingsSent, rep.PongsReceived = c1.Pings-c0.Pings, c1.Pongs-c0.Pongs
	rep.UnexpectedDisconnects = int(c1.Unexpected - c0.Unexpected)
	rep.BenchRSSBytes = r.benchUsage().rss
}

// awaitReaders waits, for at most 10 s, for the readers of the closed sockets to end.
func (r *runner) awaitReaders() {
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
}

// stopPollers ends the pollers' threads, once every socket they read is closed: a socket still
// open gets no more reads. Stopping them again does nothing.
func (r *runner) stopPollers() {
	for _, p := range r.pollers {
		p.stop()
	}
}

// teardown drops every connection at once and waits for the servers to let go of them.
func (r *runner) teardown(ctx context.Context, base serverState) {
	rep := &r.rep.Teardown
	start := time.Now()
	var remote []reply
	var wg sync.WaitGroup
	wg.Go(func() { remote = r.onWorkers(ctx, request{Op: opClose}) })
	rep.Closed = r.closeAll()
	r.awaitReaders()
	r.stopPollers()
	wg.Wait()
	for _, w := range remote {
		rep.Closed += w.Closed
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
