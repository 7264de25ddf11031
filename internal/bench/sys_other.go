//go:build !linux

package bench

import "syscall"

// RaiseFileLimit is a no-op outside Linux; the bench then runs with the limit it was given.
func RaiseFileLimit() (uint64, error) { return 0, nil }

func childAttr() *syscall.SysProcAttr { return nil }
