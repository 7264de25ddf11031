package sqlite

import "os"

// OpenWithCheckpoints opens the store with the checkpointer's period and restart size set by
// the test.
var OpenWithCheckpoints = open

// WatchWriteback has every start of writeback reported to seen, with its outcome, until the
// returned function restores the real one alone.
func WatchWriteback(seen func(path string, err error)) (restore func()) {
	return watchCalls(&startWriteback, seen)
}

// WatchSyncs has every fsync the checkpointer makes ahead of a restart reported to seen, until
// the returned function restores the real one alone.
func WatchSyncs(seen func(path string, err error)) (restore func()) {
	return watchCalls(&syncFile, seen)
}

func watchCalls(fn *func(*os.File) error, seen func(path string, err error)) (restore func()) {
	real := *fn
	*fn = func(f *os.File) error {
		err := real(f)
		seen(f.Name(), err)
		return err
	}
	return func() { *fn = real }
}

// Migrations are the schema's migration files, for a test to build an older schema.
var Migrations = dialect{}.Migrations
