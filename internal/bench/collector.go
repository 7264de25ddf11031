package bench

import (
	"context"
	"runtime"
	"runtime/debug"
)

// A garbage collection in the bench's own process slows its reading of the sockets: with 10,000
// of them its mark phase takes 30–45 ms, and in the messaging phase 15–47 % of the stalls began
// in the 40 ms before one of the bench's five or six collections ended, twenty times what chance
// gives (docs/benchmarks.md, round nineteen). Such a pause is the load generator's, not
// the server's. The timed phases therefore run with the bench's collector held off: one
// collection just before, then none until the phase ends unless the bench's memory grows by
// collectorHeadroom (the 20-s messaging phase allocates about 200 MB).
const collectorHeadroom = 1 << 30

// withCollectorHeld wraps a phase so that it runs with the bench's collector held off, and puts
// the collector back as it was afterwards.
func withCollectorHeld(phase func(context.Context)) func(context.Context) {
	return func(ctx context.Context) {
		runtime.GC()
		var mem runtime.MemStats
		runtime.ReadMemStats(&mem)
		limit := debug.SetMemoryLimit(int64(mem.Sys-mem.HeapReleased) + collectorHeadroom)
		percent := debug.SetGCPercent(-1)
		defer func() {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(limit)
		}()
		phase(ctx)
	}
}
