package bench

import "testing"

func TestParseProcStat(t *testing.T) {
	stat := []byte("cpu  1200 100 500 8000 200 10 40 150 30 0\ncpu0 600 50 250 4000 100 5 20 75 15 0\n")
	m, err := parseProcStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	// busy: user + nice + system + irq + softirq (guest is inside user); ticks of 10 ms
	if m.busy != 18.5 || m.steal != 1.5 || m.total != 18.5+1.5+82 {
		t.Fatalf("busy %v, steal %v, total %v; want 18.5, 1.5, 102", m.busy, m.steal, m.total)
	}
	if _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Fatal("a /proc/stat without its cpu line was read")
	}
}

// A watched process counts from the start mark, or from its own start when it began during the
// phase; a reused pid counts as new; one gone by the end is not counted; the rest of the busy
// time is other.
func TestMachineSince(t *testing.T) {
	start := machineMark{total: 100, busy: 40, steal: 1, watched: map[int]watchedProc{
		10: {"postgres", 5},    // through the phase
		11: {"postgres", 3},    // ends during it
		12: {"nats-server", 2}, // through the phase
		13: {"nats-server", 7}, // its pid taken by a new postgres backend
	}}
	end := machineMark{total: 140, busy: 70, steal: 1.5, watched: map[int]watchedProc{
		10: {"postgres", 9},
		12: {"nats-server", 2.5},
		13: {"postgres", 0.5},
		14: {"postgres", 1}, // started during the phase
	}}
	mc := machineSince(start, end, 12, 6)
	want := MachineCPU{CapacitySeconds: 40, BusySeconds: 30, StealSeconds: 0.5, PostgresSeconds: 5.5, NATSSeconds: 0.5, OtherSeconds: 6}
	if *mc != want {
		t.Fatalf("got %+v\nwant %+v", *mc, want)
	}
}
