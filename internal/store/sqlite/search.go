package sqlite

import "strings"

// TextSearch matches through the FTS5 index of 0004_collaboration.sql. Each word is quoted, so
// nothing the user typed is read as FTS5 syntax; words side by side must all match.
func (dialect) TextSearch(words []string) (string, any) {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
	}
	return `SELECT conversation_id, seq FROM messages_fts WHERE messages_fts MATCH ?`, strings.Join(quoted, " ")
}

// IndexWaiting indexes the messages past the watermark of 0011, in rowid order, at most as many
// as its argument says (-1: no limit), and moves the watermark past them; both statements pick
// the same first ones in one transaction. A trigger that wrote the FTS5 index itself, as 0004's
// did, costs far more: each commit then wrote a segment of its own, which FTS5 must merge later,
// and within a group commit FTS5 wrote its pending terms out at the start of every later
// statement.
func (dialect) IndexWaiting() []string {
	const next = `SELECT rowid FROM messages WHERE rowid > (SELECT last_rowid FROM messages_fts_indexed) ORDER BY rowid LIMIT ?1`
	return []string{
		`INSERT INTO messages_fts (body, conversation_id, seq)
			SELECT m.body, m.conversation_id, m.seq FROM (` + next + `) w JOIN messages m ON m.rowid = w.rowid`,
		`UPDATE messages_fts_indexed SET last_rowid = COALESCE((SELECT MAX(rowid) FROM (` + next + `)), last_rowid)`,
	}
}
