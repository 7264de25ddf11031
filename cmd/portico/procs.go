package main

import "runtime"

// minNodeProcs is the fewest processors (Ps) a node's Go scheduler gets. With fewer than four,
// Go's garbage collector marks with a fractional worker, which keeps its P for milliseconds at a
// time while the goroutines queued on that P wait (golang/go#21698); from four on it marks with
// a dedicated worker, whose P hands its goroutines to the others. On a 2-core machine, the
// handlers that waited longest were those that became ready while a collection was marking
// (docs/benchmarks.md, round twenty-four). More Ps than cores cost a few idle threads; the
// kernel shares the cores among the threads that have work.
const minNodeProcs = 4

// nodeProcs is how many Ps a node runs with: current (Go's choice, from the cores and any CPU
// limit of the container) raised to minNodeProcs, unless GOMAXPROCS was set, which is kept.
func nodeProcs(current int, gomaxprocsSet bool) int {
	if gomaxprocsSet {
		return current
	}
	return max(current, minNodeProcs)
}

// raiseProcs gives a node its processors and reports how many it has.
func raiseProcs(getenv func(string) string) int {
	current := runtime.GOMAXPROCS(0)
	n := nodeProcs(current, getenv("GOMAXPROCS") != "")
	if n != current {
		runtime.GOMAXPROCS(n)
	}
	return n
}
