package operators

import (
	"context"
	"time"

	"github.com/portico/portico/internal/domain"
)

// MaxUsageMonths is how far back the usage page goes.
const MaxUsageMonths = 36

// OperatorActive records that the operator used a seat this month (UTC): they signed in or
// wrote a message. A failure is logged, never returned: it must not cost a login or a message.
func (s *Service) OperatorActive(ctx context.Context, op *domain.Operator) {
	month := s.now().UTC().Format("2006-01")
	s.mu.Lock()
	done := s.active[op.ID] == month
	s.mu.Unlock()
	if done {
		return
	}
	if err := s.store.RecordOperatorActivity(ctx, op.ID, op.AccountID, month); err != nil {
		s.log.Warn("operator activity not recorded", "operator_id", op.ID, "err", err)
		return
	}
	s.mu.Lock()
	s.active[op.ID] = month
	s.mu.Unlock()
}

// Usage returns the active operator seats of the admin's account for the last months, newest
// first, with a row for every month (zero when no one was active).
func (s *Service) Usage(ctx context.Context, admin *domain.Operator, months int) ([]domain.UsageMonth, error) {
	if err := requireAdmin(admin, "see usage"); err != nil {
		return nil, err
	}
	if months < 1 || months > MaxUsageMonths {
		return nil, domain.Invalid("invalid_field", "months", "months must be from 1 to %d", MaxUsageMonths)
	}
	now := s.now().UTC()
	first := time.Date(now.Year(), now.Month()-time.Month(months-1), 1, 0, 0, 0, 0, time.UTC)
	stored, err := s.store.OperatorUsage(ctx, admin.AccountID, first.Format("2006-01"))
	if err != nil {
		return nil, err
	}
	byMonth := make(map[string]domain.UsageMonth, len(stored))
	for _, m := range stored {
		byMonth[m.Month] = m
	}
	out := make([]domain.UsageMonth, 0, months)
	for i := range months {
		month := time.Date(now.Year(), now.Month()-time.Month(i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
		m, ok := byMonth[month]
		if !ok {
			m = domain.UsageMonth{Month: month, Operators: []domain.Colleague{}}
		}
		out = append(out, m)
	}
	return out, nil
}
