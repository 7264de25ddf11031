package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; 100 on Linux.
const clockTicks = 100

// procUsage is a process's resident memory and CPU time, from /proc.
type procUsage struct {
	rss int64   // bytes
	cpu float64 // seconds, user + system
}

func readProc(pid int) (procUsage, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procUsage{}, err
	}
	var u procUsage
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				u.rss = kb << 10
			}
		}
	}
	if u.cpu, err = readProcCPU(pid); err != nil {
		return procUsage{}, err
	}
	return u, nil
}

// readProcCPU is a process's CPU time so far, user and system, in seconds.
func readProcCPU(pid int) (float64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces; count from after it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, _ := strconv.ParseFloat(f[11], 64) // field 14
	stime, _ := strconv.ParseFloat(f[12], 64) // field 15
	return (utime + stime) / clockTicks, nil
}

// serverUsage sums memory and CPU over the server processes: from /proc when the bench knows
// their PIDs, else from each node's /metrics.
func (r *runner) serverUsage(ctx context.Context) (procUsage, error) {
	var total procUsage
	if len(r.opt.PIDs) > 0 {
		for _, pid := range r.opt.PIDs {
			u, err := readProc(pid)
			if err != nil {
				return procUsage{}, err
			}
			total.rss += u.rss
			total.cpu += u.cpu
		}
		return total, nil
	}
	m, err := r.scrape(ctx)
	if err != nil {
		return procUsage{}, err
	}
	return procUsage{rss: int64(m["process_resident_memory_bytes"]), cpu: m["process_cpu_seconds_total"]}, nil
}

// metricNames are the /metrics series the bench reads, summed over labels and nodes.
var metricNames = map[string]bool{
	"portico_connections":           true,
	"go_goroutines":                 true,
	"go_memstats_heap_inuse_bytes":  true,
	"go_memstats_stack_inuse_bytes": true,
	"process_resident_memory_bytes": true,
	"process_cpu_seconds_total":     true,
}

// scrape reads the Prometheus text of every node and sums the series the bench needs.
func (r *runner) scrape(ctx context.Context) (map[string]float64, error) {
	out := map[string]float64{}
	err := r.scrapeNodes(ctx, func(name, _ string, v float64) {
		if metricNames[name] {
			out[name] += v
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scrapeNodes hands every sample of every node's /metrics to add.
func (r *runner) scrapeNodes(ctx context.Context, add func(name, labels string, v float64)) error {
	for _, base := range r.opt.URLs {
		if err := scrapeOne(ctx, r.clients[0], base+"/metrics", add); err != nil {
			return err
		}
	}
	return nil
}

// scrapeOne reads one node's Prometheus text and hands each sample to add: the metric's name,
// its labels as written between the braces (empty when none) and its value.
func scrapeOne(ctx context.Context, c *http.Client, url string, add func(name, labels string, v float64)) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return parseSamples(resp.Body, add)
}

func parseSamples(text io.Reader, add func(name, labels string, v float64)) error {
	sc := bufio.NewScanner(text)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, rest := line, "", ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if strings.HasPrefix(rest, "{") {
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				continue
			}
			labels, rest = rest[1:j], rest[j+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		add(name, labels, v)
	}
	return sc.Err()
}

// The routes by which the bench sends messages, as the nodes' request-time histogram
// (portico_http_request_seconds) names them, and the series of the sends over the socket
// (portico_socket_send_seconds, by author).
const (
	visitorSendRoute   = "POST /api/v1/widget/conversations/{id}/messages"
	operatorSendRoute  = "POST /api/v1/conversations/{id}/messages"
	visitorSocketSend  = "socket send visitor"
	operatorSocketSend = "socket send operator"
)

// histograms are the cumulative buckets of the nodes' histograms the bench reads, summed over
// the nodes: series → upper bound → count, and each series' _sum. A series is a message route's
// stored sends (answers 201) of the request-time histogram, named by the route, the stored sends
// over the socket of one author (visitorSocketSend, operatorSocketSend), a kind of the
// database-time histogram, named by dbSeries, or the scheduler's latencies (schedSeries).
// counters are the Go runtime's counters the bench reads (gcCycles, allocatedBytes), summed over
// the nodes too.
type histograms struct {
	buckets  map[string]map[float64]float64
	sums     map[string]float64
	counters map[string]float64
}

// The Go runtime's counters in /metrics that say how much garbage the nodes made and collected.
const (
	gcCycles       = "go_gc_duration_seconds_count"
	allocatedBytes = "go_memstats_alloc_bytes_total"
)

func newHistograms() histograms {
	return histograms{buckets: map[string]map[float64]float64{}, sums: map[string]float64{}, counters: map[string]float64{}}
}

// garbageSince is what the nodes' garbage collector did between two scrapes, for the messages
// they stored meanwhile.
func (h histograms) garbageSince(before histograms, messages int) *Garbage {
	allocated := h.counters[allocatedBytes] - before.counters[allocatedBytes]
	if messages <= 0 || allocated <= 0 {
		return nil
	}
	return &Garbage{Cycles: h.gcCyclesSince(before), BytesPerMessage: math.Round(allocated / float64(messages))}
}

func (h histograms) gcCyclesSince(before histograms) int {
	return int(h.counters[gcCycles] - before.counters[gcCycles])
}

// schedSeries names the Go runtime's histogram of how long the nodes' goroutines waited to run
// once ready (go_sched_latencies_seconds).
const schedSeries = "sched"

// dbSeries names a kind of portico_db_seconds (read, write, index, checkpoint, restart).
func dbSeries(kind string) string { return "db " + kind }

// scrapeHistograms reads the histograms from every node; a node too old to have one gives none.
func (r *runner) scrapeHistograms(ctx context.Context) (histograms, error) {
	out := newHistograms()
	if err := r.scrapeNodes(ctx, out.add); err != nil {
		return histograms{}, err
	}
	return out, nil
}

// add keeps a sample if it belongs to a series the bench reads.
func (h histograms) add(name, labels string, v float64) {
	if name == gcCycles || name == allocatedBytes {
		h.counters[name] += v
		return
	}
	var series string
	switch base, part := splitHistogramName(name); base {
	case "portico_http_request_seconds":
		route := labelValue(labels, "route")
		if labelValue(labels, "code") != "201" || (route != visitorSendRoute && route != operatorSendRoute) {
			return
		}
		series = route
		name = part
	case "portico_socket_send_seconds":
		if labelValue(labels, "code") != "201" {
			return
		}
		series = "socket send " + labelValue(labels, "author")
		name = part
	case "portico_db_seconds":
		series = dbSeries(labelValue(labels, "kind"))
		name = part
	case "go_sched_latencies_seconds":
		series = schedSeries
		name = part
	default:
		return
	}
	switch name {
	case "sum":
		h.sums[series] += v
	case "bucket":
		bound, err := strconv.ParseFloat(labelValue(labels, "le"), 64) // "+Inf" parses as infinity
		if err != nil {
			return
		}
		if h.buckets[series] == nil {
			h.buckets[series] = map[float64]float64{}
		}
		h.buckets[series][bound] += v
	}
}

// splitHistogramName parts a histogram sample's name into the histogram's and the part:
// bucket, sum or count.
func splitHistogramName(name string) (base, part string) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return name, ""
	}
	return name[:i], name[i+1:]
}

// labelValue finds a label's value in the text between a sample's braces; "" when absent.
func labelValue(labels, key string) string {
	for rest := labels; rest != ""; {
		k, after, ok := strings.Cut(rest, `="`)
		if !ok {
			return ""
		}
		// Prometheus escapes quotes and backslashes in values; the bench's labels have none
		// that matter, but the value still ends at the first unescaped quote.
		end := 0
		for end < len(after) && after[end] != '"' {
			if after[end] == '\\' {
				end++
			}
			end++
		}
		if strings.TrimPrefix(k, ",") == key {
			return after[:min(end, len(after))]
		}
		if end >= len(after) {
			return ""
		}
		rest = strings.TrimPrefix(after[end+1:], ",")
	}
	return ""
}

// since estimates a series' times between two scrapes from the buckets' differences,
// interpolating within a bucket as Prometheus's histogram_quantile does. Max is left out: the
// buckets only bound it.
func (h histograms) since(before histograms, series string) Latency {
	bounds, counts := h.countsSince(before, series)
	if len(counts) == 0 || counts[len(counts)-1] <= 0 {
		return Latency{}
	}
	total := counts[len(counts)-1]
	quantile := func(q float64) float64 {
		rank := q * total
		lower, below := 0.0, 0.0
		for i, b := range bounds {
			if counts[i] >= rank {
				if math.IsInf(b, 1) {
					return round3(lower * 1000) // past the last bound: say the last bound
				}
				inBucket := counts[i] - below
				return round3((lower + (b-lower)*(rank-below)/inBucket) * 1000)
			}
			lower, below = b, counts[i]
		}
		return round3(lower * 1000)
	}
	return Latency{Count: int(total), P50: quantile(0.50), P95: quantile(0.95), P99: quantile(0.99)}
}

// countsSince is a series' cumulative counts between two scrapes, by ascending upper bound.
func (h histograms) countsSince(before histograms, series string) (bounds, counts []float64) {
	for b := range h.buckets[series] {
		bounds = append(bounds, b)
	}
	slices.Sort(bounds)
	counts = make([]float64, len(bounds))
	for i, b := range bounds {
		counts[i] = h.buckets[series][b] - before.buckets[series][b]
	}
	return bounds, counts
}

// cpuMark is where a phase's CPU accounting starts.
type cpuMark struct{ server, bench float64 }

func (r *runner) markCPU(ctx context.Context) cpuMark {
	var m cpuMark
	if u, err := r.serverUsage(ctx); err == nil {
		m.server = u.cpu
	}
	m.bench = r.benchUsage().cpu
	return m
}

func (r *runner) cpuSince(ctx context.Context, start cpuMark) CPU {
	end := r.markCPU(ctx)
	return CPU{ServerSeconds: round3(end.server - start.server), BenchSeconds: round3(end.bench - start.bench)}
}

// loadAverage is the one-minute load average, or 0 where /proc/loadavg does not exist.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}
