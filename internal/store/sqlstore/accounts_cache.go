package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/portico/portico/internal/domain"
)

// Every widget request reads its account: by key for a page view, by id to check a visitor's
// token, and operators' requests read it for the tenant wall. Accounts change seldom (settings,
// allowed origins), so their rows are kept for a moment instead of a round trip each time. A
// change made through this store forgets them at once; one made on another node is seen within
// accountTTL.
const (
	accountTTL        = time.Second
	maxCachedAccounts = 4096
)

type accountCache struct {
	mu   sync.Mutex
	rows map[string]cachedAccountRow // by "id:…" and "key:…"
}

type cachedAccountRow struct {
	row     accountRow
	expires time.Time
}

// cachedAccount answers from the cache, or reads the account with query and keeps its row. An
// account that is not found is not kept: it may be created a moment later.
func (s *Store) cachedAccount(ctx context.Context, lookup, query string, arg any) (*domain.Account, error) {
	now := time.Now()
	c := &s.accounts
	c.mu.Lock()
	hit, ok := c.rows[lookup]
	c.mu.Unlock()
	if ok && now.Before(hit.expires) {
		return hit.row.account()
	}
	r, err := scanAccountRow(s.queryRow(ctx, s.read, query, arg))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.rows == nil || len(c.rows) >= maxCachedAccounts {
		c.rows = map[string]cachedAccountRow{}
	}
	entry := cachedAccountRow{row: r, expires: now.Add(accountTTL)}
	c.rows["id:"+r.id] = entry
	c.rows["key:"+r.key] = entry
	c.mu.Unlock()
	return r.account()
}

// forgetAccounts drops every cached account, after a change to one.
func (s *Store) forgetAccounts() {
	s.accounts.mu.Lock()
	s.accounts.rows = nil
	s.accounts.mu.Unlock()
}
