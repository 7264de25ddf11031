package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report is everything a run measured. The JSON keys are stable: scripts and docs rely on them.
type Report struct {
	Target    Target           `json:"target"`
	Machine   Machine          `json:"machine"`
	Settings  Settings         `json:"settings"`
	PageViews PageViewsReport  `json:"page_views"`
	ChatLists *ChatListsReport `json:"chat_lists,omitempty"` // with --lists only
	Connect   ConnectReport    `json:"connect"`
	Idle      IdleReport       `json:"idle"`
	Messaging MessagingReport  `json:"messaging"`
	Fanout    FanoutReport     `json:"fanout"`
	Restart   *RestartReport   `json:"restart,omitempty"` // with --restart only
	Teardown  TeardownReport   `json:"teardown"`

	Errors                int      `json:"errors"`
	UnexpectedDisconnects int      `json:"unexpected_disconnects"`
	Failures              []string `json:"failures"`
	OK                    bool     `json:"ok"`
}

type Target struct {
	URLs    []string `json:"urls"`
	Nodes   int      `json:"nodes"`
	Store   string   `json:"store,omitempty"` // sqlite or postgres, when the bench knows
	Bus     string   `json:"bus,omitempty"`   // memory or nats, when the bench knows
	Started bool     `json:"started"`         // the bench started the nodes itself
	Usage   string   `json:"usage_from"`      // where server memory and CPU come from: proc or metrics
}

// Machine says what else the machine was doing: the load average before and after the run
// (the servers and the bench themselves add about 2 while they work).
type Machine struct {
	CPUs       int     `json:"cpus"`
	LoadBefore float64 `json:"load_before"`
	LoadAfter  float64 `json:"load_after"`
	Host       Host    `json:"host"`
}

type Settings struct {
	Visitors         int     `json:"visitors"`
	Operators        int     `json:"operators"`
	Chatting         int     `json:"chatting"`
	Rate             float64 `json:"rate"`
	DurationSeconds  float64 `json:"duration_seconds"`
	HoldSeconds      float64 `json:"hold_seconds"`
	PageViews        int     `json:"pageviews"`
	Concurrency      int     `json:"concurrency"`
	Sources          int     `json:"sources"`
	HeartbeatSeconds float64 `json:"heartbeat_seconds"`
	Workers          int     `json:"workers"` // processes holding the visitors' sockets; above 1, worker processes
	Restart          bool    `json:"restart"`
	WindowSeconds    float64 `json:"window_seconds"` // 0: no windows
	Advertisers      int     `json:"advertisers"`    // 0: a website account; else a portal's advertisers
	Lists            int     `json:"lists"`          // chat lists asked for; 0: no such phase
	SendOver         string  `json:"send_over"`      // how messages are sent: "socket" or "rest"
}

func sendOver(rest bool) string {
	if rest {
		return "rest"
	}
	return "socket"
}

type PageViewsReport struct {
	Requested   int     `json:"requested"`
	Stored      int     `json:"stored"`
	NewVisitors int     `json:"new_visitors"`
	Returning   int     `json:"returning"`
	Errors      int     `json:"errors"`
	Seconds     float64 `json:"seconds"`
	PerSecond   float64 `json:"per_second"`
	Latency     Latency `json:"latency"`
	CPU         CPU     `json:"cpu"`
}

// ChatListsReport is the returning visitors' lists of their chats.
type ChatListsReport struct {
	Requested int     `json:"requested"`
	Listed    int     `json:"listed"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	Latency   Latency `json:"latency"`
	CPU       CPU     `json:"cpu"`
}

type ConnectReport struct {
	Visitors        int     `json:"visitors"`
	Operators       int     `json:"operators"`
	ConnectionsHeld int     `json:"connections_held"` // open at the end of the idle hold
	Errors          int     `json:"errors"`
	Seconds         float64 `json:"seconds"`    // to connect all visitors
	PerSecond       float64 `json:"per_second"` // visitors connected per second
	Latency         Latency `json:"latency"`    // per visitor: page view, then WebSocket handshake
	CPU             CPU     `json:"cpu"`
}

type IdleReport struct {
	HoldSeconds                  float64 `json:"hold_seconds"`
	Connections                  int     `json:"connections"`
	RSSBaselineBytes             int64   `json:"rss_baseline_bytes"`
	RSSBytes                     int64   `json:"rss_bytes"`
	BytesPerConnection           float64 `json:"bytes_per_connection"`
	HeapBytesPerConnection       float64 `json:"heap_bytes_per_connection"`
	StackBytesPerConnection      float64 `json:"stack_bytes_per_connection"`
	GoroutinesPerConnection      float64 `json:"goroutines_per_connection"`
	CPUSeconds                   float64 `json:"cpu_seconds"`
	CPUMicrosPerConnectionSecond float64 `json:"cpu_us_per_connection_second"`
	PingsSent                    int64   `json:"pings_sent"`
	PongsReceived                int64   `json:"pongs_received"`
	UnexpectedDisconnects        int     `json:"unexpected_disconnects"`
	BenchRSSBytes                int64   `json:"bench_rss_bytes"`
}

type Direction struct {
	Sent       int     `json:"sent"`
	Acked      int     `json:"acked"`
	Received   int     `json:"received"`
	Lost       int     `json:"lost"`
	Duplicates int     `json:"duplicates"`
	Errors     int     `json:"errors"`
	PerSecond  float64 `json:"per_second"`
	Ack        Latency `json:"ack_latency"`      // POST until its 201: stored
	Delivery   Latency `json:"delivery_latency"` // POST sent until the other side's socket has it
	// Server is the nodes' own time for the stored sends (their handler, the commit included),
	// estimated from the buckets of their /metrics histogram; the rest of Ack is the client's,
	// the network's and the wait to be read. No max: the buckets only bound it.
	Server Latency `json:"server_latency"`
	// AcrossNodes is the part of Delivery between a visitor and an operator on different nodes;
	// nil with one node.
	AcrossNodes *Latency `json:"across_nodes_delivery_latency,omitempty"`
	// AtSocket is Delivery up to the kernel's stamp of the frame's arrival on the other side's
	// socket rather than to the bench's read of it: without the bench's own wait for a CPU.
	// Nil where the kernel gives no stamps (other than Linux).
	AtSocket *Latency `json:"delivery_at_socket_latency,omitempty"`
}

type MessagingReport struct {
	Conversations     int       `json:"conversations"`
	Seconds           float64   `json:"seconds"`
	VisitorToOperator Direction `json:"visitor_to_operator"`
	OperatorToVisitor Direction `json:"operator_to_visitor"`
	MessagesAcked     int       `json:"messages_acked"`
	MessagesReceived  int       `json:"messages_received"`
	Stalls            Stalls    `json:"stalls"`
	Errors            int       `json:"errors"`
	CPU               CPU       `json:"cpu"`
	// Machine is the whole machine's CPU over the phase, when the nodes run on it (Linux).
	Machine *MachineCPU `json:"machine_cpu,omitempty"`
	// Garbage is the nodes' garbage collection during the phase, from their /metrics; nil when
	// they could not be scraped.
	Garbage *Garbage `json:"node_garbage,omitempty"`
	// Scheduler is how long the nodes' goroutines waited to run once they were ready, from the
	// Go runtime's histogram in their /metrics: a node short of processors, or whose collector
	// holds them, shows here.
	Scheduler Latency  `json:"node_sched_latency"`
	Windows   []Window `json:"windows,omitempty"` // with --window
}

// Garbage is what the nodes' garbage collector did during the messaging phase: how many cycles,
// and how many bytes the nodes allocated for each message stored (both directions). While a
// cycle marks, its workers hold the nodes' processors and the handlers wait to run, so the
// cycles a phase sees are a share of its slowest messages (docs/benchmarks.md, round
// twenty-four); fewer bytes a message, fewer cycles.
type Garbage struct {
	Cycles          int     `json:"cycles"`
	BytesPerMessage float64 `json:"allocated_bytes_per_message"`
}

// Stalls are the pauses of more than 5 ms in which messages were in flight and none was
// delivered (both directions together).
type Stalls struct {
	Count     int     `json:"count"`
	LongestMS float64 `json:"longest_ms"`
	TotalMS   float64 `json:"total_ms"`
}

// CPU is how a phase's processor time was shared between the servers and the bench, which run
// on the same machine.
type CPU struct {
	ServerSeconds float64 `json:"server_seconds"`
	BenchSeconds  float64 `json:"bench_seconds"`
}

type FanoutReport struct {
	Clients  int     `json:"clients"`
	Received int     `json:"received"`
	FirstMS  float64 `json:"first_ms"` // PATCH sent until the first visitor has the presence frame
	LastMS   float64 `json:"last_ms"`  // PATCH sent until the last visitor has the presence frame
	Latency  Latency `json:"latency"`
	Errors   int     `json:"errors"`
	CPU      CPU     `json:"cpu"` // the online event, from the PATCH until every frame is counted
	// LastMSEach is the last client's time of every event sent (--fanouts), the first included;
	// Over100 counts those over the 100-ms target.
	LastMSEach []float64 `json:"last_ms_each"`
	Over100    int       `json:"over_100_ms"`
	// PerFrame is the CPU of the online events of every flip over the frames they delivered:
	// what one frame costs the servers to send and the bench to receive. On one machine the last
	// client's time is about both together, times the clients, over the CPUs; and it tells a
	// slow hour of the machine from a change in the code (docs/benchmarks.md, round
	// twenty-one).
	PerFrame FrameCPU `json:"cpu_per_frame"`
	// GCCycles is how many collections the nodes ran from the first flip's PATCH to the last
	// flip's last frame: a mark during a flip takes a P from its writes. Nil when a node could
	// not be scraped.
	GCCycles *int `json:"gc_cycles,omitempty"`
	// PresenceFrames counts every presence frame the visitors received over the phase: the
	// events', and those the other operators' going away sent first (on a portal, to the
	// visitors of their advertisers). What the nodes had to write.
	PresenceFrames int64 `json:"presence_frames"`
}

// FrameCPU is processor time per frame, in microseconds.
type FrameCPU struct {
	Frames       int64   `json:"frames"`
	ServerMicros float64 `json:"server_us"`
	BenchMicros  float64 `json:"bench_us"`
}

// RestartReport is the restart phase: one node stopped with SIGTERM and started again on the
// same address and store, and the sockets that were on it reconnecting with the widget's
// back-off.
type RestartReport struct {
	Node                  string  `json:"node"`
	ReconnectTo           string  `json:"reconnect_to"`     // where the dropped sockets go: the same node
	Visitors              int     `json:"visitors"`         // on the node at the SIGTERM
	Operators             int     `json:"operators"`        // on the node at the SIGTERM
	ReconnectFrames       int     `json:"reconnect_frames"` // `reconnect` frames received
	Dropped               int     `json:"dropped"`          // sockets the node closed (a reconnect attempt dropped again counts again)
	Reconnected           int     `json:"reconnected"`      // visitors with their hello again
	OperatorsReconnected  int     `json:"operators_reconnected"`
	FailedAttempts        int     `json:"failed_attempts"` // connection attempts refused while the node was away; each retried after the back-off
	StopSeconds           float64 `json:"stop_seconds"`    // SIGTERM until the old process had exited
	NodeSeconds           float64 `json:"node_seconds"`    // SIGTERM until the new process answered /readyz
	Seconds               float64 `json:"seconds"`         // SIGTERM until the last socket had its hello again
	UnexpectedDisconnects int     `json:"unexpected_disconnects"`
	Errors                int     `json:"errors"`
}

type TeardownReport struct {
	Closed                 int     `json:"closed"`
	ServerConnectionsAfter int     `json:"server_connections_after"`
	Seconds                float64 `json:"seconds"` // until the servers counted no connection
	GoroutinesBaseline     int     `json:"goroutines_baseline"`
	GoroutinesAfter        int     `json:"goroutines_after"`
	RSSAfterBytes          int64   `json:"rss_after_bytes"`
}

// WriteJSON prints the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable prints the report as a table of phase, metric and value, with the targets of
// DESIGN.md §7 beside the metrics they apply to.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tmetric\tvalue\ttarget")
	row := func(phase, metric, value, target string) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", phase, metric, value, target)
	}
	lat := func(phase, metric string, l Latency, target string) {
		row(phase, metric, fmt.Sprintf("p50 %s  p95 %s  p99 %s  max %s ms  (n=%d)",
			num(l.P50), num(l.P95), num(l.P99), num(l.Max), l.Count), target)
	}
	cpu := func(phase string, c CPU) {
		row(phase, "CPU seconds: server / bench", num(c.ServerSeconds)+" / "+num(c.BenchSeconds), "")
	}
	t := r.Target
	row("target", "nodes", fmt.Sprintf("%d  %s", t.Nodes, strings.Join(t.URLs, " ")), "")
	if t.Store != "" {
		row("target", "store, bus", t.Store+", "+t.Bus, "")
	}
	row("machine", "CPUs, load average before -> after", fmt.Sprintf("%d, %s -> %s", r.Machine.CPUs, num(r.Machine.LoadBefore), num(r.Machine.LoadAfter)), "")
	h := r.Machine.Host
	if h.Processor != "" || h.Meltdown != "" {
		row("machine", "processor; Meltdown mitigation, PCID", fmt.Sprintf("%s; %s, %s", h.Processor, h.Meltdown, yesNo(h.PCID)), "")
	}
	if h.SyscallNanoseconds > 0 {
		row("machine", "an empty system call / 1,000 compute steps", fmt.Sprintf("%s / %s ns", num(h.SyscallNanoseconds), num(h.ComputeNanoseconds)), "")
	}
	s := r.Settings
	row("settings", "visitors, operators, chatting", fmt.Sprintf("%d, %d, %d", s.Visitors, s.Operators, s.Chatting), "")
	row("settings", "rate, duration, hold", fmt.Sprintf("%s msg/s, %ss, %ss", num(s.Rate), num(s.DurationSeconds), num(s.HoldSeconds)), "")
	row("settings", "messages sent over", s.SendOver, "")
	if s.Advertisers > 0 {
		row("settings", "account", fmt.Sprintf("a portal with %d advertisers", s.Advertisers), "")
	}
	if s.Workers > 1 {
		row("settings", "load generator", fmt.Sprintf("%d worker processes for the visitors' sockets", s.Workers), "")
	}

	p := r.PageViews
	row("page views", "stored / requested", fmt.Sprintf("%d / %d  (%d new, %d returning)", p.Stored, p.Requested, p.NewVisitors, p.Returning), "")
	row("page views", "per second", num(p.PerSecond), ">= 5000")
	lat("page views", "latency", p.Latency, "p99 <= 50 ms")
	row("page views", "errors", fmt.Sprint(p.Errors), "0")
	cpu("page views", p.CPU)

	if l := r.ChatLists; l != nil {
		row("chat lists", "listed / requested", fmt.Sprintf("%d / %d", l.Listed, l.Requested), "")
		row("chat lists", "per second", num(l.PerSecond), "")
		lat("chat lists", "latency", l.Latency, "")
		row("chat lists", "errors", fmt.Sprint(l.Errors), "0")
		cpu("chat lists", l.CPU)
	}

	c := r.Connect
	row("connect", "visitors + operators", fmt.Sprintf("%d + %d", c.Visitors, c.Operators), "")
	row("connect", "new connections per second", fmt.Sprintf("%s  (%ss)", num(c.PerSecond), num(c.Seconds)), ">= 2000")
	lat("connect", "visit + handshake", c.Latency, "")
	row("connect", "errors", fmt.Sprint(c.Errors), "0")
	cpu("connect", c.CPU)

	i := r.Idle
	row("idle", "connections held", fmt.Sprintf("%d for %ss", r.Connect.ConnectionsHeld, num(i.HoldSeconds)), "")
	row("idle", "server RSS baseline -> held", fmt.Sprintf("%s -> %s", mib(i.RSSBaselineBytes), mib(i.RSSBytes)), "")
	row("idle", "RSS per connection", kib(i.BytesPerConnection), "<= 8 KiB at 19,000")
	row("idle", "Go heap / stack per connection", kib(i.HeapBytesPerConnection)+" / "+kib(i.StackBytesPerConnection), "")
	row("idle", "goroutines per connection", num(i.GoroutinesPerConnection), "")
	row("idle", "CPU per connection", num(i.CPUMicrosPerConnectionSecond)+" µs/s", "<= 3 µs/s")
	row("idle", "pings sent / pongs", fmt.Sprintf("%d / %d", i.PingsSent, i.PongsReceived), "")
	row("idle", "unexpected disconnects", fmt.Sprint(i.UnexpectedDisconnects), "0")
	row("idle", "bench RSS", mib(i.BenchRSSBytes), "")

	m := r.Messaging
	row("messaging", "conversations", fmt.Sprint(m.Conversations), "")
	for _, d := range []struct {
		name string
		d    Direction
	}{{"visitor->operator", m.VisitorToOperator}, {"operator->visitor", m.OperatorToVisitor}} {
		row("messaging", d.name+" sent/acked/received", fmt.Sprintf("%d / %d / %d  (%s/s acked)", d.d.Sent, d.d.Acked, d.d.Received, num(d.d.PerSecond)), "")
		lat("messaging", d.name+" stored (ack)", d.d.Ack, "")
		if sv := d.d.Server; sv.Count > 0 {
			row("messaging", d.name+" of which the server's", fmt.Sprintf("p50 %s  p95 %s  p99 %s ms  (n=%d, from /metrics buckets)", num(sv.P50), num(sv.P95), num(sv.P99), sv.Count), "")
		}
		target := ""
		if d.name == "visitor->operator" {
			target = "p50 <= 1 ms, p99 <= 5 ms (1 node); p99 <= 8 ms (2 nodes)"
		}
		lat("messaging", d.name+" delivered", d.d.Delivery, target)
		if atSocket := d.d.AtSocket; atSocket != nil {
			lat("messaging", d.name+" at the socket", *atSocket, "")
		}
		if across := d.d.AcrossNodes; across != nil {
			acrossTarget := ""
			if d.name == "visitor->operator" {
				acrossTarget = "p99 <= 8 ms"
			}
			lat("messaging", d.name+" of which across nodes", *across, acrossTarget)
		}
		row("messaging", d.name+" lost / duplicates", fmt.Sprintf("%d / %d", d.d.Lost, d.d.Duplicates), "0 / 0")
	}
	row("messaging", "stalls over 5 ms: count, longest, total", fmt.Sprintf("%d, %s ms, %s ms", m.Stalls.Count, num(m.Stalls.LongestMS), num(m.Stalls.TotalMS)), "")
	row("messaging", "errors", fmt.Sprint(m.Errors), "0")
	cpu("messaging", m.CPU)
	if mc := m.Machine; mc != nil {
		row("messaging", "machine CPU seconds: busy of capacity; PostgreSQL, NATS, other; steal",
			fmt.Sprintf("%s of %s; %s, %s, %s; %s", num(mc.BusySeconds), num(mc.CapacitySeconds),
				num(mc.PostgresSeconds), num(mc.NATSSeconds), num(mc.OtherSeconds), num(mc.StealSeconds)), "")
	}
	if g := m.Garbage; g != nil {
		row("messaging", "nodes' GC: cycles, allocated a message", fmt.Sprintf("%d, %s KiB", g.Cycles, num(g.BytesPerMessage/1024)), "")
	}
	if sc := m.Scheduler; sc.Count > 0 {
		row("messaging", "nodes' goroutines waiting to run", fmt.Sprintf("p50 %s  p95 %s  p99 %s ms  (n=%d, from /metrics buckets)", num(sc.P50), num(sc.P95), num(sc.P99), sc.Count), "")
	}
	for _, w := range m.Windows {
		row("messaging", windowName(w), windowRow(w), "")
	}

	f := r.Fanout
	row("fan-out", "received / clients", fmt.Sprintf("%d / %d", f.Received, f.Clients), "")
	row("fan-out", "first / last client has it after", num(f.FirstMS)+" / "+num(f.LastMS)+" ms", "last <= 100 ms for 10,000")
	lat("fan-out", "per client", f.Latency, "")
	cpu("fan-out", f.CPU)
	if len(f.LastMSEach) > 1 {
		each := slices.Sorted(slices.Values(f.LastMSEach))
		row("fan-out", fmt.Sprintf("last client, each of %d events", len(each)),
			fmt.Sprintf("p50 %s  max %s ms; over 100 ms: %d", num(each[len(each)/2]), num(each[len(each)-1]), f.Over100), "")
	}
	if pf := f.PerFrame; pf.Frames > 0 {
		row("fan-out", "CPU a frame: server / bench", fmt.Sprintf("%s / %s µs  (%d frames)", num(pf.ServerMicros), num(pf.BenchMicros), pf.Frames), "")
	}
	row("fan-out", "presence frames to visitors over the phase", fmt.Sprint(f.PresenceFrames), "")
	if f.GCCycles != nil {
		row("fan-out", "nodes' GC cycles during the events", fmt.Sprint(*f.GCCycles), "")
	}

	if x := r.Restart; x != nil {
		row("restart", "node restarted", x.Node+"  (sockets reconnect to "+x.ReconnectTo+")", "")
		row("restart", "visitors + operators on it", fmt.Sprintf("%d + %d", x.Visitors, x.Operators), "")
		row("restart", "reconnect frames / dropped", fmt.Sprintf("%d / %d", x.ReconnectFrames, x.Dropped), "")
		row("restart", "reconnected: visitors, operators", fmt.Sprintf("%d, %d", x.Reconnected, x.OperatorsReconnected), "all")
		row("restart", "node exited / ready again after SIGTERM", num(x.StopSeconds)+" s / "+num(x.NodeSeconds)+" s", "")
		row("restart", "last reconnected after SIGTERM", num(x.Seconds)+" s", "<= 15 s")
		row("restart", "failed attempts (retried)", fmt.Sprint(x.FailedAttempts), "")
		row("restart", "unexpected disconnects elsewhere", fmt.Sprint(x.UnexpectedDisconnects), "0")
		row("restart", "errors", fmt.Sprint(x.Errors), "0")
	}

	d := r.Teardown
	row("teardown", "closed", fmt.Sprint(d.Closed), "")
	row("teardown", "server connections after", fmt.Sprintf("%d  (%ss)", d.ServerConnectionsAfter, num(d.Seconds)), "0")
	row("teardown", "goroutines baseline -> after", fmt.Sprintf("%d -> %d", d.GoroutinesBaseline, d.GoroutinesAfter), "no leak")
	row("teardown", "server RSS after", mib(d.RSSAfterBytes), "")

	row("total", "errors", fmt.Sprint(r.Errors), "0")
	row("total", "unexpected disconnects", fmt.Sprint(r.UnexpectedDisconnects), "0")
	verdict := "ok"
	if !r.OK {
		verdict = "FAILED: " + strings.Join(r.Failures, "; ")
	}
	row("total", "result", verdict, "")
	return tw.Flush()
}

func num(f float64) string {
	s := fmt.Sprintf("%.3f", f)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
