//go:build !linux

package bench

import (
	"syscall"
	"time"
)

// RaiseFileLimit is a no-op outside Linux; the bench then runs with the limit it was given.
func RaiseFileLimit() (uint64, error) { return 0, nil }

func childAttr() *syscall.SysProcAttr { return nil }

// clockMonotonic falls back to the wall clock, which every process on the machine shares too.
func clockMonotonic() int64 { return time.Now().UnixNano() }

// emptySyscall is not timed outside Linux: the report leaves the system call out.
func emptySyscall() time.Duration { return 0 }
