package sqlite

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts writing out the file's dirty pages and returns at once
// (sync_file_range with SYNC_FILE_RANGE_WRITE): it makes nothing durable, the checkpoint's fsync
// still does, but that fsync then finds little left to write. A variable, so that a test can see
// the calls.
var startWriteback = func(f *os.File) error {
	err := unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ESPIPE) {
		return errWritebackUnsupported
	}
	return err
}
