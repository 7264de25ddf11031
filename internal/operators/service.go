// Package operators manages an account's team: adding, changing and removing operators, their
// own profiles and photos, the seats they use each month, and canned responses.
package operators

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// Store is the part of the store this package needs.
type Store interface {
	OperatorByID(ctx context.Context, id string) (*domain.Operator, error)
	ListOperators(ctx context.Context, accountID string) ([]domain.Operator, error)
	CreateOperator(ctx context.Context, o *domain.Operator) error
	UpdateOperator(ctx context.Context, o *domain.Operator) error
	UpdateOperatorProfile(ctx context.Context, o *domain.Operator) error
	DeleteOperator(ctx context.Context, id string, at time.Time) (*store.OperatorRemoval, error)
	SetOperatorPassword(ctx context.Context, id, passwordHash string) error
	DeleteOperatorSessions(ctx context.Context, operatorID, keep string) ([]string, error)
	OperatorSessions(ctx context.Context, operatorID string) ([]string, error)
	ConversationByID(ctx context.Context, id string) (*domain.Conversation, error)

	RecordOperatorActivity(ctx context.Context, operatorID, accountID, month string) error
	OperatorUsage(ctx context.Context, accountID, fromMonth string) ([]domain.UsageMonth, error)

	SaveOperatorPhoto(ctx context.Context, p *domain.Photo, url string) error
	DeleteOperatorPhoto(ctx context.Context, operatorID string) error
	PhotoByID(ctx context.Context, id string) (*domain.Photo, error)

	CreateCannedResponse(ctx context.Context, c *domain.CannedResponse) error
	UpdateCannedResponse(ctx context.Context, c *domain.CannedResponse) error
	DeleteCannedResponse(ctx context.Context, id string) error
	CannedResponseByID(ctx context.Context, id string) (*domain.CannedResponse, error)
	ListCannedResponses(ctx context.Context, accountID, operatorID string) ([]domain.CannedResponse, error)
}

// Live is what this package tells live clients: sockets of ended sessions close, colleagues
// hear about changes, and consoles see a deleted operator's chats waiting again.
type Live interface {
	EndSession(sessionHash string)
	OperatorAvailable(accountID, operatorID string) bool
}

// Notifier announces committed changes.
type Notifier interface {
	OperatorChanged(ctx context.Context, op *domain.Operator) error
	OperatorRemoved(ctx context.Context, op *domain.Operator) error
	ConversationChanged(ctx context.Context, c *domain.Conversation, event string, by *domain.Person) error
}

type Service struct {
	store  Store
	live   Live
	notify Notifier
	log    *slog.Logger
	now    func() time.Time

	// active remembers the month each operator was last recorded active in, so that signing in
	// and writing cost one database write per operator and month on each node, not one each time.
	mu     sync.Mutex
	active map[string]string
}

func NewService(s Store, live Live, n Notifier, log *slog.Logger) *Service {
	return &Service{store: s, live: live, notify: n, log: log, now: time.Now, active: map[string]string{}}
}

// requireAdmin refuses agents: managing the team is for admins.
func requireAdmin(op *domain.Operator, what string) error {
	if op.Role != domain.RoleAdmin {
		return errors.Join(domain.ErrForbidden, errors.New("only an admin may "+what))
	}
	return nil
}

// colleague finds an operator of the caller's account; anyone else's is not found.
func (s *Service) colleague(ctx context.Context, caller *domain.Operator, id string) (*domain.Operator, error) {
	op, err := s.store.OperatorByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if op.AccountID != caller.AccountID {
		return nil, domain.ErrNotFound
	}
	return op, nil
}

// endSessions closes the sockets of ended sessions on every node.
func (s *Service) endSessions(hashes []string) {
	for _, h := range hashes {
		s.live.EndSession(h)
	}
}

// announce logs a live event that could not be sent; clients catch up from the store.
func (s *Service) announce(err error, what, operatorID string) {
	if err != nil {
		s.log.Warn("live event not published", "event", what, "operator_id", operatorID, "err", err)
	}
}
