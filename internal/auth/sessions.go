package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
)

// SessionTTL is how long a login lasts without signing in again.
const SessionTTL = 30 * 24 * time.Hour

type Store interface {
	OperatorByEmail(ctx context.Context, email string) (*domain.Operator, error)
	CreateSession(ctx context.Context, s *domain.Session) error
	SessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (*domain.Session, *domain.Operator, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

type Service struct {
	store Store
	now   func() time.Time
	// dummyHash keeps a login for an unknown e-mail as slow as one for a known e-mail, so the
	// answer time does not tell which addresses have accounts.
	dummyHash string
}

func NewService(s Store) *Service {
	dummy, _ := HashPassword(GeneratePassword())
	return &Service{store: s, now: time.Now, dummyHash: dummy}
}

// Login is the result of signing in: the bearer token is shown once and only its hash is kept.
type Login struct {
	Token     string
	CSRFToken string
	Operator  *domain.Operator
	ExpiresAt time.Time
}

// ErrWrongCredentials is returned for an unknown e-mail and for a wrong password alike.
var ErrWrongCredentials = errors.New("wrong e-mail or password")

func (s *Service) Login(ctx context.Context, email, password string) (*Login, error) {
	op, err := s.store.OperatorByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, domain.ErrNotFound) {
		CheckPasswordContext(ctx, s.dummyHash, password)
		return nil, ErrWrongCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, err := CheckPasswordContext(ctx, op.PasswordHash, password)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("operator %s: %w", op.ID, err)
	}
	if !ok {
		return nil, ErrWrongCredentials
	}
	return s.StartSession(ctx, op)
}

// StartSession issues a token for an operator whose identity is already established.
func (s *Service) StartSession(ctx context.Context, op *domain.Operator) (*Login, error) {
	token := "pt_" + domain.NewSecret(32)
	now := s.now()
	sess := &domain.Session{
		TokenHash:  HashToken(token),
		OperatorID: op.ID,
		CSRFToken:  domain.NewSecret(20),
		CreatedAt:  now,
		ExpiresAt:  now.Add(SessionTTL),
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return &Login{Token: token, CSRFToken: sess.CSRFToken, Operator: op, ExpiresAt: sess.ExpiresAt}, nil
}

// Authenticate resolves a bearer token to its operator and session.
func (s *Service) Authenticate(ctx context.Context, token string) (*domain.Operator, *domain.Session, error) {
	if token == "" {
		return nil, nil, domain.ErrUnauthorized
	}
	sess, op, err := s.store.SessionByTokenHash(ctx, HashToken(token), s.now())
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, domain.ErrUnauthorized
	}
	if err != nil {
		return nil, nil, err
	}
	return op, sess, nil
}

func (s *Service) Logout(ctx context.Context, token string) error {
	return s.store.DeleteSession(ctx, HashToken(token))
}

// HashToken is how bearer secrets (operator and visitor tokens) are stored: a database leak
// does not hand out working tokens.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
