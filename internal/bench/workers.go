package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// One process can hold only as many sockets as its open-file limit allows, so a large run
// spreads its visitors over worker processes: the bench runs its own binary again as
// `portico bench worker`, sends it requests as JSON lines on its stdin and reads one JSON
// line back on its stdout for each. The operators, the chatting visitors and every HTTP phase
// stay in the bench's own process; a worker holds idle visitors, keeps them alive and counts
// what they receive.

// SocketsPerWorker is how many sockets one load-generator process is given by default: well
// below a limit of 20,000 open files, with room for HTTP connections and the runtime's own.
const SocketsPerWorker = 18000

// WorkerSpec says how to start a worker process.
type WorkerSpec struct {
	Exe  string   // the portico binary
	Args []string // arguments that make it a worker: "bench", "worker"
	Env  []string
}

// WorkerConfig is a worker's share of the run: the visitors first … first+count-1, numbered
// as in a single process so that each goes to the same node and source address.
type WorkerConfig struct {
	URLs        []string      `json:"urls"`
	Account     string        `json:"account"`
	First       int           `json:"first"`
	Count       int           `json:"count"`
	Concurrency int           `json:"concurrency"`
	Sources     int           `json:"sources"`
	Heartbeat   time.Duration `json:"heartbeat"`
	Advertisers []string      `json:"advertisers,omitempty"`
	Chatting    int           `json:"chatting"`
}

const (
	opStart   = "start"   // Config: set up, start the heartbeats
	opConnect = "connect" // connect the share; reply Visitors, Failed, Latency when all have hello
	opStats   = "stats"   // reply Counts
	opExpect  = "expect"  // arm the fan-out counters for What
	opAwait   = "await"   // wait up to Within for What from every visitor; reply Count, Times
	opArm     = "arm"     // Node is about to restart; reply Rejoin with the sockets on it
	opRejoin  = "rejoin"  // wait up to Within for them to be back; reply Rejoin
	opClose   = "close"   // drop every socket; reply Closed and the final Counts
)

type request struct {
	Op     string        `json:"op"`
	Config *WorkerConfig `json:"config,omitempty"`
	What   int           `json:"what,omitempty"`
	Within time.Duration `json:"within,omitempty"`
	Node   string        `json:"node,omitempty"`
}

type reply struct {
	Error    string       `json:"error,omitempty"`
	Visitors int          `json:"visitors,omitempty"`
	Failed   int          `json:"failed,omitempty"`
	Latency  []int64      `json:"latency_ns,omitempty"` // visit + handshake of each visitor
	Counts   counts       `json:"counts"`
	Count    int64        `json:"count,omitempty"`
	Times    []int64      `json:"times,omitempty"` // monoNow of each fan-out frame
	Rejoin   RejoinCounts `json:"rejoin"`
	Closed   int          `json:"closed,omitempty"`
	Problems []string     `json:"problems,omitempty"`
}

// counts are a process's socket counters.
type counts struct {
	Hellos     int64 `json:"hellos"`
	Pings      int64 `json:"pings"`
	Pongs      int64 `json:"pongs"`
	Unexpected int64 `json:"unexpected"`
	Presence   int64 `json:"presence"` // presence frames the visitors received
}

func (c *counts) add(o counts) {
	c.Presence += o.Presence
	c.Hellos += o.Hellos
	c.Pings += o.Pings
	c.Pongs += o.Pongs
	c.Unexpected += o.Unexpected
}

// worker is the bench's end of one worker process.
type worker struct {
	idx  int
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *os.File
	enc  *json.Encoder
	dec  *json.Decoder
	log  *tail
	done chan struct{}
	err  error // why the process ended, once done is closed

	mu       sync.Mutex // one request at a time
	visitors int        // connected, from the connect reply
	final    *counts    // from the close reply
}

// splitVisitors divides the visitors first … n-1 over k workers, as evenly as it goes.
func splitVisitors(first, n, k int) [][2]int {
	out := make([][2]int, k)
	per, extra := (n-first)/k, (n-first)%k
	for i := range k {
		c := per
		if i < extra {
			c++
		}
		out[i] = [2]int{first, c}
		first += c
	}
	return out
}

// share is the part of the concurrency a process with count of the n visitors may use.
func share(concurrency, count, n int) int {
	if n == 0 {
		return 1
	}
	return max(1, (concurrency*count+n-1)/n)
}

func startWorker(spec WorkerSpec, idx int) (*worker, error) {
	cmd := exec.Command(spec.Exe, spec.Args...)
	cmd.Env = spec.Env
	w := &worker{idx: idx, cmd: cmd, log: &tail{max: 16 << 10}, done: make(chan struct{})}
	cmd.Stderr = w.log
	cmd.SysProcAttr = childAttr()
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	// A pipe of our own for the replies: Wait does not close it, so a reply written just
	// before the process ends is still read.
	out, childOut, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = childOut
	err = cmd.Start()
	childOut.Close()
	if err != nil {
		out.Close()
		return nil, err
	}
	w.in, w.out = in, out
	w.enc, w.dec = json.NewEncoder(in), json.NewDecoder(bufio.NewReader(out))
	go func() {
		w.err = cmd.Wait()
		close(w.done)
	}()
	return w, nil
}

func (w *worker) name() string { return fmt.Sprintf("worker %d", w.idx+1) }

// call sends one request and reads its reply. A worker that has died answers with an error
// that includes the end of what it wrote on stderr.
func (w *worker) call(req request) (reply, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var rep reply
	if err := w.enc.Encode(req); err != nil {
		return rep, fmt.Errorf("%s: %s: %w%s", w.name(), req.Op, err, w.logTail())
	}
	if err := w.dec.Decode(&rep); err != nil {
		return rep, fmt.Errorf("%s: %s: no answer (%v)%s", w.name(), req.Op, err, w.logTail())
	}
	if rep.Error != "" {
		return rep, fmt.Errorf("%s: %s: %s", w.name(), req.Op, rep.Error)
	}
	return rep, nil
}

func (w *worker) logTail() string {
	if s := w.log.String(); s != "" {
		return "\n" + s
	}
	return ""
}

// stop ends the worker: stdin closed, it drops what it still holds and exits; killed after 10 s.
func (w *worker) stop() error {
	w.in.Close()
	defer w.out.Close()
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
		return fmt.Errorf("%s did not exit within 10 s and was killed", w.name())
	}
	return nil
}

func (w *worker) check() error {
	select {
	case <-w.done:
		return fmt.Errorf("%s exited: %v%s", w.name(), w.err, w.logTail())
	default:
		return nil
	}
}

// startWorkers starts one worker per share and hands each its configuration.
func (r *runner) startWorkers(ctx context.Context) error {
	o := &r.opt
	shares := splitVisitors(o.Chatting, o.Visitors, o.Workers)
	for i, sh := range shares {
		w, err := startWorker(*o.Worker, i)
		if err != nil {
			return fmt.Errorf("worker %d: %w", i+1, err)
		}
		r.workers = append(r.workers, w)
		cfg := &WorkerConfig{URLs: o.URLs, Account: o.Account, First: sh[0], Count: sh[1],
			Concurrency: share(o.Concurrency, sh[1], o.Visitors), Sources: o.Sources, Heartbeat: o.Heartbeat,
			Advertisers: o.Advertisers, Chatting: o.Chatting}
		if _, err := w.call(request{Op: opStart, Config: cfg}); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// onWorkers sends one request to every worker at once and returns the replies that came back;
// a worker that fails is a problem of the run.
func (r *runner) onWorkers(_ context.Context, req request) []reply {
	if len(r.workers) == 0 {
		return nil
	}
	replies := make([]reply, len(r.workers))
	ok := make([]bool, len(r.workers))
	var wg sync.WaitGroup
	for i, w := range r.workers {
		wg.Go(func() {
			rep, err := w.call(req)
			if err != nil {
				r.workerErrors.Add(1)
				r.problems.note("workers", err)
				return
			}
			for _, p := range rep.Problems {
				r.problems.note(w.name(), errors.New(p))
			}
			replies[i], ok[i] = rep, true
			if req.Op == opConnect {
				w.visitors = rep.Visitors
			}
			if req.Op == opClose {
				c := rep.Counts
				w.final = &c
			}
		})
	}
	wg.Wait()
	var out []reply
	for i, rep := range replies {
		if ok[i] {
			out = append(out, rep)
		}
	}
	return out
}

// stopWorkers ends every worker process.
func (r *runner) stopWorkers() {
	for _, w := range r.workers {
		if err := w.stop(); err != nil {
			r.problems.note("workers", err)
		}
	}
}

func (r *runner) checkWorkers() error {
	for _, w := range r.workers {
		if err := w.check(); err != nil {
			return err
		}
	}
	return nil
}

// counts adds up the socket counters of this process and of every worker.
func (r *runner) counts(ctx context.Context) counts {
	c := r.localCounts()
	for _, rep := range r.onWorkers(ctx, request{Op: opStats}) {
		c.add(rep.Counts)
	}
	return c
}

// pongWait bounds how long answeredCounts waits for the pongs of the pings in flight.
const pongWait = 5 * time.Second

// answeredCounts is counts taken when every ping sent has had its pong, or after pongWait if
// some never do. The pinger never pauses, and a window whose edge fell between a ping and its
// pong would count the one without the other.
func (r *runner) answeredCounts(ctx context.Context) counts {
	deadline := time.Now().Add(pongWait)
	for {
		c := r.counts(ctx)
		if c.Pongs >= c.Pings || ctx.Err() != nil || time.Now().After(deadline) {
			return c
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *runner) localCounts() counts {
	return counts{Hellos: r.hellos.Load(), Pings: r.pings.Load(), Pongs: r.pongs.Load(), Unexpected: r.unexpected.Load(),
		Presence: r.presence.Load()}
}

// totalVisitors is how many visitors got connected, here and in the workers.
func (r *runner) totalVisitors() int {
	n := len(r.visitors)
	for _, w := range r.workers {
		n += w.visitors
	}
	return n
}

// totalUnexpected counts unexpected disconnects here and in the workers; after teardown it
// uses the workers' last counts.
func (r *runner) totalUnexpected(ctx context.Context) int {
	n := r.unexpected.Load()
	var ask bool
	for _, w := range r.workers {
		if w.final != nil {
			n += w.final.Unexpected
		} else {
			ask = true
		}
	}
	if ask {
		for _, rep := range r.onWorkers(ctx, request{Op: opStats}) {
			n += rep.Counts.Unexpected
		}
	}
	return int(n)
}

// benchPIDs are the load generator's processes: this one and its workers.
func (r *runner) benchPIDs() []int {
	pids := []int{os.Getpid()}
	for _, w := range r.workers {
		pids = append(pids, w.cmd.Process.Pid)
	}
	return pids
}

// benchUsage sums the memory and CPU of the load generator's processes.
func (r *runner) benchUsage() procUsage {
	var total procUsage
	for _, pid := range r.benchPIDs() {
		if u, err := readProc(pid); err == nil {
			total.rss += u.rss
			total.cpu += u.cpu
		}
	}
	return total
}
