package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// A write or read made of Steps needs no answer from one statement to send the next: what a
// statement depends on (the seq a message takes, the visit a page view joins) is read by the SQL
// itself. A backend across the network (PostgreSQL) then sends every statement of a group commit
// at once and waits for one answer, instead of a round trip per statement; SQLite, in process,
// runs them one after the other.

// Step is one statement of a pipeline.
type Step struct {
	Query string // with ? placeholders
	Args  []any
	// Scan, when set, is called with each row the statement returns. It only copies values: a
	// pipeline's statements have all run on the server by the time it is called.
	Scan func(scan func(dest ...any) error) error
	// Reset, when set, is called before the statement's rows are scanned, each time it runs: a
	// group commit that rolled back runs its writes again.
	Reset func()
	// Rows is set to the number of rows the statement returned (Scan set) or changed.
	Rows int64
}

// Pipeliner is implemented by a Dialect that can send many statements in one round trip.
type Pipeliner interface {
	// Pipeline runs the steps in order in one transaction on a connection of db, and commits.
	// Their queries are already rebound. An error the server raised rolled everything back and
	// is wrapped with ErrRolledBack; any other error leaves the outcome unknown.
	Pipeline(ctx context.Context, db *sql.DB, steps []Step) error
}

// ErrRolledBack marks a pipeline's failure that committed nothing.
var ErrRolledBack = errors.New("rolled back")

// readSteps runs read-only steps: in one round trip where the dialect can.
func (s *Store) readSteps(ctx context.Context, steps []Step) error {
	return s.readStepsOn(ctx, s.read, steps)
}

// readStepsOn runs read-only steps on db (see byKey).
func (s *Store) readStepsOn(ctx context.Context, db *sql.DB, steps []Step) error {
	if p, ok := s.dialect.(Pipeliner); ok {
		defer s.timed("read", db)()
		return p.Pipeline(ctx, db, s.rebound(steps))
	}
	return s.runSteps(ctx, db, steps)
}

// rebound returns the steps with the backend's placeholders.
func (s *Store) rebound(steps []Step) []Step {
	for i := range steps {
		steps[i].Query = s.rebind(steps[i].Query)
	}
	return steps
}

// runSteps runs the steps one after the other on q (a connection pool or a transaction).
func (s *Store) runSteps(ctx context.Context, q querier, steps []Step) error {
	for i := range steps {
		st := &steps[i]
		st.Rows = 0
		if st.Scan == nil {
			res, err := s.exec(ctx, q, st.Query, st.Args...)
			if err != nil {
				return err
			}
			if st.Rows, err = res.RowsAffected(); err != nil {
				return err
			}
			continue
		}
		if err := s.scanStep(ctx, q, st); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) scanStep(ctx context.Context, q querier, st *Step) error {
	rows, err := s.query(ctx, q, st.Query, st.Args...)
	if err != nil {
		return err
	}
	if st.Reset != nil {
		st.Reset()
	}
	defer rows.Close()
	for rows.Next() {
		st.Rows++
		if err := st.Scan(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
