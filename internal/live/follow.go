package live

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live/ws"
)

// A portal visitor's page follows the advertisers it shows a chat with (the listing's, those of
// the visitor's chats, those of its chat buttons): the listing's from the start with `?follow=`
// in the socket's URL, any list with a `follow` frame (docs/protocol.md). The socket then gets
// each one's availability at once and whenever it changes, and nothing of the portal's other
// advertisers: a portal with thousands of advertisers would otherwise send every one's sign-in
// and sign-out to every visitor it has.

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

// followRequests is what a portal visitor's socket asked to follow: the last list not yet
// applied (asked), whether a goroutine applies them (running) and when it last did. Allocated on
// the socket's first `follow` frame; held under the conn's lock.
type followRequests struct {
	wanted  []string
	asked   bool
	running bool
	at      time.Time
}

// requestFollow takes a visitor's `follow` frame. The lookups may need the database, so a
// goroutine does them; frames that come while it works are merged, the last list winning.
func (h *Hub) requestFollow(c *conn, advertisers []string) {
	wanted := cleanFollowed(advertisers)
	c.mu.Lock()
	if c.follows == nil {
		c.follows = &followRequests{}
	}
	r := c.follows
	r.wanted, r.asked = wanted, true
	start := !r.running && !c.closed
	r.running = r.running || start
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
	r := c.follows // set before the goroutine started, never changed
	for {
		c.mu.Lock()
		if !r.asked || c.closed {
			r.running = false
			c.mu.Unlock()
			return
		}
		wait := time.Until(r.at.Add(followSpacing))
		c.mu.Unlock()
		if wait > 0 {
			time.Sleep(wait)
		}
		c.mu.Lock()
		wanted := r.wanted
		r.wanted, r.asked, r.at = nil, false, time.Now()
		c.mu.Unlock()
		h.follow(c, wanted)
	}
}

// follow makes c follow the advertisers wanted (external ids of its portal) and no others, and
// sends the availability of those it did not follow yet. Thousands of sockets send their list
// at once after a node restart: what it keeps for a socket is its topics' names, shared with the
// cache, and a cached advertiser's frames are built once.
func (h *Hub) follow(c *conn, wanted []string) {
	portalID := c.visitor.AccountID
	known := make([]*advertiserEntry, 0, len(wanted))
	for _, ext := range wanted {
		e, err := h.advertisers.lookup(h.accounts, portalID, ext)
		if err != nil {
			h.log.Warn("follow: advertiser lookup", "account_id", portalID, "err", err)
			continue
		}
		if e.id != "" { // else no advertiser of this account: nothing to follow
			known = append(known, e)
		}
	}
	added, ok := h.refollow(c, known)
	if !ok {
		return
	}
	for _, e := range added {
		c.enqueue(e.frames[b2i(h.advertiserAvailable(e, portalID))])
	}
}

// followedOnConnect is the advertiser a portal visitor's socket follows from the start: the
// listing page's, named in the URL (?follow=), so that the page needs no `follow` frame (nor
// the node a read, a goroutine and a write for it). Nil for none.
func (h *Hub) followedOnConnect(r *http.Request, v *domain.Visitor) *advertiserEntry {
	ext := strings.TrimSpace(r.URL.Query().Get("follow"))
	if ext == "" || utf8.RuneCountInString(ext) > maxExternalIDRunes {
		return nil
	}
	e, err := h.advertisers.lookup(h.accounts, v.AccountID, ext)
	if err != nil {
		h.log.Warn("follow: advertiser lookup", "account_id", v.AccountID, "err", err)
		return nil
	}
	if e.id == "" {
		return nil
	}
	return e
}

// advertiserAvailable says whether someone answers for the advertiser: its operators, or the
// portal's backup operators.
func (h *Hub) advertiserAvailable(e *advertiserEntry, portalID string) bool {
	return h.AnyOperatorAvailable(e.id) || h.backupAnswers(portalID, false)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// refollow sets the advertisers c follows, joining the new ones' topics and leaving the rest;
// added lists the new ones. ok is false once c has left the hub. The followers' topics are one
// family, which the hub follows from the start: there is no subscription to wait for.
func (h *Hub) refollow(c *conn, advertisers []*advertiserEntry) (added []*advertiserEntry, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, here := h.conns[c]; !here {
		return nil, false
	}
	var none subscriptions
	for _, e := range advertisers {
		if !followsTopic(c.followed, e.topic) {
			h.addTopic(c, e.topic, &none)
			added = append(added, e)
		}
	}
	for _, old := range c.followed {
		if !followsTopic(advertisers, old.topic) {
			h.dropTopic(c, old.topic)
		}
	}
	c.followed = advertisers
	return added, true
}

// followsTopic says whether one of the advertisers has the followers topic.
func followsTopic(advertisers []*advertiserEntry, topic string) bool {
	return slices.ContainsFunc(advertisers, func(e *advertiserEntry) bool { return e.topic == topic })
}

// --- the portal's backup operators -----------------------------------------------------------

// A portal's backup operators answer for the advertisers nobody of whose is available, so the
// followers of those advertisers must hear when the backup operators come or go. The node where
// a portal operator's availability changed, or where the portal's backup setting was saved,
// asks afresh whether the backup operators can answer and tells every node (a presence message
// of kind "b"); each node tells the sockets it holds that follow one of the portal's
// advertisers with nobody there, unless the answer is the one it last told them.

// BackupChanged takes a change of the portal's backup setting.
func (h *Hub) BackupChanged(portalID string) { h.recheckBackup(portalID) }

// recheckBackup asks whether the portal's backup operators can answer now and tells every node.
func (h *Hub) recheckBackup(portalID string) {
	if h.Backup == nil {
		return
	}
	answers, err := h.askBackup(portalID)
	if err != nil {
		h.log.Warn("presence: backup operators", "account_id", portalID, "err", err)
		return
	}
	h.cluster.publish(presenceMsg{Kind: "b", Account: portalID, On: answers})
	h.backupHeard(portalID, answers)
}

// backupHeard takes whether the portal's backup operators can answer now, as a node found out,
// and tells this node's followers of the portal's advertisers with nobody there if it is news.
func (h *Hub) backupHeard(portalID string, answers bool) {
	h.backupsMu.Lock()
	known := h.backups[portalID]
	news := !known.told || known.toldAnswers != answers
	known.answers, known.expires = answers, time.Now().Add(backupKnownFor)
	known.told, known.toldAnswers = true, answers
	h.rememberBackupLocked(portalID, known)
	h.backupsMu.Unlock()
	if !news {
		return
	}
	type notice struct {
		c     *conn
		frame []byte
	}
	var notices []notice
	h.mu.Lock()
	nobodyThere := map[string]bool{}
	for c := range h.conns {
		if c.visitor == nil || c.visitor.AccountID != portalID {
			continue
		}
		for _, e := range c.followed {
			absent, asked := nobodyThere[e.id]
			if !asked {
				absent = !h.accountAvailable(e.id)
				nobodyThere[e.id] = absent
			}
			if absent {
				notices = append(notices, notice{c, e.frames[b2i(answers)]})
			}
		}
	}
	h.mu.Unlock()
	for _, n := range notices {
		n.c.enqueue(n.frame)
	}
}

// BackupAnswers says whether the portal's backup operators can answer now, as the node last
// heard it: every page view of a listing whose advertiser has nobody there asks it.
func (h *Hub) BackupAnswers(portalID string) bool { return h.backupAnswers(portalID, false) }

// backupAnswers says whether the portal's backup operators can answer now. Every portal visitor
// connecting to a listing whose advertiser has nobody there asks it, thousands at once after a
// node restart: unless fresh, an answer of the last backupKnownFor serves. An advertiser's own
// change asks it fresh, and so keeps it current for the sockets that follow.
func (h *Hub) backupAnswers(portalID string, fresh bool) bool {
	if h.Backup == nil {
		return false
	}
	if !fresh {
		h.backupsMu.Lock()
		known, ok := h.backups[portalID]
		h.backupsMu.Unlock()
		if ok && time.Now().Before(known.expires) {
			return known.answers
		}
	}
	answers, err := h.askBackup(portalID)
	if err != nil {
		h.log.Warn("presence: backup operators", "account_id", portalID, "err", err)
		return false
	}
	return answers
}

// askBackup asks the portal service whether the portal's backup operators can answer now, and
// remembers the answer for backupKnownFor.
func (h *Hub) askBackup(portalID string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	answers, err := h.Backup.PortalBackupAvailable(ctx, portalID)
	if err != nil {
		return false, err
	}
	h.backupsMu.Lock()
	known := h.backups[portalID]
	known.answers, known.expires = answers, time.Now().Add(backupKnownFor)
	h.rememberBackupLocked(portalID, known)
	h.backupsMu.Unlock()
	return answers, nil
}

// rememberBackupLocked stores what the node knows of the portal's backup operators; the caller
// holds h.backupsMu.
func (h *Hub) rememberBackupLocked(portalID string, known knownBackup) {
	if h.backups == nil || len(h.backups) >= advertiserCacheSize {
		h.backups = map[string]knownBackup{}
	}
	h.backups[portalID] = known
}

// knownBackup is what the node knows of a portal's backup operators: whether they could answer
// when last asked, until when that answer serves, and what the node last told the followers of
// the portal's advertisers with nobody there (told: it told them anything yet).
type knownBackup struct {
	answers     bool
	expires     time.Time
	told        bool
	toldAnswers bool
}

// backupKnownFor is how long a portal's backup availability serves the sockets that connect.
const backupKnownFor = time.Second

// lookupTimeout bounds a database lookup made for a follow list or an availability change.
const lookupTimeout = 5 * time.Second

// advertiserCache remembers the portals' advertisers by external id, so that the visitors of a
// portal reconnecting together after a node restart do not each ask the database, nor each
// build the same frames.
type advertiserCache struct {
	mu      sync.Mutex
	entries map[[2]string]*advertiserEntry
}

// advertiserEntry is one advertiser of a portal as its followers see it.
type advertiserEntry struct {
	id    string // "" for no such advertiser
	topic string
	// The presence frames that name it, unavailable and available: as JSON, and as WebSocket
	// frames.
	presence [2]json.RawMessage
	frames   [2][]byte
	expires  time.Time
}

// lookup returns the portal's advertiser with the external id ext; its id is "" if none.
func (a *advertiserCache) lookup(accounts HubAccounts, portalID, ext string) (*advertiserEntry, error) {
	key := [2]string{portalID, ext}
	now := time.Now()
	a.mu.Lock()
	e := a.entries[key]
	a.mu.Unlock()
	if e != nil && now.Before(e.expires) {
		return e, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	acc, err := accounts.AdvertiserByExternalID(ctx, portalID, ext)
	switch {
	case err == nil:
		e = &advertiserEntry{id: acc.ID, topic: bus.FollowersTopic(acc.ID), expires: now.Add(advertiserKnownFor)}
		for i, online := range []bool{false, true} {
			e.presence[i] = mustEncode(presenceFrame{Type: "presence", Online: online, Advertiser: &ext})
			e.frames[i] = ws.TextFrame(e.presence[i])
		}
	case errors.Is(err, domain.ErrNotFound):
		e = &advertiserEntry{expires: now.Add(advertiserUnknownFor)}
	default:
		return nil, err
	}
	a.mu.Lock()
	if a.entries == nil || len(a.entries) >= advertiserCacheSize {
		a.entries = map[[2]string]*advertiserEntry{}
	}
	a.entries[key] = e
	a.mu.Unlock()
	return e, nil
}
