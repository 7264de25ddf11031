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
