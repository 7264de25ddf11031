package visitors

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/routing"
)

// Proactive is the greeting the widget opens with on this page, after AfterSeconds.
type Proactive struct {
	ID           string `json:"id"`
	Greeting     string `json:"greeting"`
	AfterSeconds int    `json:"after_seconds"`
}

// ProactiveRuleInput is a rule as an admin writes it; nil fields are left as they are.
type ProactiveRuleInput struct {
	Pattern      *string
	AfterSeconds *int
	AfterPages   *int
	Greeting     *string
	Enabled      *bool
}

const (
	maxRuleSeconds      = 24 * 60 * 60
	maxRulePages        = 1000
	maxRulePatternChars = 500
)

// ProactiveFor picks the first enabled rule of the account that matches the page, once the
// visit has enough pages. There are no rules until an admin adds one.
func (l *Live) ProactiveFor(ctx context.Context, accountID, pageURL string, pageCount int) (*Proactive, error) {
	rules, err := l.accountRules(ctx, accountID)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if r.Enabled && pageCount >= r.AfterPages && (r.Pattern == "" || routing.Match(r.Pattern, pageURL)) {
			return &Proactive{ID: r.ID, Greeting: r.Greeting, AfterSeconds: r.AfterSeconds}, nil
		}
	}
	return nil, nil
}

func (l *Live) accountRules(ctx context.Context, accountID string) ([]domain.ProactiveRule, error) {
	l.rulesMu.Lock()
	c, ok := l.rules[accountID]
	l.rulesMu.Unlock()
	if ok && l.now().Sub(c.at) < rulesTTL {
		return c.rules, nil
	}
	rules, err := l.store.ListProactiveRules(ctx, accountID)
	if err != nil {
		return nil, err
	}
	l.rulesMu.Lock()
	l.rules[accountID] = cachedRules{rules: rules, at: l.now()}
	l.rulesMu.Unlock()
	return rules, nil
}

func (l *Live) forgetRules(accountID string) {
	l.rulesMu.Lock()
	delete(l.rules, accountID)
	l.rulesMu.Unlock()
}

func (l *Live) ListRules(ctx context.Context, op *domain.Operator) ([]domain.ProactiveRule, error) {
	return l.store.ListProactiveRules(ctx, op.AccountID)
}

func (l *Live) CreateRule(ctx context.Context, admin *domain.Operator, in ProactiveRuleInput) (*domain.ProactiveRule, error) {
	if admin.Role != domain.RoleAdmin {
		return nil, domain.ErrForbidden
	}
	existing, err := l.store.ListProactiveRules(ctx, admin.AccountID)
	if err != nil {
		return nil, err
	}
	if len(existing) >= MaxRules {
		return nil, domain.Invalid("too_many_rules", "", "an account has at most %d proactive rules", MaxRules)
	}
	r := &domain.ProactiveRule{ID: domain.NewID(), AccountID: admin.AccountID, Enabled: true, CreatedAt: l.now().UTC()}
	if in.Greeting == nil {
		return nil, domain.Invalid("invalid_field", "greeting", "a proactive rule needs a greeting")
	}
	if err := applyRule(r, in); err != nil {
		return nil, err
	}
	if err := l.store.CreateProactiveRule(ctx, r); err != nil {
		return nil, err
	}
	l.forgetRules(admin.AccountID)
	return r, nil
}

func (l *Live) UpdateRule(ctx context.Context, admin *domain.Operator, id string, in ProactiveRuleInput) (*domain.ProactiveRule, error) {
	if admin.Role != domain.RoleAdmin {
		return nil, domain.ErrForbidden
	}
	rules, err := l.store.ListProactiveRules(ctx, admin.AccountID)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		if r.ID != id {
			continue
		}
		if err := applyRule(&r, in); err != nil {
			return nil, err
		}
		if err := l.store.UpdateProactiveRule(ctx, &r); err != nil {
			return nil, err
		}
		l.forgetRules(admin.AccountID)
		return &r, nil
	}
	return nil, domain.ErrNotFound
}

func (l *Live) DeleteRule(ctx context.Context, admin *domain.Operator, id string) error {
	if admin.Role != domain.RoleAdmin {
		return domain.ErrForbidden
	}
	if err := l.store.DeleteProactiveRule(ctx, admin.AccountID, id); err != nil {
		return err
	}
	l.forgetRules(admin.AccountID)
	return nil
}

func applyRule(r *domain.ProactiveRule, in ProactiveRuleInput) error {
	if in.Pattern != nil {
		p := strings.TrimSpace(*in.Pattern)
		if utf8.RuneCountInString(p) > maxRulePatternChars || strings.ContainsAny(p, " \t\r\n") {
			return domain.Invalid("invalid_field", "pattern", "the pattern is a URL or a path of at most %d characters without spaces, with * as a wildcard (empty: every page)", maxRulePatternChars)
		}
		r.Pattern = p
	}
	if in.AfterSeconds != nil {
		if *in.AfterSeconds < 0 || *in.AfterSeconds > maxRuleSeconds {
			return domain.Invalid("invalid_field", "after_seconds", "after_seconds is 0 to %d", maxRuleSeconds)
		}
		r.AfterSeconds = *in.AfterSeconds
	}
	if in.AfterPages != nil {
		if *in.AfterPages < 0 || *in.AfterPages > maxRulePages {
			return domain.Invalid("invalid_field", "after_pages", "after_pages is 0 to %d", maxRulePages)
		}
		r.AfterPages = *in.AfterPages
	}
	if in.Greeting != nil {
		g := strings.TrimSpace(*in.Greeting)
		if g == "" || utf8.RuneCountInString(g) > MaxGreetingChars {
			return domain.Invalid("invalid_field", "greeting", "the greeting is 1 to %d characters", MaxGreetingChars)
		}
		r.Greeting = g
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	return nil
}
