package store

import (
	"context"
	"time"

	"github.com/portico/portico/internal/domain"
)

// OperatorRemoval is what deleting an operator ended: the sessions whose sockets must close
// and the conversations that went back to waiting.
type OperatorRemoval struct {
	SessionHashes []string
	Reopened      []string
}

// TeamStore is the part of the store behind operators and roles, profiles and photos, usage,
// canned responses and routing rules.
type TeamStore interface {
	// UpdateOperator saves what an admin changes: the operator's name, e-mail and role. A change
	// that leaves the account without an admin is domain.ErrLastAdmin; an e-mail in use is
	// domain.ErrConflict.
	UpdateOperator(ctx context.Context, o *domain.Operator) error
	// UpdateOperatorProfile saves what operators change themselves: name, phone, transcript
	// e-mail, and the two notification settings.
	UpdateOperatorProfile(ctx context.Context, o *domain.Operator) error
	// DeleteOperator removes an operator for good but keeps the row, so their history still
	// names them: the e-mail is freed, their sessions end, their open chats go back to waiting
	// and they leave routing. Deleting the last admin is domain.ErrLastAdmin.
	DeleteOperator(ctx context.Context, id string, at time.Time) (*OperatorRemoval, error)
	// DeleteOperatorSessions ends the operator's sessions but keep (a token hash; may be empty)
	// and returns the hashes of those ended.
	DeleteOperatorSessions(ctx context.Context, operatorID, keep string) ([]string, error)
	// OperatorSessions returns the token hashes of the operator's sessions.
	OperatorSessions(ctx context.Context, operatorID string) ([]string, error)

	// RecordOperatorActivity notes that the operator was active in month (YYYY-MM); once per month counts.
	RecordOperatorActivity(ctx context.Context, operatorID, accountID, month string) error
	// OperatorUsage returns the months from fromMonth (YYYY-MM) on in which the account had
	// active operators, oldest first.
	OperatorUsage(ctx context.Context, accountID, fromMonth string) ([]domain.UsageMonth, error)

	// SaveOperatorPhoto stores a new photo, points the operator's photo_url at url and forgets
	// the operator's earlier photos.
	SaveOperatorPhoto(ctx context.Context, p *domain.Photo, url string) error
	// DeleteOperatorPhoto forgets the operator's photos and clears photo_url.
	DeleteOperatorPhoto(ctx context.Context, operatorID string) error
	PhotoByID(ctx context.Context, id string) (*domain.Photo, error)

	// CreateCannedResponse stores a response; a shortcut already used in its scope is domain.ErrConflict.
	CreateCannedResponse(ctx context.Context, c *domain.CannedResponse) error
	UpdateCannedResponse(ctx context.Context, c *domain.CannedResponse) error
	DeleteCannedResponse(ctx context.Context, id string) error
	CannedResponseByID(ctx context.Context, id string) (*domain.CannedResponse, error)
	// ListCannedResponses returns the operator's own responses, then the account's, each by shortcut.
	ListCannedResponses(ctx context.Context, accountID, operatorID string) ([]domain.CannedResponse, error)

	// CreateRoutingRule stores a rule after the account's others.
	CreateRoutingRule(ctx context.Context, r *domain.RoutingRule) error
	UpdateRoutingRule(ctx context.Context, r *domain.RoutingRule) error
	DeleteRoutingRule(ctx context.Context, id string) error
	RoutingRuleByID(ctx context.Context, id string) (*domain.RoutingRule, error)
	// ListRoutingRules returns the account's rules in the order they are tried.
	ListRoutingRules(ctx context.Context, accountID string) ([]domain.RoutingRule, error)
}
