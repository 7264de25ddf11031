package metrics

import (
	"math"
	"runtime/metrics"

	"github.com/prometheus/client_golang/prometheus"
)

// schedulerLatencies is how long goroutines waited to run once they were ready, from the Go
// runtime's own histogram (/sched/latencies:seconds, which samples some of the goroutines'
// wake-ups): a node short of processors, or whose garbage collector holds them, shows there
// before its answers slow down. It has buckets of its own, from tenths of a millisecond to
// milliseconds, where a busy node's answers are made; the Go collector's rebucketing of the same
// histogram jumps from 0.9 ms to 10 ms.
type schedulerLatencies struct{ desc *prometheus.Desc }

const schedulerLatenciesMetric = "/sched/latencies:seconds"

var schedulerBounds = []float64{.00001, .00005, .0001, .00025, .0005, .001, .002, .004, .008, .016, .032, .064}

func newSchedulerLatencies() schedulerLatencies {
	return schedulerLatencies{desc: prometheus.NewDesc("go_sched_latencies_seconds",
		"How long goroutines waited to run once they were ready (the Go runtime's sampled histogram; the sum is "+
			"estimated from its buckets).", nil, nil)}
}

func (c schedulerLatencies) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c schedulerLatencies) Collect(ch chan<- prometheus.Metric) {
	sample := []metrics.Sample{{Name: schedulerLatenciesMetric}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return
	}
	count, sum, buckets := rebucket(sample[0].Value.Float64Histogram(), schedulerBounds)
	ch <- prometheus.MustNewConstHistogram(c.desc, count, sum, buckets)
}

// rebucket folds a runtime histogram into cumulative counts at bounds. A runtime bucket counts
// toward the first bound at or above its upper edge, so a bound's count is never too low; the
// runtime's buckets are narrow (an eighth of a power of two), so it is rarely too high. The sum
// takes each bucket's middle.
func rebucket(h *metrics.Float64Histogram, bounds []float64) (count uint64, sum float64, cumulative map[float64]uint64) {
	cumulative = make(map[float64]uint64, len(bounds))
	for _, b := range bounds {
		cumulative[b] = 0
	}
	for i, n := range h.Counts {
		if n == 0 {
			continue
		}
		lo, hi := h.Buckets[i], h.Buckets[i+1]
		count += n
		switch {
		case math.IsInf(lo, -1):
			sum += float64(n) * max(hi, 0)
		case math.IsInf(hi, 1):
			sum += float64(n) * lo
		default:
			sum += float64(n) * (lo + hi) / 2
		}
		for _, b := range bounds {
			if hi <= b {
				cumulative[b] += n
			}
		}
	}
	return count, sum, cumulative
}
