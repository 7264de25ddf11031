// Package routing sends chats to the right operators: an account's rules map page URL patterns
// to operators, and a chat started on a matching page goes to those operators only.
package routing

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
)

// Limits on rules (docs/api.md).
const (
	MaxPatternChars     = 500
	MaxOperatorsPerRule = 100
	MaxRulesPerAccount  = 200
	maxOperatorIDChars  = 64
)

// Store is the part of the store this package needs.
type Store interface {
	ListOperators(ctx context.Context, accountID string) ([]domain.Operator, error)
	PagesOfLatestVisit(ctx context.Context, visitorID string, limit int) ([]domain.PageView, error)
	CreateRoutingRule(ctx context.Context, r *domain.RoutingRule) error
	UpdateRoutingRule(ctx context.Context, r *domain.RoutingRule) error
	DeleteRoutingRule(ctx context.Context, id string) error
	RoutingRuleByID(ctx context.Context, id string) (*domain.RoutingRule, error)
	ListRoutingRules(ctx context.Context, accountID string) ([]domain.RoutingRule, error)
}

type Service struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
}

func NewService(s Store, log *slog.Logger) *Service {
	return &Service{store: s, log: log, now: time.Now}
}

// Route returns the operators of the first of the account's rules that matches the page the
// visitor is on, or none when no rule matches (everyone may take the chat). A rule whose
// operators have all been deleted is skipped.
func (s *Service) Route(ctx context.Context, accountID, visitorID string) ([]string, error) {
	rules, err := s.store.ListRoutingRules(ctx, accountID)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	pages, err := s.store.PagesOfLatestVisit(ctx, visitorID, 1)
	if err != nil || len(pages) == 0 {
		return nil, err
	}
	for _, r := range rules {
		if len(r.OperatorIDs) > 0 && Match(r.Pattern, pages[0].URL) {
			return r.OperatorIDs, nil
		}
	}
	return nil, nil
}

func requireAdmin(op *domain.Operator) error {
	if op.Role != domain.RoleAdmin {
		return errors.Join(domain.ErrForbidden, errors.New("only an admin may manage routing rules"))
	}
	return nil
}

// List returns the admin's account's rules in the order they are tried.
func (s *Service) List(ctx context.Context, admin *domain.Operator) ([]domain.RoutingRule, error) {
	if err := requireAdmin(admin); err != nil {
		return nil, err
	}
	return s.store.ListRoutingRules(ctx, admin.AccountID)
}

// Create adds a rule after the account's others.
func (s *Service) Create(ctx context.Context, admin *domain.Operator, pattern string, operatorIDs []string) (*domain.RoutingRule, error) {
	if err := requireAdmin(admin); err != nil {
		return nil, err
	}
	r := &domain.RoutingRule{ID: domain.NewID(), AccountID: admin.AccountID, CreatedAt: s.now().UTC()}
	var err error
	if r.Pattern, err = cleanPattern(pattern); err != nil {
		return nil, err
	}
	if r.OperatorIDs, err = s.checkOperators(ctx, admin.AccountID, operatorIDs); err != nil {
		return nil, err
	}
	existing, err := s.store.ListRoutingRules(ctx, admin.AccountID)
	if err != nil {
		return nil, err
	}
	if len(existing) >= MaxRulesPerAccount {
		return nil, domain.Invalid("too_many", "pattern", "an account may have at most %d routing rules", MaxRulesPerAccount)
	}
	if err := s.store.CreateRoutingRule(ctx, r); err != nil {
		return nil, err
	}
	s.log.Info("routing rule added", "rule_id", r.ID, "account_id", r.AccountID, "by", admin.ID)
	return r, nil
}

// Update changes a rule's pattern or operators; nil leaves them as they are.
func (s *Service) Update(ctx context.Context, admin *domain.Operator, id string, pattern *string, operatorIDs *[]string) (*domain.RoutingRule, error) {
	r, err := s.rule(ctx, admin, id)
	if err != nil {
		return nil, err
	}
	if pattern != nil {
		if r.Pattern, err = cleanPattern(*pattern); err != nil {
			return nil, err
		}
	}
	if operatorIDs != nil {
		if r.OperatorIDs, err = s.checkOperators(ctx, admin.AccountID, *operatorIDs); err != nil {
			return nil, err
		}
	}
	if err := s.store.UpdateRoutingRule(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// Delete removes a rule.
func (s *Service) Delete(ctx context.Context, admin *domain.Operator, id string) error {
	r, err := s.rule(ctx, admin, id)
	if err != nil {
		return err
	}
	return s.store.DeleteRoutingRule(ctx, r.ID)
}

// rule finds a rule of the admin's account; another account's is not found.
func (s *Service) rule(ctx context.Context, admin *domain.Operator, id string) (*domain.RoutingRule, error) {
	if err := requireAdmin(admin); err != nil {
		return nil, err
	}
	r, err := s.store.RoutingRuleByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.AccountID != admin.AccountID {
		return nil, domain.ErrNotFound
	}
	return r, nil
}

func cleanPattern(pattern string) (string, error) {
	pattern = strings.TrimSpace(pattern)
	if pattern == "" || utf8.RuneCountInString(pattern) > MaxPatternChars || strings.ContainsAny(pattern, " \t\r\n") || !utf8.ValidString(pattern) {
		return "", domain.Invalid("invalid_field", "pattern", "the pattern is a URL or a path of at most %d characters without spaces, with * as a wildcard", MaxPatternChars)
	}
	return pattern, nil
}

// checkOperators accepts a list of distinct operators of the account, in the order given.
func (s *Service) checkOperators(ctx context.Context, accountID string, ids []string) ([]string, error) {
	if len(ids) == 0 || len(ids) > MaxOperatorsPerRule {
		return nil, domain.Invalid("invalid_field", "operator_ids", "a rule routes to 1 to %d operators", MaxOperatorsPerRule)
	}
	ops, err := s.store.ListOperators(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		known := len(id) <= maxOperatorIDChars && slices.ContainsFunc(ops, func(o domain.Operator) bool { return o.ID == id })
		if !known {
			return nil, domain.Invalid("unknown_operator", "operator_ids", "%q is not an operator of this account", id)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}
