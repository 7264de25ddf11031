package bench

import (
	"math"
	"slices"
	"sync"
	"time"
)

// recorder keeps every sample of one measurement; runs are bounded, so exact percentiles are cheap.
type recorder struct {
	mu      sync.Mutex
	samples []time.Duration
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	r.samples = append(r.samples, d)
	r.mu.Unlock()
}

// Latency is a distribution in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func (r *recorder) summary() Latency {
	r.mu.Lock()
	s := slices.Clone(r.samples)
	r.mu.Unlock()
	if len(s) == 0 {
		return Latency{}
	}
	slices.Sort(s)
	at := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return ms(s[max(i, 0)])
	}
	return Latency{Count: len(s), P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

// round3 keeps three decimals, enough for microseconds in milliseconds and for readable JSON.
func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// problems keeps the first distinct error messages, so a failed run says why without flooding.
type problems struct {
	mu      sync.Mutex
	seen    map[string]bool
	samples []string
}

const maxProblemSamples = 10

func (p *problems) note(phase string, err error) {
	msg := phase + ": " + err.Error()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]bool{}
	}
	if p.seen[msg] || len(p.samples) >= maxProblemSamples {
		return
	}
	p.seen[msg] = true
	p.samples = append(p.samples, msg)
}

func (p *problems) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.samples)
}
