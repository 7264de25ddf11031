package main

import "testing"

func TestNodeProcs(t *testing.T) {
	for _, tc := range []struct {
		current int
		set     bool
		want    int
	}{
		{current: 1, want: minNodeProcs},
		{current: 2, want: minNodeProcs},
		{current: minNodeProcs + 4, want: minNodeProcs + 4}, // a bigger machine keeps Go's choice
		{current: 2, set: true, want: 2},                    // GOMAXPROCS given: kept as it is
		{current: 1, set: true, want: 1},
	} {
		if got := nodeProcs(tc.current, tc.set); got != tc.want {
			t.Errorf("nodeProcs(%d, GOMAXPROCS set %v) = %d, want %d", tc.current, tc.set, got, tc.want)
		}
	}
}
