package sqlstore

import (
	"context"
	"database/sql"
	"strings"
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

// ExplainLiveVisitors is the plan the backend makes for reading a list of live visitors.
func (s *Store) ExplainLiveVisitors(ctx context.Context, ids []string) (string, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.read.QueryContext(ctx, "EXPLAIN "+s.rebind(liveVisitorsQuery(placeholders(len(ids)))), args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		plan.WriteString(line + "\n")
	}
	return plan.String(), rows.Err()
}

// Exec runs a statement on the write connection, for a test to shape the database.
func (s *Store) Exec(ctx context.Context, query string) error {
	_, err := s.write.ExecContext(ctx, query)
	return err
}
