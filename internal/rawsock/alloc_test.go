//go:build unix && !race

package rawsock_test

import (
	"io"
	"testing"
)

// A read and a write allocate nothing: each runs for every request, query and event of a node.
// (The race detector's sync.Pool drops items at random, so this runs without it.)
func TestReadAndWriteAllocateNothing(t *testing.T) {
	raw, plain := pair(t)
	out, in := []byte("ping"), make([]byte, 4)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := raw.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(plain, in); err != nil {
			t.Fatal(err)
		}
		if _, err := plain.Write(out); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(raw, in); err != nil {
			t.Fatal(err)
		}
	})
	// The plain side's read and write allocate nothing either; what is counted is ours.
	if allocs > 0 {
		t.Fatalf("%v allocations a round trip, want none", allocs)
	}
}
