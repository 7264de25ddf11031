package store

import (
	"context"
	"time"

	"github.com/portico/portico/internal/domain"
)

// PortalAuthStore keeps portals' external authentication: the settings, the problems met
// talking to the portal's server, the operators it signs in and the portal tokens of sessions.
type PortalAuthStore interface {
	// PortalAuth returns the portal's settings; ErrNotFound when it never set any.
	PortalAuth(ctx context.Context, portalID string) (*domain.PortalAuth, error)
	// SavePortalAuth creates or replaces the settings (issues_tokens and last success are kept).
	SavePortalAuth(ctx context.Context, p *domain.PortalAuth) error
	// PortalAuthSucceeded notes a working answer, and that the portal issues tokens when it does.
	PortalAuthSucceeded(ctx context.Context, portalID string, at time.Time, issuedToken bool) error
	// RecordPortalAuthProblem stores the problem and, in the same transaction, queues mail
	// unless a problem of the same kind was mailed within window. It reports whether it queued.
	RecordPortalAuthProblem(ctx context.Context, p *domain.PortalAuthProblem, mail *domain.OutboxMail, window time.Duration) (bool, error)
	// PortalAuthProblems lists the portal's latest problems, newest first.
	PortalAuthProblems(ctx context.Context, portalID string, limit int) ([]domain.PortalAuthProblem, error)

	// OperatorByExternalUsername finds the advertiser's operator signed in as username.
	OperatorByExternalUsername(ctx context.Context, accountID, username string) (*domain.Operator, error)
	// ExternalUsernameForToken finds who a token sign-in is: the user name of the operator whose
	// session holds this portal token, else of the advertiser's operator with this e-mail;
	// ErrNotFound when neither.
	ExternalUsernameForToken(ctx context.Context, portalID, identifier, portalToken, email string) (string, error)
	// CreateExternalOperator stores an operator known by the portal's username; an e-mail or
	// username in use is ErrConflict.
	CreateExternalOperator(ctx context.Context, o *domain.Operator, username string) error
	// UpdateExternalOperator saves what the portal says about an operator: e-mail, role, photo
	// and transcript e-mail. An e-mail in use is ErrConflict.
	UpdateExternalOperator(ctx context.Context, o *domain.Operator) error

	// SetSessionPortalToken keeps the portal's token of a Portico session (for LogOut).
	SetSessionPortalToken(ctx context.Context, tokenHash, portalID, portalToken string) error
	// SessionPortalToken returns the portal and its token of a session; ErrNotFound for a
	// session that did not sign in through a portal.
	SessionPortalToken(ctx context.Context, tokenHash string) (portalID, portalToken string, err error)
}
