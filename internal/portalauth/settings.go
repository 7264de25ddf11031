package portalauth

import (
	"context"
	"errors"
	"net/mail"
	"strings"

	"github.com/portico/portico/internal/domain"
)

// Settings are what a portal admin sets; a nil AccessKey keeps the one stored.
type Settings struct {
	Enabled    bool
	URL        string
	AccessKey  *string
	AdminEmail string
}

// admin checks that the operator is an admin of a portal: agents and advertisers' operators may not.
func admin(op *domain.Operator, acc *domain.Account) error {
	if acc.Kind != domain.KindPortal || op.Role != domain.RoleAdmin {
		return errors.Join(domain.ErrForbidden, errors.New("only a portal's admins manage its external authentication"))
	}
	return nil
}

// Settings returns the portal's external authentication (a disabled blank one when never set).
func (s *Service) Settings(ctx context.Context, op *domain.Operator, acc *domain.Account) (*domain.PortalAuth, error) {
	if err := admin(op, acc); err != nil {
		return nil, err
	}
	cfg, err := s.Store.PortalAuth(ctx, acc.ID)
	if errors.Is(err, domain.ErrNotFound) {
		return &domain.PortalAuth{PortalID: acc.ID}, nil
	}
	return cfg, err
}

// SaveSettings validates and stores the portal's external authentication.
func (s *Service) SaveSettings(ctx context.Context, op *domain.Operator, acc *domain.Account, in Settings) (*domain.PortalAuth, error) {
	cfg, err := s.Settings(ctx, op, acc)
	if err != nil {
		return nil, err
	}
	in.URL = strings.TrimSpace(in.URL)
	in.AdminEmail = strings.TrimSpace(in.AdminEmail)
	if len(in.URL) > 2000 {
		return nil, domain.Invalid("invalid_field", "url", "the URL is longer than 2000 characters")
	}
	if in.URL != "" || in.Enabled {
		if err := CheckURL(in.URL, s.Client.AllowLoopbackHTTP); err != nil {
			return nil, domain.Invalid("invalid_field", "url", "%s", err.(*Error).Detail)
		}
	}
	if in.AdminEmail != "" {
		if a, err := mail.ParseAddress(in.AdminEmail); err != nil || a.Address != in.AdminEmail || len(in.AdminEmail) > 254 {
			return nil, domain.Invalid("invalid_field", "admin_email", "admin_email is not an e-mail address")
		}
	}
	if in.AccessKey != nil {
		if len(*in.AccessKey) > 500 {
			return nil, domain.Invalid("invalid_field", "access_key", "the access key is longer than 500 characters")
		}
		cfg.AccessKey = *in.AccessKey
	}
	cfg.Enabled, cfg.URL, cfg.AdminEmail, cfg.UpdatedAt = in.Enabled, in.URL, in.AdminEmail, s.Now()
	if err := s.Store.SavePortalAuth(ctx, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Health is the portal's recent problems and its last working answer.
type Health struct {
	Settings *domain.PortalAuth
	Problems []domain.PortalAuthProblem
}

func (s *Service) Health(ctx context.Context, op *domain.Operator, acc *domain.Account, limit int) (*Health, error) {
	cfg, err := s.Settings(ctx, op, acc)
	if err != nil {
		return nil, err
	}
	problems, err := s.Store.PortalAuthProblems(ctx, acc.ID, limit)
	if err != nil {
		return nil, err
	}
	return &Health{Settings: cfg, Problems: problems}, nil
}
