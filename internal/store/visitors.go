package store

import (
	"context"
	"time"

	"github.com/portico/portico/internal/domain"
)

// VisitorStore holds what the live visitor list, invitations and proactive chat need.
type VisitorStore interface {
	// LiveVisitors returns the visitors with these ids, with their latest visit and open chat.
	// Unknown ids are left out; the order is not the ids'.
	LiveVisitors(ctx context.Context, ids []string) ([]domain.LiveVisitor, error)
	// VisitorByEmail finds the earliest visitor of the account with this e-mail other than exceptID.
	VisitorByEmail(ctx context.Context, accountID, email, exceptID string) (*domain.Visitor, error)
	// LinkVisitor records that visitor from is the same person as into; nothing moves.
	LinkVisitor(ctx context.Context, from, into string) error
	// SamePerson returns the ids of the visitors that are the same person as id, id included.
	SamePerson(ctx context.Context, id string) ([]string, error)
	// DeletePageViewsBefore removes page views older than t, in batches; it returns how many went.
	DeletePageViewsBefore(ctx context.Context, t time.Time) (int64, error)

	CreateInvitation(ctx context.Context, inv *domain.Invitation) error
	InvitationByID(ctx context.Context, id string) (*domain.Invitation, error)
	// AnswerInvitation records the answer of an invitation still shown; ErrConflict if it was answered.
	AnswerInvitation(ctx context.Context, id string, status domain.InvitationStatus, conversationID string, at time.Time) (*domain.Invitation, error)
	ListInvitations(ctx context.Context, visitorID string, limit int) ([]domain.Invitation, error)
	InvitationStats(ctx context.Context, accountID string, since time.Time) (*domain.InvitationStats, error)

	ListProactiveRules(ctx context.Context, accountID string) ([]domain.ProactiveRule, error)
	CreateProactiveRule(ctx context.Context, r *domain.ProactiveRule) error
	UpdateProactiveRule(ctx context.Context, r *domain.ProactiveRule) error
	DeleteProactiveRule(ctx context.Context, accountID, id string) error
}
