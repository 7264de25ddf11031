package bench

import "time"

// The bench and its worker processes time one event on both sides (the fan-out, the restart),
// so they read one clock: the machine's monotonic clock, read once at start and then advanced
// with Go's own monotonic time, which costs no system call per reading.
var (
	clockBase = time.Now()
	clockMono = clockMonotonic()
)

// monoNow is the machine's monotonic clock in nanoseconds.
func monoNow() int64 { return clockMono + int64(time.Since(clockBase)) }
