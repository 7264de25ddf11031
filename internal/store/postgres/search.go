package postgres

import "strings"

// TextSearch uses the GIN index on to_tsvector('simple', body) of 0004_collaboration.sql; the
// expression must stay the same as the index's for the planner to use it.
func (dialect) TextSearch(words []string) (string, any) {
	return `SELECT conversation_id, seq FROM messages WHERE to_tsvector('simple', body) @@ plainto_tsquery('simple', ?)`,
		strings.Join(words, " ")
}
