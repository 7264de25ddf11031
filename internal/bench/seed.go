package bench

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
)

// SeedStore is the part of the store the bench writes to before a run.
type SeedStore interface {
	CreateAccount(ctx context.Context, a *domain.Account) error
	CreateOperator(ctx context.Context, o *domain.Operator) error
}

// Login is an operator the bench signs in as.
type Login struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// Seeded is what a run needs from the store: a fresh account and its operators; on a portal,
// the advertisers' external ids, the i-th operator being the i-th advertiser's.
type Seeded struct {
	AccountKey  string
	Operators   []Login
	Advertisers []string
}

// Seed creates a website account that accepts any origin and n agents with a known password.
// Every run gets its own account, so runs against one store do not see each other's visitors.
// With advertisers > 0 the account is a portal with that many advertisers, and the agents are
// the first n advertisers', one each.
func Seed(ctx context.Context, s SeedStore, n, advertisers int) (*Seeded, error) {
	if advertisers > 0 && n > advertisers {
		return nil, fmt.Errorf("seed: %d operators for %d advertisers: one advertiser each at most", n, advertisers)
	}
	now := time.Now().UTC()
	tag := strings.ToLower(domain.NewSecret(5))
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Bench " + now.Format(time.DateTime),
		Key: "pk_bench_" + tag, CreatedAt: now}
	if advertisers > 0 {
		acc.Kind = domain.KindPortal
	}
	if err := s.CreateAccount(ctx, acc); err != nil {
		return nil, fmt.Errorf("seed account: %w", err)
	}
	out := &Seeded{AccountKey: acc.Key}
	var advertiserIDs []string
	for i := range advertisers {
		adv := &domain.Account{ID: domain.NewID(), Kind: domain.KindAdvertiser, Name: fmt.Sprintf("Bench advertiser %d", i+1),
			Key: fmt.Sprintf("pk_bench_%s_%d", tag, i+1), ParentID: acc.ID, ExternalID: fmt.Sprintf("adv-%d", i+1), CreatedAt: now}
		if err := s.CreateAccount(ctx, adv); err != nil {
			return nil, fmt.Errorf("seed advertiser: %w", err)
		}
		advertiserIDs = append(advertiserIDs, adv.ID)
		out.Advertisers = append(out.Advertisers, adv.ExternalID)
	}
	// One password for all: hashing is memory-hard on purpose, and the bench measures logins
	// only as a step to get a token.
	password := "bench-" + domain.NewSecret(10)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	for i := range n {
		accountID := acc.ID
		if advertisers > 0 {
			accountID = advertiserIDs[i]
		}
		op := &domain.Operator{ID: domain.NewID(), AccountID: accountID, Email: fmt.Sprintf("op%d-%s@bench.example", i+1, tag),
			Name: fmt.Sprintf("Bench operator %d", i+1), Role: domain.RoleAgent, Status: domain.StatusOffline,
			PasswordHash: hash, CreatedAt: now}
		if err := s.CreateOperator(ctx, op); err != nil {
			return nil, fmt.Errorf("seed operator: %w", err)
		}
		out.Operators = append(out.Operators, Login{Email: op.Email, Password: password})
	}
	return out, nil
}
