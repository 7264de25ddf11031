// Package history is the chat history: closed conversations found by their text and filtered
// by date, operator, category, visitor and website; transcripts and their export.
package history

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// Limits of a search, documented in docs/api.md.
const (
	MaxQueryChars = 200
	MaxWords      = 10
	DefaultLimit  = 50
	MaxLimit      = 100
	// maxTranscript bounds the messages of one export (a chat of a few hours has hundreds).
	maxTranscript  = 100_000
	transcriptPage = 1000
)

// Store is the part of the store the history needs.
type Store interface {
	SearchHistory(ctx context.Context, f store.HistoryFilter) ([]store.HistoryHit, error)
	ConversationByID(ctx context.Context, id string) (*domain.Conversation, error)
	MessagesAfter(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]domain.Message, error)
	OperatorTookPart(ctx context.Context, conversationID, operatorID string) (bool, error)
}

// Tenants tells which accounts an operator works for (conversations.Service does).
type Tenants interface {
	Tenant(ctx context.Context, op *domain.Operator) (store.Tenant, error)
	Holds(ctx context.Context, t store.Tenant, accountID string) (bool, error)
}

type Service struct {
	store   Store
	tenants Tenants
}

func NewService(s Store, t Tenants) *Service {
	return &Service{store: s, tenants: t}
}

// Query is a search as the caller asked for it; every field may be empty.
type Query struct {
	Text       string
	From, To   string // RFC 3339, or YYYY-MM-DD for a whole day (UTC)
	OperatorID string
	CategoryID string
	VisitorID  string
	AccountID  string
	Limit      string
	Cursor     string
}

// Page is one page of results, newest first; NextCursor continues it ("" at the end).
type Page struct {
	Results    []domain.HistoryResult `json:"results"`
	NextCursor string                 `json:"next_cursor"`
}

// Search finds closed conversations. Agents see only those they took part in; admins their
// account's, and a portal's admins their advertisers' too.
func (s *Service) Search(ctx context.Context, op *domain.Operator, q Query) (*Page, error) {
	f, err := s.filter(ctx, op, q)
	if err != nil {
		return nil, err
	}
	limit := f.Limit
	f.Limit = limit + 1 // one more tells whether there is a next page
	hits, err := s.store.SearchHistory(ctx, f)
	if err != nil {
		return nil, err
	}
	page := &Page{Results: []domain.HistoryResult{}}
	if len(hits) > limit {
		hits = hits[:limit]
		last := hits[limit-1].Conversation
		page.NextCursor = encodeCursor(last.CreatedAt, last.ID)
	}
	for _, h := range hits {
		page.Results = append(page.Results, domain.HistoryResult{Conversation: h.Conversation, Snippet: Snippet(h.Match, f.Words)})
	}
	return page, nil
}

func (s *Service) filter(ctx context.Context, op *domain.Operator, q Query) (store.HistoryFilter, error) {
	var f store.HistoryFilter
	t, err := s.tenants.Tenant(ctx, op)
	if err != nil {
		return f, err
	}
	f.AccountIDs, f.AdvertisersOf = []string{t.AccountID}, t.AdvertisersOf
	if q.AccountID != "" {
		if holds, err := s.tenants.Holds(ctx, t, q.AccountID); err != nil || !holds {
			return f, cmp.Or(err, domain.ErrNotFound)
		}
		f.AccountIDs, f.AdvertisersOf = []string{q.AccountID}, ""
	}
	if op.Role != domain.RoleAdmin {
		f.TookPartIn = op.ID
	}
	for _, p := range []struct {
		name, value string
		into        *string
	}{{"operator_id", q.OperatorID, &f.OperatorID}, {"category_id", q.CategoryID, &f.CategoryID}, {"visitor_id", q.VisitorID, &f.VisitorID}} {
		if len(p.value) > 64 {
			return f, domain.Invalid("invalid_field", p.name, "%s is longer than 64 characters", p.name)
		}
		*p.into = p.value
	}
	if f.Words, err = Words(q.Text); err != nil {
		return f, err
	}
	if q.From != "" {
		if f.From, err = ParseTime(q.From, false); err != nil {
			return f, domain.Invalid("invalid_field", "from", "from must be a date (YYYY-MM-DD) or a time (RFC 3339)")
		}
	}
	if q.To != "" {
		if f.To, err = ParseTime(q.To, true); err != nil {
			return f, domain.Invalid("invalid_field", "to", "to must be a date (YYYY-MM-DD) or a time (RFC 3339)")
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return f, domain.Invalid("invalid_field", "to", "to is before from")
	}
	f.Limit = DefaultLimit
	if q.Limit != "" {
		n, err := strconv.Atoi(q.Limit)
		if err != nil || n < 1 || n > MaxLimit {
			return f, domain.Invalid("invalid_field", "limit", "limit must be a whole number from 1 to %d", MaxLimit)
		}
		f.Limit = n
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return f, domain.Invalid("invalid_field", "cursor", "cursor must be a next_cursor from an earlier answer")
		}
		f.After = c
	}
	return f, nil
}

// Transcript returns a conversation and all its messages, for export. Admins may export their
// account's conversations; agents only those they took part in (the others are not found).
func (s *Service) Transcript(ctx context.Context, op *domain.Operator, id string) (*domain.Conversation, []domain.Message, error) {
	c, err := s.store.ConversationByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	t, err := s.tenants.Tenant(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	if holds, err := s.tenants.Holds(ctx, t, c.AccountID); err != nil || !holds {
		return nil, nil, cmp.Or(err, domain.ErrNotFound)
	}
	if op.Role != domain.RoleAdmin {
		took, err := s.store.OperatorTookPart(ctx, c.ID, op.ID)
		if err != nil {
			return nil, nil, err
		}
		if !took {
			return nil, nil, domain.ErrNotFound
		}
	}
	var all []domain.Message
	var after int64
	for len(all) < maxTranscript {
		page, err := s.store.MessagesAfter(ctx, c.ID, after, transcriptPage)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, page...)
		if len(page) < transcriptPage {
			break
		}
		after = page[len(page)-1].Seq
	}
	if all == nil {
		all = []domain.Message{}
	}
	return c, all, nil
}

// Words splits search text into the words to look for: runs of letters and digits, as both
// databases' full-text indexes split text.
func Words(text string) ([]string, error) {
	if !utf8.ValidString(text) {
		return nil, domain.Invalid("invalid_field", "q", "q is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(text); n > MaxQueryChars {
		return nil, domain.Invalid("invalid_field", "q", "q has %d characters; the limit is %d", n, MaxQueryChars)
	}
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(words) > MaxWords {
		return nil, domain.Invalid("invalid_field", "q", "q has %d words; the limit is %d", len(words), MaxWords)
	}
	return words, nil
}

// ParseTime reads a time as RFC 3339 or a date as YYYY-MM-DD (UTC). A date that ends a range
// means the end of that day.
func ParseTime(v string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, err
	}
	if end {
		return d.Add(24*time.Hour - time.Millisecond), nil
	}
	return d, nil
}

func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMilli(), 10) + "." + id))
}

func decodeCursor(v string) (*store.HistoryCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil, err
	}
	at, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 64 {
		return nil, errors.New("bad cursor")
	}
	return &store.HistoryCursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}, nil
}
