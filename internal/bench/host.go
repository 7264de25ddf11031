package bench

import (
	"bufio"
	"bytes"
	"os"
	"slices"
	"strings"
	"time"
)

// Host is what the machine under the bench is: the same command's figures move by half from
// one day to the next as the virtual machine lands on other hosts, and these tell such a host
// apart from a change in Portico.
type Host struct {
	// Processor is the CPU's model name, family and model, from /proc/cpuinfo.
	Processor string `json:"processor,omitempty"`
	// Meltdown is the kernel's mitigation for Meltdown, as
	// /sys/devices/system/cpu/vulnerabilities/meltdown says it ("Mitigation: PTI": page-table
	// isolation, which switches page tables on every entry to the kernel), and PCID whether the
	// CPU tags the TLB by address space: without it, each of those switches empties the TLB.
	Meltdown string `json:"meltdown,omitempty"`
	PCID     bool   `json:"pcid"`
	// SyscallNanoseconds is how long a system call that does no work (getppid) takes, and
	// ComputeNanoseconds how long 1,000 steps of a dependent integer loop take: each the median of
	// rounds timed before the run. Most of a message's CPU is spent going in and out of the
	// kernel (sockets, futexes, epoll), so a host where the first is high is slow for Portico
	// even when the second says its cores are fast.
	SyscallNanoseconds float64 `json:"syscall_ns"`
	ComputeNanoseconds float64 `json:"compute_ns"`
}

// describeHost reads the processor and times a system call and a loop of arithmetic.
func describeHost() Host {
	var h Host
	if cpuinfo, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		h.Processor, h.PCID = parseCPUInfo(cpuinfo)
	}
	if b, err := os.ReadFile("/sys/devices/system/cpu/vulnerabilities/meltdown"); err == nil {
		h.Meltdown = strings.TrimSpace(string(b))
	}
	h.SyscallNanoseconds = float64(medianOf(21, emptySyscall).Nanoseconds())
	h.ComputeNanoseconds = float64(medianOf(21, computeSteps).Nanoseconds())
	return h
}

// parseCPUInfo reads the first processor's model name, family and model, and whether its flags
// include pcid.
func parseCPUInfo(cpuinfo []byte) (processor string, pcid bool) {
	fields := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(cpuinfo))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20) // the flags line runs past bufio's default
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break // the first processor's block ends
		}
		key, value, ok := strings.Cut(line, ":")
		if ok {
			fields[strings.TrimSpace(key)] = strings.TrimSpace(value)
		}
	}
	processor = fields["model name"]
	if processor == "" {
		processor = fields["Hardware"] // some ARM kernels
	}
	if fields["cpu family"] != "" {
		processor += ", family " + fields["cpu family"] + " model " + fields["model"]
	}
	return processor, slices.Contains(strings.Fields(fields["flags"]), "pcid")
}

// medianOf is the median of rounds runs of measure.
func medianOf(rounds int, measure func() time.Duration) time.Duration {
	d := make([]time.Duration, rounds)
	for i := range d {
		d[i] = measure()
	}
	slices.Sort(d)
	return d[rounds/2]
}

// computeSink keeps the compiler from dropping the loop.
var computeSink uint64

// computeSteps times 1,000 steps of a loop whose every step needs the one before (a
// multiplication, an addition, a shift and an exclusive or), the mean of 256,000.
func computeSteps() time.Duration {
	const steps = 256_000
	x := uint64(time.Now().UnixNano())
	start := time.Now()
	for range steps {
		x = x*6364136223846793005 + 1442695040888963407
		x ^= x >> 17
	}
	elapsed := time.Since(start)
	computeSink += x
	return elapsed * 1000 / steps
}
