//go:build !linux

package sqlite

// startWriteback: only Linux can start writeback of a file without waiting for it.
var startWriteback = func(string) error { return errWritebackUnsupported }
