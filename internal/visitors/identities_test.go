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
	for i := range 2 * limit {
		ids.add(fmt.Sprint("t", i), identity{visitorID: fmt.Sprint("v", i), accountID: "a"})
	}
	if got, ok := ids.lookup("t0"); !ok || got.visitorID != "v0" {
		t.Fatalf("t0 = %+v, %v; two generations hold the first %d", got, ok, 2*limit)
	}
	// t0 was moved to the newer generation by its lookup; the next adds fill it and drop the
	// older one, where t1 still is.
	for i := 2 * limit; i < 3*limit-1; i++ {
		ids.add(fmt.Sprint("t", i), identity{visitorID: fmt.Sprint("v", i), accountID: "a"})
	}
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
