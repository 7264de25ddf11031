package metrics

import (
	"math"
	"runtime/metrics"
	"testing"
)

// A runtime bucket counts toward the first bound at or above its upper edge, and toward every
// bound after it; those past the last bound only toward the count.
func TestRebucket(t *testing.T) {
	h := &metrics.Float64Histogram{
		Buckets: []float64{math.Inf(-1), 0, 0.0004, 0.0006, 0.0011, 0.003, math.Inf(1)},
		Counts:  []uint64{0, 10, 5, 2, 1, 1},
	}
	count, sum, got := rebucket(h, []float64{.0005, .001, .002})
	want := map[float64]uint64{.0005: 10, .001: 15, .002: 17}
	for b, n := range want {
		if got[b] != n {
			t.Errorf("bound %v: %d, want %d", b, got[b], n)
		}
	}
	if count != 19 {
		t.Errorf("count %d, want 19", count)
	}
	if wantSum := 10*0.0002 + 5*0.0005 + 2*0.00085 + 1*0.00205 + 1*0.003; math.Abs(sum-wantSum) > 1e-12 {
		t.Errorf("sum %v, want %v", sum, wantSum)
	}
}

// The node's histogram has the runtime's goroutine waits in its own buckets.
func TestSchedulerLatenciesAreServed(t *testing.T) {
	m := New()
	done := make(chan struct{})
	for range 1000 { // wake-ups for the runtime to sample
		go func() { done <- struct{}{} }()
		<-done
	}
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "go_sched_latencies_seconds" {
			continue
		}
		h := f.GetMetric()[0].GetHistogram()
		if h.GetSampleCount() == 0 {
			t.Fatal("no goroutine wait counted")
		}
		if n := len(h.GetBucket()); n != len(schedulerBounds) {
			t.Errorf("%d buckets, want %d", n, len(schedulerBounds))
		}
		return
	}
	t.Fatal("no go_sched_latencies_seconds")
}
