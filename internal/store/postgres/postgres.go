// Package postgres is Portico's store for installations that outgrow one machine: PostgreSQL
// through pgx, shared by every node.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/portico/portico/internal/rawsock"
	"github.com/portico/portico/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

type dialect struct{}

func (dialect) Name() string { return "postgres" }

// Rebind numbers the placeholders: `?` becomes $1, $2, …. Portico's SQL has no `?` in literals.
func (dialect) Rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LockClause takes the lock an UPDATE that changes no key takes: it waits for such updates and
// for other holders of it, and lets foreign-key checks of rows that refer to the row through.
func (dialect) LockClause() string { return "FOR NO KEY UPDATE" }

func (dialect) IsUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (dialect) Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Pipeline sends the steps as one batch: every statement, then a single Sync, so the server
// runs them in one implicit transaction and the whole batch costs one round trip.
func (dialect) Pipeline(ctx context.Context, db *sql.DB, steps []sqlstore.Step) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("pipeline: unexpected driver connection %T", driverConn)
		}
		b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, len(steps))}
		for _, st := range steps {
			b.Queue(st.Query, st.Args...)
		}
		br := c.Conn().SendBatch(ctx, b)
		err := readBatch(br, steps)
		return serverError(errors.Join(err, br.Close()))
	})
}

func readBatch(br pgx.BatchResults, steps []sqlstore.Step) error {
	for i := range steps {
		st := &steps[i]
		st.Rows = 0
		if st.Reset != nil {
			st.Reset()
		}
		if st.Scan == nil {
			// Exec reads only the command tag: no rows value to make for a statement whose rows
			// nobody reads (a message's lock and advance, a page view's writes).
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			st.Rows = tag.RowsAffected()
			continue
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			st.Rows++
			if err := st.Scan(rows.Scan); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// serverError marks an error the server raised: the implicit transaction was rolled back.
func serverError(err error) error {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return fmt.Errorf("%w: %w", sqlstore.ErrRolledBack, err)
	}
	return err
}

// Open connects to the database named by url (postgres://user:pass@host/db) with at most pool
// connections, which the reads and the group writer share.
func Open(ctx context.Context, url string, pool int) (*sqlstore.Store, error) {
	if pool < 1 {
		return nil, fmt.Errorf("connect to PostgreSQL: a pool of %d connections", pool)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	// Portico's queries are small; a misestimated one compiled by the JIT took seconds.
	if _, set := cfg.RuntimeParams["jit"]; !set {
		cfg.RuntimeParams["jit"] = "off"
	}
	cfg.DialFunc = rawsock.Dialing(cfg.DialFunc)
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(pool)
	db.SetMaxIdleConns(pool)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	s := sqlstore.New(db, db, dialect{})
	s.BeforeClose(cleanSearchPendingList(s, db))
	return s, nil
}
