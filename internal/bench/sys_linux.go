package bench

import (
	"syscall"
	"time"
	"unsafe"
)

// RaiseFileLimit lifts the soft limit on open files to the hard limit. Calling Setrlimit
// ourselves also makes child processes inherit the raised limit (Go restores the original
// one in children only when the program never set it).
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}

// childAttr makes a started node die with the bench, even if the bench itself is killed.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// clockMonotonic reads CLOCK_MONOTONIC, the clock Go's monotonic readings come from. It is
// the same for every process on the machine, so the bench and its workers can compare times.
func clockMonotonic() int64 {
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, 1 /* CLOCK_MONOTONIC */, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// emptySyscall times a system call that does no work (getppid), the mean of 2,000, raw so that
// the scheduler's bookkeeping around a call is not in it.
func emptySyscall() time.Duration {
	const calls = 2000
	start := time.Now()
	for range calls {
		syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
	}
	return time.Since(start) / calls
}
