package visitors

import (
	"context"
	"errors"
	"sync"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
)

// identities keeps who a visitor token stands for: the visitor's id and account. A token, the
// visitor it was made for and that visitor's account never change, and visitors are never
// deleted, so what was read once stays true on every node; keeping it saves a read by key for
// each message a visitor sends and each socket it opens. Should visitors ever be deleted (an
// erasure on request), the deletion must reach every node's identities before it is done.
//
// Two generations bound the memory: when the newer is full, the older is dropped and the newer
// takes its place, so the visitors kept are those seen lately.
type identities struct {
	mu            sync.Mutex
	recent, older map[string]identity
	limit         int
}

type identity struct{ visitorID, accountID string }

// visitor is the identity of the token hash as a visitor with only ID, AccountID and TokenHash.
func (id identity) visitor(tokenHash string) *domain.Visitor {
	return &domain.Visitor{ID: id.visitorID, AccountID: id.accountID, TokenHash: tokenHash}
}

// identitiesKept is how many identities a generation holds: the two take about 30 MiB at most.
const identitiesKept = 1 << 16

func newIdentities(limit int) *identities {
	return &identities{recent: make(map[string]identity), older: make(map[string]identity), limit: limit}
}

func (ids *identities) lookup(tokenHash string) (identity, bool) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	if id, ok := ids.recent[tokenHash]; ok {
		return id, true
	}
	id, ok := ids.older[tokenHash]
	if ok {
		ids.addLocked(tokenHash, id)
	}
	return id, ok
}

func (ids *identities) add(tokenHash string, id identity) {
	ids.mu.Lock()
	defer ids.mu.Unlock()
	ids.addLocked(tokenHash, id)
}

func (ids *identities) addLocked(tokenHash string, id identity) {
	if len(ids.recent) >= ids.limit {
		ids.older, ids.recent = ids.recent, make(map[string]identity, ids.limit/4)
	}
	ids.recent[tokenHash] = id
}

// remember keeps a stored visitor's identity.
func (s *Service) remember(v *domain.Visitor) {
	s.identities.add(v.TokenHash, identity{visitorID: v.ID, accountID: v.AccountID})
}

// AuthenticateID is Authenticate for what needs to know only who the visitor is — a message,
// a socket — and mostly without a read: the visitor it returns has only ID, AccountID and
// TokenHash, not the name, email or times that can change.
func (s *Service) AuthenticateID(ctx context.Context, token string) (*domain.Visitor, error) {
	if !plausibleToken(token) {
		return nil, domain.ErrUnauthorized
	}
	hash := auth.HashToken(token)
	if id, ok := s.identities.lookup(hash); ok {
		return id.visitor(hash), nil
	}
	v, err := s.store.VisitorByTokenHash(ctx, hash)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	s.remember(v)
	return identity{visitorID: v.ID, accountID: v.AccountID}.visitor(hash), nil
}
