package bench

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
)

// A timed phase runs with the bench's collector held off, which is back as it was afterwards.
func TestTimedPhaseRunsWithoutCollections(t *testing.T) {
	percent := debug.SetGCPercent(100)
	debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(-1)

	var before, after runtime.MemStats
	var kept [][]byte
	withCollectorHeld(func(context.Context) {
		runtime.ReadMemStats(&before)
		// 80 MB of garbage, 400 KB alive at a time: dozens of collections at GOGC=100.
		for range 20000 {
			kept = append(kept, make([]byte, 4096))
			if len(kept) == 100 {
				kept = kept[:0]
			}
		}
		runtime.ReadMemStats(&after)
	})(context.Background())

	if n := after.NumGC - before.NumGC; n != 0 {
		t.Errorf("%d collections during the phase, want none", n)
	}
	if got := debug.SetGCPercent(percent); got != percent {
		t.Errorf("GC percent after the phase = %d, want %d", got, percent)
	}
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("memory limit after the phase = %d, want %d", got, limit)
	}
}
