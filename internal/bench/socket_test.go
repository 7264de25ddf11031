package bench

import (
	"testing"
	"time"
)

// Each socket gets one ping per heartbeat period, and the pings of a period are spread over its
// ticks rather than sent a second's worth at once.
func TestPingsAreSpreadOverThePeriod(t *testing.T) {
	const sockets = 10000
	turns := pingTurns(25 * time.Second)
	if turns != 25*pingTicks {
		t.Fatalf("%d turns in a 25 s period, want %d", turns, 25*pingTicks)
	}
	pinged := make([]int, sockets)
	most := 0
	for turn := range turns {
		n := 0
		forEachDue(sockets, turn, turns, func(i int) { pinged[i]++; n++ })
		most = max(most, n)
	}
	for i, n := range pinged {
		if n != 1 {
			t.Fatalf("socket %d pinged %d times in one period, want once", i, n)
		}
	}
	if want := (sockets + turns - 1) / turns; most > want {
		t.Errorf("one tick pinged %d sockets, want at most %d", most, want)
	}
	if pingTurns(0) != pingTicks {
		t.Errorf("a heartbeat under a second: %d turns, want %d", pingTurns(0), pingTicks)
	}
}
