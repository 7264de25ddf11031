package bench

import (
	"regexp"
	"runtime"
	"testing"
)

// The first processor's block gives the model, family and model, and the flags whether the TLB
// is tagged; a flags line longer than bufio's default token is read whole.
func TestParseCPUInfo(t *testing.T) {
	long := "fpu vme de pse tsc msr pae mce cx8 apic sep pge"
	for len(long) < 70_000 {
		long += " avx512f avx512dq adx"
	}
	cpuinfo := "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n" +
		"flags\t\t: " + long + " sha_ni\n\nprocessor\t: 1\nmodel name\t: Other\nflags\t\t: pcid\n"
	processor, pcid := parseCPUInfo([]byte(cpuinfo))
	if processor != "AMD EPYC, family 26 model 2" || pcid {
		t.Fatalf("got %q, pcid %v; want AMD EPYC, family 26 model 2 without PCID (the second block's flags are not the first's)", processor, pcid)
	}
	processor, pcid = parseCPUInfo([]byte("processor\t: 0\nmodel name\t: Intel Xeon\ncpu family\t: 6\nmodel\t\t: 85\nflags\t\t: fpu pcid sse\n"))
	if processor != "Intel Xeon, family 6 model 85" || !pcid {
		t.Fatalf("got %q, pcid %v; want Intel Xeon, family 6 model 85 with PCID", processor, pcid)
	}
}

// The host's description is measured, not left empty, and reaches the table and the JSON.
func TestReportDescribesTheHost(t *testing.T) {
	h := describeHost()
	if h.ComputeNanoseconds <= 0 {
		t.Fatalf("compute steps not timed: %+v", h)
	}
	if runtime.GOOS == "linux" && (h.SyscallNanoseconds <= 0 || h.Processor == "") {
		t.Fatalf("on Linux the system call is timed and the processor read: %+v", h)
	}
	rep := &Report{Machine: Machine{CPUs: 2, Host: Host{Processor: "AMD EPYC, family 26 model 2", Meltdown: "Mitigation: PTI",
		SyscallNanoseconds: 951.5, ComputeNanoseconds: 1690}}}
	var back struct {
		Machine struct {
			Host Host `json:"host"`
		} `json:"machine"`
	}
	table := written(t, rep, &back)
	if !regexp.MustCompile(`machine\s+processor; Meltdown mitigation, PCID\s+AMD EPYC, family 26 model 2; Mitigation: PTI, no`).Match(table) {
		t.Errorf("table has no processor row:\n%s", table)
	}
	if !regexp.MustCompile(`machine\s+an empty system call / 1,000 compute steps\s+951\.5 / 1690 ns`).Match(table) {
		t.Errorf("table has no system call row:\n%s", table)
	}
	if back.Machine.Host != rep.Machine.Host {
		t.Errorf("JSON host = %+v, want %+v", back.Machine.Host, rep.Machine.Host)
	}
}
