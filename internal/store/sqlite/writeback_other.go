//go:build !linux

package sqlite

import "os"

// startWriteback: only Linux can start writeback of a file without waiting for it.
var startWriteback = func(*os.File) error { return errWritebackUnsupported }
