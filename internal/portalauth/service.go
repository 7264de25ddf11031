package portalauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
)

// MailWindow is how often at most one kind of problem is e-mailed to a portal's admin.
const MailWindow = time.Hour

// Store is what the service reads and writes.
type Store interface {
	AccountByKey(ctx context.Context, key string) (*domain.Account, error)
	AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error)
	CreateAccount(ctx context.Context, a *domain.Account) error
	PortalAuth(ctx context.Context, portalID string) (*domain.PortalAuth, error)
	SavePortalAuth(ctx context.Context, p *domain.PortalAuth) error
	PortalAuthProblems(ctx context.Context, portalID string, limit int) ([]domain.PortalAuthProblem, error)
	PortalAuthSucceeded(ctx context.Context, portalID string, at time.Time, issuedToken bool) error
	RecordPortalAuthProblem(ctx context.Context, p *domain.PortalAuthProblem, mail *domain.OutboxMail, window time.Duration) (bool, error)
	OperatorByExternalUsername(ctx context.Context, accountID, username string) (*domain.Operator, error)
	CreateExternalOperator(ctx context.Context, o *domain.Operator, username string) error
	ExternalUsernameForToken(ctx context.Context, portalID, identifier, portalToken, email string) (string, error)
	UpdateExternalOperator(ctx context.Context, o *domain.Operator) error
	SetSessionPortalToken(ctx context.Context, tokenHash, portalID, portalToken string) error
	SessionPortalToken(ctx context.Context, tokenHash string) (portalID, portalToken string, err error)
}

// Service signs operators in through their portal's server.
type Service struct {
	Store  Store
	Auth   *auth.Service
	Client *Client
	Log    *slog.Logger
	Now    func() time.Time
	// MailQueued wakes the outbox worker after a problem was mailed; may be nil.
	MailQueued func()
}

func NewService(s Store, a *auth.Service, c *Client, log *slog.Logger) *Service {
	return &Service{Store: s, Auth: a, Client: c, Log: log, Now: func() time.Time { return time.Now().UTC() }}
}

// LoginError is a sign-in the portal refused, or could not answer; Remediation are the portal's links.
type LoginError struct {
	Code        string // wrong_credentials, account_suspended, access_denied, already_processed, portal_unavailable
	Message     string
	Unavailable bool // the portal's server failed (502), rather than refusing the operator (401)
	Remediation []RemediationOption
}

func (e *LoginError) Error() string { return e.Code + ": " + e.Message }

// Result is a successful sign-in.
type Result struct {
	Login *auth.Login
	// Token is the portal's token to remember for "remember me" ("" for none, which also means
	// forget any token kept so far); Outcome says what became of the token sent.
	Token   string
	Outcome TokenOutcome
	// RememberMe says whether the portal issues tokens.
	RememberMe bool
}

// Portal is a portal with external authentication switched on; ErrNotFound otherwise.
func (s *Service) Portal(ctx context.Context, key string) (*domain.Account, *domain.PortalAuth, error) {
	acc, err := s.Store.AccountByKey(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	if acc.Kind != domain.KindPortal {
		return nil, nil, domain.ErrNotFound
	}
	cfg, err := s.Store.PortalAuth(ctx, acc.ID)
	if err != nil {
		return nil, nil, err
	}
	if !cfg.Enabled {
		return nil, nil, domain.ErrNotFound
	}
	return acc, cfg, nil
}

// Login checks a user name and password with the portal's server.
func (s *Service) Login(ctx context.Context, portalKey, username, password string) (*Result, error) {
	portal, cfg, err := s.Portal(ctx, portalKey)
	if err != nil {
		return nil, err
	}
	a, err := s.Client.Authenticate(ctx, endpoint(cfg), username, password)
	if err != nil {
		return nil, s.failed(ctx, portal, cfg, err)
	}
	return s.answered(ctx, portal, cfg, a, username, "")
}

// LoginWithToken checks a token the portal issued; fromURL when it came from the console's address.
func (s *Service) LoginWithToken(ctx context.Context, portalKey, token string, fromURL bool) (*Result, error) {
	portal, cfg, err := s.Portal(ctx, portalKey)
	if err != nil {
		return nil, err
	}
	a, err := s.Client.AuthenticateWithToken(ctx, endpoint(cfg), token, fromURL)
	if err != nil {
		return nil, s.failed(ctx, portal, cfg, err)
	}
	return s.answered(ctx, portal, cfg, a, "", token)
}

// PortalToken returns what LogOut needs for a session, before the session is ended; ok is false
// for a session that did not sign in through a portal.
func (s *Service) PortalToken(ctx context.Context, sessionHash string) (portalID, token string, ok bool) {
	if s == nil {
		return "", "", false
	}
	portalID, token, err := s.Store.SessionPortalToken(ctx, sessionHash)
	if err != nil {
		if !errors.Is(err, domain.ErrNotFound) {
			s.Log.Warn("portal token of session not read", "err", err)
		}
		return "", "", false
	}
	return portalID, token, true
}

// LogOut tells the portal's server that the operator signed out. Failures are recorded, not returned:
// the operator is signed out of Portico whatever the portal says.
func (s *Service) LogOut(ctx context.Context, portalID, token string) {
	cfg, err := s.Store.PortalAuth(ctx, portalID)
	if err != nil || !cfg.Enabled {
		return
	}
	a, err := s.Client.LogOut(ctx, endpoint(cfg), token)
	if err != nil {
		s.problem(ctx, portalID, cfg, problemOf(err))
		return
	}
	switch a.Code() {
	case CodeOK, CodeWrongCredentials, CodeAlreadyProcessed:
	case CodeAccessDenied:
		s.problem(ctx, portalID, cfg, &Error{Kind: domain.ProblemAccessKey, Detail: "LogOut was refused with 253: the access key is wrong"})
	default:
		s.problem(ctx, portalID, cfg, &Error{Kind: domain.ProblemInternal, Detail: "LogOut answered 255: " + clip(a.Error)})
	}
}

func endpoint(cfg *domain.PortalAuth) Endpoint {
	return Endpoint{URL: cfg.URL, AccessKey: cfg.AccessKey}
}

func (s *Service) failed(ctx context.Context, portal *domain.Account, cfg *domain.PortalAuth, err error) error {
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return err
	}
	s.problem(ctx, portal.ID, cfg, problemOf(err))
	return &LoginError{Code: "portal_unavailable", Unavailable: true,
		Message: "The portal's sign-in server cannot be reached right now; please try again later"}
}

func problemOf(err error) *Error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Kind: domain.ProblemUnreachable, Detail: err.Error(), Err: err}
}

// problem records a problem and mails the portal's admin, at most once per kind per MailWindow.
func (s *Service) problem(ctx context.Context, portalID string, cfg *domain.PortalAuth, pe *Error) {
	ctx = context.WithoutCancel(ctx)
	now := s.Now()
	p := &domain.PortalAuthProblem{ID: domain.NewID(), PortalID: portalID, Kind: pe.Kind, Detail: clip(pe.Detail), At: now}
	var m *domain.OutboxMail
	if cfg.AdminEmail != "" {
		mail := domain.NewMail(domain.MailPortalAuthProblem, portalID, cfg.AdminEmail, now)
		mail.Params = domain.MailParams{Problem: p.Kind, Detail: p.Detail}
		m = &mail
	}
	s.Log.Warn("portal authentication problem", "account_id", portalID, "kind", p.Kind, "detail", p.Detail)
	mailed, err := s.Store.RecordPortalAuthProblem(ctx, p, m, MailWindow)
	if err != nil {
		s.Log.Error("portal authentication problem not recorded", "account_id", portalID, "err", err)
		return
	}
	if mailed && s.MailQueued != nil {
		s.MailQueued()
	}
}

func clip(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

func (s *Service) answered(ctx context.Context, portal *domain.Account, cfg *domain.PortalAuth, a *Answer, username, sent string) (*Result, error) {
	switch a.Code() {
	case CodeOK:
	case CodeWrongCredentials:
		msg := "Wrong user name or password"
		if sent != "" {
			msg = "The sign-in link or saved sign-in is no longer valid; sign in with your user name and password"
		}
		return nil, &LoginError{Code: "wrong_credentials", Message: msg, Remediation: a.RemediationOptions}
	case CodeSuspended:
		return nil, &LoginError{Code: "account_suspended", Message: "This account is suspended or deleted", Remediation: a.RemediationOptions}
	case CodeAccessDenied:
		s.problem(ctx, portal.ID, cfg, &Error{Kind: domain.ProblemAccessKey, Detail: "the portal refused the access key (253)"})
		return nil, &LoginError{Code: "access_denied", Message: "The portal refused Portico's access; tell the portal's administrator", Remediation: a.RemediationOptions}
	case CodeAlreadyProcessed:
		return nil, &LoginError{Code: "already_processed", Message: "The portal had already processed this sign-in; please try again", Remediation: a.RemediationOptions}
	default:
		s.problem(ctx, portal.ID, cfg, &Error{Kind: domain.ProblemInternal, Detail: "the portal answered 255: " + clip(a.Error)})
		return nil, &LoginError{Code: "portal_unavailable", Unavailable: true,
			Message: "The portal's sign-in server had an internal error; please try again later", Remediation: a.RemediationOptions}
	}
	if a.Account == nil || strings.TrimSpace(a.Account.Identifier) == "" || a.Operator == nil {
		err := &Error{Kind: domain.ProblemProtocol, Detail: "an OK answer without account.identifier or operator"}
		return nil, s.failed(ctx, portal, cfg, err)
	}
	outcome, token := a.Token(sent)
	if username == "" {
		// The answer to a token does not name the user: the token's earlier session does, or
		// the operator's e-mail; a stranger is known by e-mail, else as the account itself.
		known, err := s.Store.ExternalUsernameForToken(ctx, portal.ID, strings.TrimSpace(a.Account.Identifier), sent, strings.TrimSpace(a.Operator.Email))
		switch {
		case err == nil:
			username = known
		case !errors.Is(err, domain.ErrNotFound):
			return nil, err
		case a.Operator.Email != "":
			username = a.Operator.Email
		default:
			username = a.Account.Identifier
		}
	}
	op, err := s.provision(ctx, portal, strings.TrimSpace(a.Account.Identifier), domain.ExternalOperator{
		Username: strings.TrimSpace(username), Email: strings.TrimSpace(a.Operator.Email), PhotoURL: a.Operator.Image, IsMaster: a.Operator.IsMaster,
	})
	if err != nil {
		return nil, err
	}
	issued := a.AuthenticationToken != nil && *a.AuthenticationToken != ""
	if err := s.Store.PortalAuthSucceeded(ctx, portal.ID, s.Now(), issued); err != nil {
		return nil, err
	}
	login, err := s.Auth.StartSession(ctx, op)
	if err != nil {
		return nil, err
	}
	if err := s.Store.SetSessionPortalToken(ctx, auth.HashToken(login.Token), portal.ID, token); err != nil {
		return nil, err
	}
	return &Result{Login: login, Token: token, Outcome: outcome, RememberMe: cfg.IssuesTokens || issued}, nil
}

// provision finds or creates the advertiser and the operator the portal's answer describes, and
// brings the operator up to date with it.
func (s *Service) provision(ctx context.Context, portal *domain.Account, identifier string, ext domain.ExternalOperator) (*domain.Operator, error) {
	if len(identifier) > 200 || len(ext.Username) > 200 || ext.Username == "" {
		return nil, &LoginError{Code: "portal_unavailable", Unavailable: true, Message: "The portal's answer could not be used"}
	}
	adv, err := s.Store.AdvertiserByExternalID(ctx, portal.ID, identifier)
	if errors.Is(err, domain.ErrNotFound) {
		adv = &domain.Account{ID: domain.NewID(), Kind: domain.KindAdvertiser, Name: identifier,
			Key: "pk_" + strings.ToLower(domain.NewSecret(12)), ParentID: portal.ID, ExternalID: identifier, CreatedAt: s.Now()}
		err = s.Store.CreateAccount(ctx, adv)
		if errors.Is(err, domain.ErrConflict) {
			// Two first sign-ins at once: the other one created it.
			adv, err = s.Store.AdvertiserByExternalID(ctx, portal.ID, identifier)
		} else if err == nil {
			s.Log.Info("advertiser created by portal sign-in", "account_id", adv.ID, "portal_id", portal.ID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("advertiser %q: %w", identifier, err)
	}
	role := domain.RoleAgent
	if ext.IsMaster {
		role = domain.RoleAdmin
	}
	photo := ""
	if u, err := url.Parse(ext.PhotoURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && len(ext.PhotoURL) <= 2000 {
		photo = ext.PhotoURL
	}
	email := ""
	if ext.Email != "" && len(ext.Email) <= 254 && strings.Contains(ext.Email, "@") {
		email = ext.Email
	}
	op, err := s.Store.OperatorByExternalUsername(ctx, adv.ID, ext.Username)
	if errors.Is(err, domain.ErrNotFound) {
		op = &domain.Operator{ID: domain.NewID(), AccountID: adv.ID, Name: ext.Username, Role: role, Status: domain.StatusOffline,
			PhotoURL: photo, TranscriptEmail: email, AlertSound: true, CreatedAt: s.Now()}
		// The password is the portal's: Portico keeps one nobody knows, so e-mail sign-in never works.
		hash, herr := auth.HashPassword(auth.GeneratePassword())
		if herr != nil {
			return nil, herr
		}
		op.PasswordHash = hash
		op.Email = email
		if op.Email == "" {
			op.Email = placeholderEmail(op.ID)
		}
		err = s.Store.CreateExternalOperator(ctx, op, ext.Username)
		if errors.Is(err, domain.ErrConflict) && op.Email != placeholderEmail(op.ID) {
			// The portal's e-mail belongs to another Portico operator.
			op.Email = placeholderEmail(op.ID)
			err = s.Store.CreateExternalOperator(ctx, op, ext.Username)
		}
		if errors.Is(err, domain.ErrConflict) {
			op, err = s.Store.OperatorByExternalUsername(ctx, adv.ID, ext.Username)
		}
		if err != nil {
			return nil, fmt.Errorf("operator of %s: %w", adv.ID, err)
		}
		return op, nil
	}
	if err != nil {
		return nil, err
	}
	before := *op
	op.Role, op.PhotoURL = role, photo
	if email != "" {
		op.Email, op.TranscriptEmail = email, email
	}
	if *op == before {
		return op, nil
	}
	err = s.Store.UpdateExternalOperator(ctx, op)
	if errors.Is(err, domain.ErrConflict) {
		op.Email = before.Email
		err = s.Store.UpdateExternalOperator(ctx, op)
	}
	return op, err
}

func placeholderEmail(operatorID string) string {
	return strings.ToLower(operatorID) + "@portal-operators.invalid"
}
