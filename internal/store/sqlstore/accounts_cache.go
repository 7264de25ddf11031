package sqlstore

import (
	"context"
	"errors"
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
	// reading holds the lookups being read: when a row expires under load, every request that
	// wants it waits for one read instead of each making its own (and the pool growing to take
	// them all).
	reading map[string]*accountRead
}

type cachedAccountRow struct {
	row accountRow
	// origins is the row's allowed origins, decoded once: the widget checks them on every
	// request, and a whole account decoded for that would cost its settings' JSON each time.
	origins []string
	expires time.Time
}

type accountRead struct {
	done  chan struct{}
	entry cachedAccountRow
	err   error
}

// cachedAccount answers from the cache, or reads the account with query and keeps its row. An
// account that is not found is not kept: it may be created a moment later.
func (s *Store) cachedAccount(ctx context.Context, lookup, query string, arg any) (*domain.Account, error) {
	entry, err := s.cachedAccountRow(ctx, lookup, query, arg)
	if err != nil {
		return nil, err
	}
	return entry.row.account()
}

// AccountOrigins is the account's list of allowed origins, from the cache. The list is shared:
// the caller must not change it.
func (s *Store) AccountOrigins(ctx context.Context, id string) ([]string, error) {
	entry, err := s.cachedAccountRow(ctx, "id:"+id, accountByIDQuery, id)
	return entry.origins, err
}

func (s *Store) cachedAccountRow(ctx context.Context, lookup, query string, arg any) (cachedAccountRow, error) {
	c := &s.accounts
	for {
		now := time.Now()
		c.mu.Lock()
		if hit, ok := c.rows[lookup]; ok && now.Before(hit.expires) {
			c.mu.Unlock()
			return hit, nil
		}
		if r, ok := c.reading[lookup]; ok {
			c.mu.Unlock()
			select {
			case <-r.done:
			case <-ctx.Done():
				return cachedAccountRow{}, ctx.Err()
			}
			if r.err != nil && ctx.Err() == nil && (errors.Is(r.err, context.Canceled) || errors.Is(r.err, context.DeadlineExceeded)) {
				continue // the request that read it went away; this one has not
			}
			return r.entry, r.err
		}
		r := &accountRead{done: make(chan struct{})}
		if c.reading == nil {
			c.reading = map[string]*accountRead{}
		}
		c.reading[lookup] = r
		c.mu.Unlock()

		r.entry.row, r.err = scanAccountRow(s.queryRow(ctx, s.read, query, arg))
		if r.err == nil {
			r.entry.origins, r.err = r.entry.row.allowedOrigins()
		}
		c.mu.Lock()
		delete(c.reading, lookup)
		if r.err == nil {
			if c.rows == nil || len(c.rows) >= maxCachedAccounts {
				c.rows = map[string]cachedAccountRow{}
			}
			r.entry.expires = now.Add(accountTTL)
			c.rows["id:"+r.entry.row.id] = r.entry
			c.rows["key:"+r.entry.row.key] = r.entry
		}
		c.mu.Unlock()
		close(r.done)
		return r.entry, r.err
	}
}

// forgetAccounts drops every cached account, after a change to one.
func (s *Store) forgetAccounts() {
	s.accounts.mu.Lock()
	s.accounts.rows = nil
	s.accounts.mu.Unlock()
}
