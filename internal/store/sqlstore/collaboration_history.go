package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

func (s *Store) SearchHistory(ctx context.Context, f store.HistoryFilter) ([]store.HistoryHit, error) {
	if len(f.AccountIDs) == 0 && f.AdvertisersOf == "" {
		return nil, errors.New("search history: no account given")
	}
	if len(f.Words) > 0 {
		if _, err := s.indexWaitingMessages(ctx, allWaiting); err != nil {
			return nil, fmt.Errorf("search history: index new messages: %w", err)
		}
	}
	var args []any
	where := []string{"c.status = 'closed'", accountsWhere("c.account_id", f.AccountIDs, f.AdvertisersOf, &args)}
	tookPart := `EXISTS (SELECT 1 FROM conversation_participants p WHERE p.conversation_id = c.id AND p.operator_id = ?)`
	if f.TookPartIn != "" {
		where = append(where, tookPart)
		args = append(args, f.TookPartIn)
	}
	if f.OperatorID != "" {
		where = append(where, tookPart)
		args = append(args, f.OperatorID)
	}
	if f.CategoryID != "" {
		where = append(where, "c.category_id = ?")
		args = append(args, f.CategoryID)
	}
	if f.VisitorID != "" {
		where = append(where, "c.visitor_id = ?")
		args = append(args, f.VisitorID)
	}
	if !f.From.IsZero() {
		where = append(where, "c.created_at >= ?")
		args = append(args, ms(f.From))
	}
	if !f.To.IsZero() {
		where = append(where, "c.created_at <= ?")
		args = append(args, ms(f.To))
	}
	if len(f.Words) > 0 {
		q, arg := s.dialect.TextSearch(f.Words)
		where = append(where, "c.id IN (SELECT t.conversation_id FROM ("+q+") t)")
		args = append(args, arg)
	}
	if f.After != nil {
		where = append(where, "(c.created_at < ? OR (c.created_at = ? AND c.id < ?))")
		at := ms(f.After.CreatedAt)
		args = append(args, at, at, f.After.ID)
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	args = append(args, limit)
	list, err := s.conversations(ctx, s.read, conversationSelect+` WHERE `+strings.Join(where, " AND ")+` ORDER BY c.created_at DESC, c.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	matches, err := s.historyMatches(ctx, list, f.Words)
	if err != nil {
		return nil, err
	}
	hits := make([]store.HistoryHit, len(list))
	for i, c := range list {
		hits[i] = store.HistoryHit{Conversation: c, Match: matches[c.ID]}
	}
	return hits, nil
}

// historyMatches finds, for each conversation, the body to cut a snippet from: the first
// matching message (a visitor's or an operator's before a system message), or with no words
// the first message.
func (s *Store) historyMatches(ctx context.Context, list []domain.Conversation, words []string) (map[string]string, error) {
	out := map[string]string{}
	if len(list) == 0 {
		return out, nil
	}
	ids := make([]any, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	var query string
	var args []any
	if len(words) > 0 {
		q, arg := s.dialect.TextSearch(words)
		query = `SELECT t.conversation_id, m.body FROM (` + q + `) t
			JOIN messages m ON m.conversation_id = t.conversation_id AND m.seq = t.seq
			WHERE t.conversation_id IN (` + placeholders(len(ids)) + `)
			ORDER BY t.conversation_id, CASE WHEN m.author_type = 'system' THEN 1 ELSE 0 END, t.seq`
		args = append([]any{arg}, ids...)
	} else {
		query = `SELECT conversation_id, body FROM messages WHERE seq = 1 AND conversation_id IN (` + placeholders(len(ids)) + `)`
		args = ids
	}
	rows, err := s.query(ctx, s.read, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, body string
		if err := rows.Scan(&id, &body); err != nil {
			return nil, err
		}
		if _, seen := out[id]; !seen {
			out[id] = body
		}
	}
	return out, rows.Err()
}
