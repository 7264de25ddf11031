package bench

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// MachineCPU is how the whole machine's processor time went during a phase, when the nodes run
// on it: the same command's latency moves 2–5× from one hour to the next, and this tells a run
// whose machine was busier (more time used outside the bench and the nodes, or taken by the
// hypervisor) from one whose own processes cost more.
type MachineCPU struct {
	// CapacitySeconds is the CPUs' time over the phase (the phase's length times the CPUs);
	// BusySeconds the part not idle, StealSeconds the part the hypervisor gave to others.
	CapacitySeconds float64 `json:"capacity_seconds"`
	BusySeconds     float64 `json:"busy_seconds"`
	StealSeconds    float64 `json:"steal_seconds"`
	// PostgresSeconds and NATSSeconds are the CPU of the processes named postgres and
	// nats-server still running at the phase's end, from its start or their own (one that ended
	// meanwhile, such as an autovacuum worker, counts as other).
	PostgresSeconds float64 `json:"postgres_seconds"`
	NATSSeconds     float64 `json:"nats_seconds"`
	// OtherSeconds is the busy time left after the nodes, the bench, PostgreSQL and NATS, never
	// below zero: the processes' own accounting can come to more than the busy ticks (within 4 %
	// over a 20-s phase; over a phase of a few seconds, up to twice), so read it over long phases.
	OtherSeconds float64 `json:"other_seconds"`
}

// machineMark is the machine's counters at a phase's start or end.
type machineMark struct {
	total, busy, steal float64 // seconds, summed over the CPUs, from /proc/stat
	watched            map[int]watchedProc
}

// watchedProc is a watched process's command name and CPU time so far.
type watchedProc struct {
	name string
	cpu  float64
}

// watchedCommands are the processes a phase's machine CPU is reported for, by their command name.
var watchedCommands = []string{"postgres", "nats-server"}

// errRemoteNodes: the machine's CPU says nothing of nodes on other machines.
var errRemoteNodes = errors.New("the nodes run elsewhere")

// markMachine reads the machine's counters, when the nodes run on this machine (the bench knows
// their processes).
func (r *runner) markMachine() (machineMark, error) {
	if len(r.opt.PIDs) == 0 {
		return machineMark{}, errRemoteNodes
	}
	return readMachine()
}

// readMachine reads /proc/stat and the CPU time of the watched processes.
func readMachine() (machineMark, error) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineMark{}, err
	}
	m, err := parseProcStat(stat)
	if err != nil {
		return machineMark{}, err
	}
	m.watched = map[int]watchedProc{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		comm, err := os.ReadFile(dir + "/comm")
		if err != nil {
			continue // it ended
		}
		name := strings.TrimSpace(string(comm))
		if !slices.Contains(watchedCommands, name) {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(dir))
		if cpu, err := readProcCPU(pid); err == nil {
			m.watched[pid] = watchedProc{name: name, cpu: cpu}
		}
	}
	return m, nil
}

// parseProcStat reads the first line of /proc/stat: the CPUs' time in USER_HZ ticks by state
// (user nice system idle iowait irq softirq steal guest guest_nice; guest time is counted in
// user already).
func parseProcStat(stat []byte) (machineMark, error) {
	line, _, _ := bytes.Cut(stat, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 9 || f[0] != "cpu" {
		return machineMark{}, errors.New("/proc/stat: no cpu line")
	}
	var ticks [8]float64
	for i := range ticks {
		v, err := strconv.ParseFloat(f[1+i], 64)
		if err != nil {
			return machineMark{}, errors.New("/proc/stat: " + err.Error())
		}
		ticks[i] = v
	}
	user, nice, system, idle, iowait, irq, softirq, steal := ticks[0], ticks[1], ticks[2], ticks[3], ticks[4], ticks[5], ticks[6], ticks[7]
	var m machineMark
	m.busy = (user + nice + system + irq + softirq) / clockTicks
	m.steal = steal / clockTicks
	m.total = m.busy + m.steal + (idle+iowait)/clockTicks
	return m, nil
}

// machineSince is the machine's use between two marks, given what the nodes and the bench used
// meanwhile. A watched process counts from the start mark, or from its own start if it began
// during the phase; one gone by the end mark is not counted.
func machineSince(start, end machineMark, server, bench float64) *MachineCPU {
	byName := map[string]float64{}
	for pid, p := range end.watched {
		before := start.watched[pid] // zero for a process started during the phase
		if before.name != "" && before.name != p.name {
			before = watchedProc{} // the pid was reused
		}
		byName[p.name] += p.cpu - before.cpu
	}
	mc := &MachineCPU{
		CapacitySeconds: round3(end.total - start.total),
		BusySeconds:     round3(end.busy - start.busy),
		StealSeconds:    round3(end.steal - start.steal),
		PostgresSeconds: round3(byName["postgres"]),
		NATSSeconds:     round3(byName["nats-server"]),
	}
	mc.OtherSeconds = round3(max(0, mc.BusySeconds-server-bench-mc.PostgresSeconds-mc.NATSSeconds))
	return mc
}
