package visitors

import (
	"fmt"
	"testing"
)

// The identities kept are bounded by two generations, and one looked up lately outlives one
// that was not.
func TestIdentitiesKeepWhatWasUsedLately(t *testing.T) {
	const limit = 4
	ids := newIdentities(limit)
	add := func(from, to int) {
		for i := from; i < to; i++ {
			ids.add(fmt.Sprint("t", i), identity{visitorID: fmt.Sprint("v", i), accountID: "a"})
		}
	}
	add(0, limit+1) // t0…t3 fill a generation; t4 starts the next, t0…t3 become the older one
	if got, ok := ids.lookup("t0"); !ok || got.visitorID != "v0" {
		t.Fatalf("t0 = %+v, %v; the older generation still holds it", got, ok)
	}
	// The lookup copied t0 into the newer generation; filling it drops the older one, and t1
	// with it.
	add(limit+1, 2*limit)
	if _, ok := ids.lookup("t0"); !ok {
		t.Error("t0, looked up lately, was dropped")
	}
	if _, ok := ids.lookup("t1"); ok {
		t.Error("t1, not looked up since it was added, is still kept")
	}
	if n := len(ids.recent) + len(ids.older); n > 2*limit {
		t.Errorf("%d identities kept, want at most %d", n, 2*limit)
	}
}
