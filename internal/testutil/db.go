package testutil

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/postgres"
	"github.com/portico/portico/internal/store/sqlite"
)

// Backend opens a fresh, migrated store of one kind for a test.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
	// URL returns a database URL for a fresh database (PostgreSQL only), for tests that start
	// several nodes on one database.
	URL func(t testing.TB) string
}

// Backends lists SQLite and PostgreSQL. Use it to run one test against both.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", Open: OpenSQLite},
		{Name: "postgres", Open: OpenPostgres, URL: PostgresURL},
	}
}

func OpenSQLite(t testing.TB) store.Store {
	t.Helper()
	return OpenSQLiteAt(t, t.TempDir())
}

// OpenSQLiteAt opens the store in dir, so a test can reopen the same data after a "restart".
func OpenSQLiteAt(t testing.TB, dir string) store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func OpenPostgres(t testing.TB) store.Store {
	t.Helper()
	return OpenPostgresAt(t, PostgresURL(t))
}

// OpenPostgresAt opens and migrates the database at url: several nodes of one test share it.
func OpenPostgresAt(t testing.TB, url string) store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, url, config.DefaultDatabasePool())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresURL creates an empty database on the test server and returns its URL; the database
// is dropped when the test ends.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := Need(t, "PORTICO_TEST_DATABASE_URL", "a PostgreSQL server")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := "t_" + strings.ToLower(domain.NewSecret(10))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustExec is for test set-up that goes around the store, e.g. to fake a newer schema.
func MustExec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatal(fmt.Errorf("%s: %w", query, err))
	}
}

// SeededChat is a website account, one of its visitors and conversations started by it, written
// straight to a store.
type SeededChat struct {
	Account       *domain.Account
	Visitor       *domain.Visitor
	Conversations []*domain.Conversation
}

// SeedChats stores an account, a visitor and n conversations of that visitor, each with a first
// message "hello".
func SeedChats(t testing.TB, s store.Store, n int) SeededChat {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	a := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Acme", Key: "k_" + domain.NewSecret(8), CreatedAt: now}
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	v := &domain.Visitor{ID: domain.NewID(), AccountID: a.ID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
	if err := s.CreateVisitor(ctx, v); err != nil {
		t.Fatal(err)
	}
	seeded := SeededChat{Account: a, Visitor: v}
	for i := range n {
		c := &domain.Conversation{ID: domain.NewID(), AccountID: a.ID, VisitorID: v.ID, CreatedAt: now}
		first := &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID}, Body: "hello",
			ClientMsgID: fmt.Sprint("start-", i), CreatedAt: now}
		if err := s.CreateConversation(ctx, c, first); err != nil {
			t.Fatal(err)
		}
		seeded.Conversations = append(seeded.Conversations, c)
	}
	return seeded
}

// PageViewColumns are the columns of visitors and visits that every page view changes.
var PageViewColumns = []string{"last_seen_at", "last_at", "page_count", "page_url", "page_title", "page_since", "page_account_id"}

// CheckNoIndexHolds fails the test when an index definition listed by query (rows of table
// name and definition) names one of the columns, or when the query lists none.
func CheckNoIndexHolds(t testing.TB, db *sql.DB, query string, columns []string) {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var table, def string
		if err := rows.Scan(&table, &def); err != nil {
			t.Fatal(err)
		}
		seen++
		for _, col := range columns {
			if strings.Contains(def, col) {
				t.Errorf("%s: %s holds %s", table, def, col)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("the query listed no index")
	}
}

// OpenSQLiteFile opens a connection of the test's own to the SQLite database in dir, beside the
// store that uses it, for what the store's interface does not show; it is closed with the test.
func OpenSQLiteFile(t testing.TB, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "portico.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Count runs a query that selects one number and returns it.
func Count(t testing.TB, db *sql.DB, query string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// SQLiteMessagesNotIndexed counts, in an SQLite database, the messages the search index has not
// taken yet.
const SQLiteMessagesNotIndexed = `SELECT COUNT(*) FROM messages WHERE rowid > (SELECT last_rowid FROM messages_fts_indexed)`
