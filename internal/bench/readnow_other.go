//go:build !linux

package bench

import "errors"

// readNow is never called here: the bench's poller exists on Linux only.
func readNow(fd uintptr, p []byte) (int, error) { return 0, errors.ErrUnsupported }
