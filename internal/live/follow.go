package live

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// A portal visitor's page follows the advertisers it shows a chat with (the listing's, those of
// the visitor's chats, those of its chat buttons) with a `follow` frame (docs/protocol.md). The
// socket then gets each one's availability at once and whenever it changes, and nothing of the
// portal's other advertisers: a portal with thousands of advertisers would otherwise send every
// one's sign-in and sign-out to every visitor it has.

const (
	// maxFollowed bounds the advertisers one socket follows; a longer list is cut.
	maxFollowed = 50
	// maxExternalIDRunes is the longest advertiser id the API takes.
	maxExternalIDRunes = 200
	// An advertiser's account is remembered this long; one that does not exist, less long, so
	// that an advertiser created meanwhile (its first operator's portal login) is found soon.
	advertiserKnownFor   = time.Minute
	advertiserUnknownFor = 10 * time.Second
	// advertiserCacheSize bounds the cache; when full it starts again empty.
	advertiserCacheSize = 100_000
	// followSpacing is the least time between two lists applied on one socket. The widget
	// sends one on connect and one when a chat with a new advertiser starts; a client that
	// sends more has the lists in between skipped, and cannot have the node look up more than
	// maxFollowed advertisers a second for it.
	followSpacing = time.Second
)

// HubAccounts is what the hub reads of accounts.
type HubAccounts interface {
	AccountLookup
	AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error)
}

// BackupChecker says whether a portal's backup operators can answer now.
type BackupChecker interface {
	PortalBackupAvailable(ctx context.Context, portalID string) (bool, error)
}

// requestFollow takes a visitor's `follow` frame. The lookups need the database, so a
// goroutine does them; frames that come while it works are merged, the last list winning.
func (h *Hub) requestFollow(c *conn, advertisers []string) {
	wanted := cleanFollowed(advertisers)
	c.mu.Lock()
	c.followWanted, c.followAsked = wanted, true
	start := !c.following && !c.closed
	c.following = c.following || start
	c.mu.Unlock()
	if start {
		go h.applyFollows(c)
	}
}

// cleanFollowed drops empty, overlong and repeated ids and keeps at most maxFollowed.
func cleanFollowed(advertisers []string) []string {
	out := make([]string, 0, min(len(advertisers), maxFollowed))
	for _, a := range advertisers {
		a = strings.TrimSpace(a)
		if a == "" || utf8.RuneCountInString(a) > maxExternalIDRunes || slices.Contains(out, a) {
			continue
		}
		if out = append(out, a); len(out) == maxFollowed {
			break
		}
	}
	return out
}

// applyFollows applies the lists c asks for, the latest each time, at most one a followSpacing.
func (h *Hub) applyFollows(c *conn) {
	for {
		c.mu.Lock()
		if !c.followAsked || c.closed {
			c.following = false
			c.mu.Unlock()
			return
		}
		wait := time.Until(c.followedAt.Add(followSpacing))
		c.mu.Unlock()
		if wait > 0 {
			time.Sleep(wait)
		}
		c.mu.Lock()
		wanted := c.followWanted
		c.followAsked, c.followedAt = false, time.Now()
		c.mu.Unlock()
		h.follow(c, wanted)
	}
}

// follow makes c follow the advertisers wanted (external ids of its portal) and no others, and
// sends the availability of those it did not follow yet.
func (h *Hub) follow(c *conn, wanted []string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	portalID := c.visitor.AccountID
	topics := make([]string, 0, len(wanted))
	externalIDs := map[string]string{} // topic → external id
	for _, ext := range wanted {
		id, err := h.advertiserIDs.lookup(ctx, h.accounts, portalID, ext)
		if err != nil {
			h.log.Warn("follow: advertiser lookup", "account_id", portalID, "err", err)
			continue
		}
		if id == "" {
			continue // not an advertiser of this account: nothing to follow
		}
		topic := bus.FollowersTopic(id)
		topics = append(topics, topic)
		externalIDs[topic] = ext
	}
	wait, added, ok := h.refollow(c, topics)
	if !ok || len(added) == 0 {
		return
	}
	wait()
	frames := make([]json.RawMessage, 0, len(added))
	backup := h.portalBackup(portalID)
	for _, topic := range added {
		ext := externalIDs[topic]
		online := h.AnyOperatorAvailable(strings.TrimPrefix(topic, bus.FollowersFamily)) || backup(ctx)
		frames = append(frames, mustEncode(presenceFrame{Type: "presence", Online: online, Advertiser: &ext}))
	}
	c.enqueue(textFrames(frames))
}

// refollow sets the topics c follows, joining the new ones and leaving the rest; added lists
// the new ones. ok is false once c has left the hub.
func (h *Hub) refollow(c *conn, topics []string) (wait func(), added []string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, here := h.conns[c]; !here {
		return nil, nil, false
	}
	var subs subscriptions
	for _, name := range topics {
		if !slices.Contains(c.followed, name) {
			h.addTopic(c, name, &subs)
			added = append(added, name)
		}
	}
	for _, name := range c.followed {
		if !slices.Contains(topics, name) {
			h.dropTopic(c, name)
		}
	}
	c.followed = topics
	return subs.wait, added, true
}

// portalBackup answers, asking the database at most once, whether the portal's backup operators
// can answer now.
func (h *Hub) portalBackup(portalID string) func(ctx context.Context) bool {
	var asked, answers bool
	return func(ctx context.Context) bool {
		if !asked {
			asked = true
			answers = h.backupAnswers(ctx, portalID)
		}
		return answers
	}
}

func (h *Hub) backupAnswers(ctx context.Context, portalID string) bool {
	if h.Backup == nil {
		return false
	}
	ok, err := h.Backup.PortalBackupAvailable(ctx, portalID)
	if err != nil {
		h.log.Warn("presence: backup operators", "account_id", portalID, "err", err)
	}
	return ok
}

// advertiserCache remembers which account a portal's advertiser id names, so that the visitors
// of a portal reconnecting together after a node restart do not each ask the database.
type advertiserCache struct {
	mu      sync.Mutex
	entries map[[2]string]cachedAdvertiser
}

type cachedAdvertiser struct {
	id      string // "" for no such advertiser
	expires time.Time
}

// lookup returns the id of the portal's advertiser with the external id ext, "" if none.
func (a *advertiserCache) lookup(ctx context.Context, accounts HubAccounts, portalID, ext string) (string, error) {
	key := [2]string{portalID, ext}
	now := time.Now()
	a.mu.Lock()
	e, ok := a.entries[key]
	a.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.id, nil
	}
	e = cachedAdvertiser{expires: now.Add(advertiserUnknownFor)}
	acc, err := accounts.AdvertiserByExternalID(ctx, portalID, ext)
	switch {
	case err == nil:
		e = cachedAdvertiser{id: acc.ID, expires: now.Add(advertiserKnownFor)}
	case !errors.Is(err, domain.ErrNotFound):
		return "", err
	}
	a.mu.Lock()
	if a.entries == nil || len(a.entries) >= advertiserCacheSize {
		a.entries = map[[2]string]cachedAdvertiser{}
	}
	a.entries[key] = e
	a.mu.Unlock()
	return e.id, nil
}
