package sqlstore

import (
	"context"
	"database/sql"
)

// IndexWaitingMessages lets the tests index a chunk of the waiting messages themselves.
func (s *Store) IndexWaitingMessages(ctx context.Context, limit int) (int, error) {
	return s.indexWaitingMessages(ctx, limit)
}

// HoldWriteConnection keeps the write connection in a transaction until release is called.
func (s *Store) HoldWriteConnection() (release func() error) {
	held, done, ended := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		ended <- s.inTx(context.Background(), func(*sql.Tx) error {
			close(held)
			<-done
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-ended:
		return func() error { return err }
	}
	return func() error {
		close(done)
		return <-ended
	}
}

// LinkVisitorStatements are the statements of LinkVisitor, for a test to read their plans.
var LinkVisitorStatements = linkVisitorStatements
