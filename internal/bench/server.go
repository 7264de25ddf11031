package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
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
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procUsage{}, err
	}
	// The command name (field 2) is in parentheses and may hold spaces; count from after it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procUsage{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return procUsage{}, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	utime, _ := strconv.ParseFloat(f[11], 64) // field 14
	stime, _ := strconv.ParseFloat(f[12], 64) // field 15
	u.cpu = (utime + stime) / clockTicks
	return u, nil
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
	for _, base := range r.opt.URLs {
		if err := scrapeOne(ctx, r.clients[0], base+"/metrics", out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func scrapeOne(ctx context.Context, c *http.Client, url string, into map[string]float64) error {
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
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if !metricNames[name] {
			continue
		}
		if strings.HasPrefix(rest, "{") {
			j := strings.LastIndexByte(rest, '}')
			if j < 0 {
				continue
			}
			rest = rest[j+1:]
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		into[name] += v
	}
	return sc.Err()
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
