package bench

import (
	"syscall"
	"unsafe"
)

// readNow is read(2) on the bench's non-blocking socket, without the scheduler's bookkeeping
// around a system call that may block: it cannot.
func readNow(fd uintptr, p []byte) (int, error) {
	for {
		r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return 0, e
		}
		return int(r), nil
	}
}
