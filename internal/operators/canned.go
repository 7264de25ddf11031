package operators

import (
	"context"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
)

// Limits on canned responses (docs/api.md).
const (
	MaxCannedBodyChars  = 5000
	MaxCannedTitleChars = 100
	MaxCannedPerScope   = 500
)

var shortcutPattern = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// ListCanned returns the operator's own canned responses, then the account's.
func (s *Service) ListCanned(ctx context.Context, op *domain.Operator) ([]domain.CannedResponse, error) {
	return s.store.ListCannedResponses(ctx, op.AccountID, op.ID)
}

// CannedInput is a canned response as typed; nil fields stay as they are on an update.
type CannedInput struct {
	Scope                 domain.CannedScope
	Shortcut, Title, Body *string
}

// CreateCanned adds a personal response, or for an admin an account-wide one.
func (s *Service) CreateCanned(ctx context.Context, op *domain.Operator, in CannedInput) (*domain.CannedResponse, error) {
	if in.Scope == "" {
		in.Scope = domain.CannedPersonal
	}
	if !in.Scope.Valid() {
		return nil, domain.Invalid("invalid_field", "scope", "scope must be account or personal")
	}
	if in.Scope == domain.CannedAccount {
		if err := requireAdmin(op, "manage the account's canned responses"); err != nil {
			return nil, err
		}
	}
	if in.Shortcut == nil {
		return nil, domain.Invalid("invalid_field", "shortcut", "the shortcut is required")
	}
	if in.Body == nil {
		return nil, domain.Invalid("invalid_field", "body", "the body is required")
	}
	now := s.now().UTC()
	c := &domain.CannedResponse{ID: domain.NewID(), AccountID: op.AccountID, Scope: in.Scope, CreatedAt: now, UpdatedAt: now}
	if in.Scope == domain.CannedPersonal {
		c.OperatorID = op.ID
	}
	if err := applyCanned(c, in); err != nil {
		return nil, err
	}
	existing, err := s.store.ListCannedResponses(ctx, op.AccountID, op.ID)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, e := range existing {
		if e.Scope == c.Scope {
			n++
		}
	}
	if n >= MaxCannedPerScope {
		return nil, domain.Invalid("too_many", "scope", "there are already %d %s canned responses", n, c.Scope)
	}
	if err := s.store.CreateCannedResponse(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// UpdateCanned changes a response the operator may manage.
func (s *Service) UpdateCanned(ctx context.Context, op *domain.Operator, id string, in CannedInput) (*domain.CannedResponse, error) {
	c, err := s.managedCanned(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if in.Scope != "" && in.Scope != c.Scope {
		return nil, domain.Invalid("invalid_field", "scope", "the scope of a canned response cannot change")
	}
	if err := applyCanned(c, in); err != nil {
		return nil, err
	}
	c.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateCannedResponse(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// DeleteCanned removes a response the operator may manage.
func (s *Service) DeleteCanned(ctx context.Context, op *domain.Operator, id string) error {
	c, err := s.managedCanned(ctx, op, id)
	if err != nil {
		return err
	}
	return s.store.DeleteCannedResponse(ctx, c.ID)
}

// managedCanned finds a response the operator may change: their own, or for an admin the
// account's. Another operator's personal response is not found, like another account's.
func (s *Service) managedCanned(ctx context.Context, op *domain.Operator, id string) (*domain.CannedResponse, error) {
	c, err := s.store.CannedResponseByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.AccountID != op.AccountID || (c.Scope == domain.CannedPersonal && c.OperatorID != op.ID) {
		return nil, domain.ErrNotFound
	}
	if c.Scope == domain.CannedAccount {
		if err := requireAdmin(op, "manage the account's canned responses"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func applyCanned(c *domain.CannedResponse, in CannedInput) error {
	if in.Shortcut != nil {
		shortcut := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*in.Shortcut), "/"))
		if !shortcutPattern.MatchString(shortcut) {
			return domain.Invalid("invalid_field", "shortcut", "a shortcut is 1 to 32 letters, digits, - or _")
		}
		c.Shortcut = shortcut
	}
	if in.Title != nil {
		title := strings.TrimSpace(*in.Title)
		if utf8.RuneCountInString(title) > MaxCannedTitleChars || hasControl(title) {
			return domain.Invalid("invalid_field", "title", "the title must be at most %d characters of text", MaxCannedTitleChars)
		}
		c.Title = title
	}
	if in.Body != nil {
		body := strings.TrimSpace(*in.Body)
		if !utf8.ValidString(body) {
			return domain.Invalid("invalid_field", "body", "the body is not valid UTF-8")
		}
		if body == "" {
			return domain.Invalid("invalid_field", "body", "the body is empty")
		}
		if n := utf8.RuneCountInString(body); n > MaxCannedBodyChars {
			return domain.Invalid("message_too_long", "body", "the body has %d characters; the limit is %d", n, MaxCannedBodyChars)
		}
		c.Body = body
	}
	return nil
}
