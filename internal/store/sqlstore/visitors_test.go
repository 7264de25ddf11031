package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/portico/portico/internal/store/sqlstore"
	"github.com/portico/portico/internal/testutil"
)

// Linking visitors finds the ones linked before through an index, although no index over every
// visitor holds merged_into (each new visitor would take an entry in it).
func TestLinkingVisitorsReadsAnIndex(t *testing.T) {
	dir := t.TempDir()
	testutil.OpenSQLiteAt(t, dir)
	db := testutil.OpenSQLiteFile(t, dir)
	for _, q := range sqlstore.LinkVisitorStatements {
		rows, err := db.Query(`EXPLAIN QUERY PLAN `+q, "into", "from")
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if got := strings.Join(plan, "; "); !strings.Contains(got, "SEARCH visitors USING") {
			t.Errorf("%s\nplan: %s, want a search through an index", q, got)
		}
	}
	testutil.CheckNoIndexHolds(t, db, `SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visitors'
		AND sql IS NOT NULL AND sql NOT LIKE '%WHERE%'`, []string{"merged_into"})
}
