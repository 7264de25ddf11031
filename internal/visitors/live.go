package visitors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// LiveStore is what the live visitor list, identity, invitations and proactive chat keep.
type LiveStore interface {
	store.VisitorStore
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	OperatorByID(ctx context.Context, id string) (*domain.Operator, error)
	SetVisitorIdentity(ctx context.Context, id, name, email string) error
	PagesOfLatestVisit(ctx context.Context, visitorID string, limit int) ([]domain.PageView, error)
}

// Presence is which visitors have the widget open, on any node.
type Presence interface {
	VisitorOnline(visitorID string) bool
	OnlineVisitors(accountID string) []string
	OperatorsConnected(accountID string) bool
}

// Announcer puts visitor and invitation changes on the live sockets.
type Announcer interface {
	VisitorChanged(ctx context.Context, event string, v *domain.LiveVisitor) error
	VisitorOffline(ctx context.Context, v *domain.Visitor, pageAccountID string) error
	VisitorLeft(ctx context.Context, v *domain.Visitor, pageAccountID string, at time.Time) error
	VisitorMovedAway(ctx context.Context, accountID, visitorID string) error
	InvitationShown(ctx context.Context, inv *domain.Invitation) error
	InvitationAnswered(ctx context.Context, inv *domain.Invitation) error
}

// ConversationStarter opens the conversations that invitations lead to.
type ConversationStarter interface {
	StartFromInvitation(ctx context.Context, v *domain.Visitor, inv *domain.Invitation, op *domain.Operator, reply, replyID string) (*domain.Conversation, error)
	StartProactive(ctx context.Context, v *domain.Visitor, body, clientMsgID string) (*domain.Conversation, error)
}

// Live is the operator's view of the visitors on the website: the list, each visitor's details,
// invitations to chat, proactive rules, and who the visitor is.
type Live struct {
	store    LiveStore
	presence Presence
	announce Announcer
	convs    ConversationStarter
	log      *slog.Logger
	now      func() time.Time

	rulesMu sync.Mutex
	rules   map[string]cachedRules // account id → its proactive rules

	arrivalsMu      sync.Mutex
	arrivals        map[string]string // visitor id → account id, waiting to be announced
	arrivalsPending bool              // a batch is scheduled or being read

	// pageAccounts remembers, for the visitors announced from this node, the advertiser whose
	// listing each was last seen on, so that its operators hear when they go.
	pageAccountsMu sync.Mutex
	pageAccounts   map[string]string
}

type cachedRules struct {
	rules []domain.ProactiveRule
	at    time.Time
}

// rulesTTL is how long a node uses its copy of an account's proactive rules; a change made on
// another node reaches the widget within it.
const rulesTTL = 10 * time.Second

// Limits of what operators and visitors send.
const (
	MaxInvitationChars = 1000
	MaxGreetingChars   = 1000
	MaxRules           = 50
	MaxOnlineListed    = 20000
)

func NewLive(s LiveStore, p Presence, a Announcer, c ConversationStarter, log *slog.Logger) *Live {
	return &Live{store: s, presence: p, announce: a, convs: c, log: log, now: time.Now, rules: map[string]cachedRules{}}
}

// Online lists the visitors who have the widget open that the operator may see: the account's
// own, and for a portal's advertiser the portal's visitors on its listings.
func (l *Live) Online(ctx context.Context, op *domain.Operator) ([]domain.LiveVisitor, error) {
	acc, err := l.store.AccountByID(ctx, op.AccountID)
	if err != nil {
		return nil, err
	}
	source := acc.ID
	if acc.ParentID != "" {
		source = acc.ParentID
	}
	ids := l.presence.OnlineVisitors(source)
	if acc.ParentID == "" && len(ids) > MaxOnlineListed {
		ids = ids[:MaxOnlineListed]
	}
	list, err := l.store.LiveVisitors(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, lv := range list {
		if lv.AnswersHere(op.AccountID) && len(out) < MaxOnlineListed {
			lv.Online = true
			out = append(out, lv)
		}
	}
	return out, nil
}

// VisitorDetails is a visitor with the pages of this visit and their invitations.
type VisitorDetails struct {
	Visitor     domain.LiveVisitor
	Pages       []domain.PageView
	Invitations []domain.Invitation
}

// Details returns a visitor the caller may see (the caller checked), with the pages of this
// visit and their invitations.
func (l *Live) Details(ctx context.Context, id string) (*VisitorDetails, error) {
	list, err := l.store.LiveVisitors(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	lv := list[0]
	lv.Online = l.presence.VisitorOnline(id)
	pages, err := l.store.PagesOfLatestVisit(ctx, id, 100)
	if err != nil {
		return nil, err
	}
	// Oldest first: the trail as the visitor walked it.
	for i, j := 0, len(pages)-1; i < j; i, j = i+1, j-1 {
		pages[i], pages[j] = pages[j], pages[i]
	}
	invs, err := l.store.ListInvitations(ctx, id, 20)
	if err != nil {
		return nil, err
	}
	return &VisitorDetails{Visitor: lv, Pages: nonNil(pages), Invitations: invs}, nil
}

func (l *Live) visible(ctx context.Context, op *domain.Operator, id string) (*domain.LiveVisitor, error) {
	if id == "" || len(id) > 100 {
		return nil, domain.ErrNotFound
	}
	list, err := l.store.LiveVisitors(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 || !list[0].AnswersHere(op.AccountID) {
		return nil, domain.ErrNotFound
	}
	lv := &list[0]
	lv.Online = l.presence.VisitorOnline(id)
	return lv, nil
}

// ErrVisitorOffline and ErrAlreadyChatting refuse an invitation the visitor could not answer.
var (
	ErrVisitorOffline  = errors.New("the visitor has no chat window open")
	ErrAlreadyChatting = errors.New("the visitor is already chatting")
)

// Invite shows the operator's invitation in every tab of the visitor.
func (l *Live) Invite(ctx context.Context, op *domain.Operator, visitorID, message string) (*domain.Invitation, error) {
	message = strings.TrimSpace(message)
	if message == "" || utf8.RuneCountInString(message) > MaxInvitationChars {
		return nil, domain.Invalid("invalid_field", "message", "the invitation is 1 to %d characters", MaxInvitationChars)
	}
	lv, err := l.visible(ctx, op, visitorID)
	if err != nil {
		return nil, err
	}
	if !lv.Online {
		return nil, ErrVisitorOffline
	}
	if lv.Chat != nil {
		return nil, ErrAlreadyChatting
	}
	inv := &domain.Invitation{
		ID: domain.NewID(), AccountID: op.AccountID, VisitorID: visitorID, Kind: domain.InvitationByOperator,
		OperatorID: op.ID, Operator: &domain.Person{ID: op.ID, Name: op.Name, PhotoURL: op.PhotoURL},
		Message: message, Status: domain.InvitationShown, CreatedAt: l.now().UTC(),
	}
	if err := l.store.CreateInvitation(ctx, inv); err != nil {
		return nil, err
	}
	l.logged(l.announce.InvitationShown(ctx, inv), "invitation")
	return inv, nil
}

// ShowProactive records that the widget showed a proactive rule's greeting.
func (l *Live) ShowProactive(ctx context.Context, v *domain.Visitor, ruleID string) (*domain.Invitation, error) {
	rules, err := l.accountRules(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	// A greeting shown again soon after (another tab, a reload, a client that repeats itself)
	// is the same invitation, so the counts stay true and nothing piles up.
	recent, err := l.store.ListInvitations(ctx, v.ID, 1)
	if err != nil {
		return nil, err
	}
	if len(recent) == 1 && recent[0].RuleID == ruleID && recent[0].Kind == domain.InvitationByProactive &&
		l.now().Sub(recent[0].CreatedAt) < invitationShownFor {
		return &recent[0], nil
	}
	for _, r := range rules {
		if r.ID == ruleID && r.Enabled {
			inv := &domain.Invitation{
				ID: domain.NewID(), AccountID: v.AccountID, VisitorID: v.ID, Kind: domain.InvitationByProactive,
				RuleID: r.ID, Message: r.Greeting, Status: domain.InvitationShown, CreatedAt: l.now().UTC(),
			}
			return inv, l.store.CreateInvitation(ctx, inv)
		}
	}
	return nil, domain.Invalid("unknown_rule", "rule_id", "no such proactive rule")
}

// Accept answers an invitation yes: an operator's becomes a conversation with that operator; a
// proactive one a waiting conversation that starts with the visitor's message.
func (l *Live) Accept(ctx context.Context, v *domain.Visitor, id, reply, replyID string) (*domain.Conversation, error) {
	inv, err := l.ownInvitation(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if inv.Status == domain.InvitationDeclined {
		return nil, fmt.Errorf("%w: the invitation was declined", domain.ErrConflict)
	}
	var c *domain.Conversation
	if inv.Kind == domain.InvitationByOperator {
		op, err := l.store.OperatorByID(ctx, inv.OperatorID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, fmt.Errorf("%w: the operator who invited you is no longer here", domain.ErrConflict)
		}
		if err != nil {
			return nil, err
		}
		c, err = l.convs.StartFromInvitation(ctx, v, inv, op, reply, replyID)
		if err != nil {
			return nil, err
		}
	} else {
		if reply == "" {
			return nil, domain.Invalid("invalid_field", "message", "write a message to start the chat")
		}
		if c, err = l.convs.StartProactive(ctx, v, reply, replyID); err != nil {
			return nil, err
		}
	}
	if inv.Status == domain.InvitationShown {
		answered, err := l.store.AnswerInvitation(ctx, inv.ID, domain.InvitationAccepted, c.ID, l.now().UTC())
		if err != nil && !errors.Is(err, domain.ErrConflict) {
			return nil, err
		}
		if answered != nil {
			l.logged(l.announce.InvitationAnswered(ctx, answered), "invitation")
		}
	}
	return c, nil
}

// Decline answers an invitation no.
func (l *Live) Decline(ctx context.Context, v *domain.Visitor, id string) (*domain.Invitation, error) {
	inv, err := l.ownInvitation(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if inv.Status != domain.InvitationShown {
		return inv, nil // answered already, perhaps in another tab
	}
	answered, err := l.store.AnswerInvitation(ctx, id, domain.InvitationDeclined, "", l.now().UTC())
	if errors.Is(err, domain.ErrConflict) {
		return l.store.InvitationByID(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	l.logged(l.announce.InvitationAnswered(ctx, answered), "invitation")
	return answered, nil
}

func (l *Live) ownInvitation(ctx context.Context, v *domain.Visitor, id string) (*domain.Invitation, error) {
	if id == "" || len(id) > 100 {
		return nil, domain.ErrNotFound
	}
	inv, err := l.store.InvitationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if inv.VisitorID != v.ID {
		return nil, domain.ErrNotFound
	}
	return inv, nil
}

// Stats counts the account's invitations of the last 30 days.
func (l *Live) Stats(ctx context.Context, op *domain.Operator) (*domain.InvitationStats, error) {
	return l.store.InvitationStats(ctx, op.AccountID, l.now().Add(-30*24*time.Hour))
}

// Identify records who the visitor says they are. A visitor whose e-mail an earlier visitor of
// the account has is taken for the same person on another device: operators then see one
// history (visits and chats of both). Nothing is merged on the visitor's side: the address is
// not verified, so typing someone's e-mail must never open their chats.
func (l *Live) Identify(ctx context.Context, v *domain.Visitor, name, email string) (string, error) {
	if name == "" && email == "" {
		return v.ID, nil
	}
	if err := l.store.SetVisitorIdentity(ctx, v.ID, name, email); err != nil {
		return "", err
	}
	if email != "" {
		other, err := l.store.VisitorByEmail(ctx, v.AccountID, email, v.ID)
		switch {
		case errors.Is(err, domain.ErrNotFound):
		case err != nil:
			return "", err
		case other.CreatedAt.Before(v.CreatedAt) || (other.CreatedAt.Equal(v.CreatedAt) && other.ID < v.ID):
			if err := l.store.LinkVisitor(ctx, v.ID, other.ID); err != nil {
				return "", err
			}
			l.log.Info("visitor is a returning person", "visitor_id", v.ID, "same_as", other.ID)
		default:
			if err := l.store.LinkVisitor(ctx, other.ID, v.ID); err != nil {
				return "", err
			}
		}
	}
	l.Refresh(ctx, v.ID)
	return v.ID, nil
}

// Refresh tells the console about a visitor whose page, identity or chat changed, when the
// visitor is online and someone is watching.
func (l *Live) Refresh(ctx context.Context, visitorID string) {
	if !l.presence.VisitorOnline(visitorID) {
		return
	}
	list, err := l.store.LiveVisitors(ctx, []string{visitorID})
	if err != nil || len(list) == 0 {
		l.logged(err, "visitor refresh")
		return
	}
	if !l.watched(&list[0]) {
		return
	}
	list[0].Online = true
	l.publish(ctx, "updated", &list[0])
}

// VisitorOnline, VisitorOffline and VisitorLeft follow the visitor's tabs (live.VisitorEvents).
// Arrivals are announced in batches: a burst of visitors (a node restarting, a newsletter going
// out) costs one read per few hundred visitors, not one each. One batch is read at a time: the
// arrivals of a slow read wait for the next batch rather than start reads of their own, which
// would pile up on the store's pool just when it is slow.
func (l *Live) VisitorOnline(_ context.Context, v *domain.Visitor) {
	l.arrivalsMu.Lock()
	defer l.arrivalsMu.Unlock()
	if l.arrivals == nil {
		l.arrivals = map[string]string{}
	}
	l.arrivals[v.ID] = v.AccountID
	if !l.arrivalsPending {
		l.arrivalsPending = true
		time.AfterFunc(arrivalBatchDelay, l.announceArrivals)
	}
}

// arrivalBatchDelay is how long an arrival waits for others to share its read.
const arrivalBatchDelay = 50 * time.Millisecond

// announceArrivals announces the arrivals waiting, then schedules the next batch if more came
// meanwhile; until then arrivalsPending stays set, so no other read starts.
func (l *Live) announceArrivals() {
	l.arrivalsMu.Lock()
	batch := l.arrivals
	l.arrivals = nil
	l.arrivalsMu.Unlock()

	l.announceBatch(batch)

	l.arrivalsMu.Lock()
	defer l.arrivalsMu.Unlock()
	if len(l.arrivals) == 0 {
		l.arrivalsPending = false
		return
	}
	time.AfterFunc(arrivalBatchDelay, l.announceArrivals)
}

func (l *Live) announceBatch(batch map[string]string) {
	ids := make([]string, 0, len(batch))
	for id := range batch {
		ids = append(ids, id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := l.store.LiveVisitors(ctx, ids)
	if err != nil {
		l.logged(err, "visitors online")
		return
	}
	for i := range list {
		// A visitor who closed the tab again while the batch waited is not announced.
		if !l.watched(&list[i]) || !l.presence.VisitorOnline(list[i].ID) {
			continue
		}
		list[i].Online = true
		l.publish(ctx, "online", &list[i])
	}
}

// watched reports whether any operator could see the visitor: of the visitor's account, or of
// the advertiser whose listing the visitor is on.
func (l *Live) watched(lv *domain.LiveVisitor) bool {
	return l.presence.OperatorsConnected(lv.AccountID) || (lv.PageAccountID != "" && l.presence.OperatorsConnected(lv.PageAccountID))
}

func (l *Live) VisitorOffline(ctx context.Context, v *domain.Visitor) {
	l.logged(l.announce.VisitorOffline(ctx, v, l.pageAccountOf(v.ID)), "visitor offline")
}

// pageAccountOf is the advertiser whose listing the visitor was last announced on, from here.
func (l *Live) pageAccountOf(visitorID string) string {
	l.pageAccountsMu.Lock()
	defer l.pageAccountsMu.Unlock()
	return l.pageAccounts[visitorID]
}

// VisitorElsewhere forgets what this node kept for a visitor another node now holds.
func (l *Live) VisitorElsewhere(v *domain.Visitor) {
	l.pageAccountsMu.Lock()
	delete(l.pageAccounts, v.ID)
	l.pageAccountsMu.Unlock()
}

func (l *Live) VisitorLeft(ctx context.Context, v *domain.Visitor) {
	l.pageAccountsMu.Lock()
	pageAccount := l.pageAccounts[v.ID]
	delete(l.pageAccounts, v.ID)
	l.pageAccountsMu.Unlock()
	l.logged(l.announce.VisitorLeft(ctx, v, pageAccount, l.now()), "visitor left")
}

// publish announces a visitor's change, and tells the advertiser whose listing the visitor just
// left that they are gone from its view.
func (l *Live) publish(ctx context.Context, event string, lv *domain.LiveVisitor) {
	l.pageAccountsMu.Lock()
	if l.pageAccounts == nil {
		l.pageAccounts = map[string]string{}
	}
	before := l.pageAccounts[lv.ID]
	if lv.PageAccountID != "" {
		l.pageAccounts[lv.ID] = lv.PageAccountID
	} else {
		delete(l.pageAccounts, lv.ID)
	}
	l.pageAccountsMu.Unlock()
	if before != "" && before != lv.PageAccountID {
		l.logged(l.announce.VisitorMovedAway(ctx, before, lv.ID), "visitor moved away")
	}
	l.logged(l.announce.VisitorChanged(ctx, event, lv), "visitor "+event)
}

func (l *Live) logged(err error, what string) {
	if err != nil {
		l.log.Warn("live visitor event not published", "event", what, "err", err)
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// pageViewed follows a stored page view: the console hears of the visitor's new page, and the
// widget learns whether a proactive rule greets the visitor here. The visitor is read only when
// one of the two needs it.
func (l *Live) pageViewed(ctx context.Context, v *domain.Visitor, pageURL, pageAccountID string) (*Proactive, error) {
	rules, err := l.accountRules(ctx, v.AccountID)
	if err != nil {
		return nil, err
	}
	watched := l.presence.VisitorOnline(v.ID) && (l.presence.OperatorsConnected(v.AccountID) ||
		(pageAccountID != "" && l.presence.OperatorsConnected(pageAccountID)) || l.pageAccountOf(v.ID) != "")
	if len(rules) == 0 && !watched {
		return nil, nil
	}
	list, err := l.store.LiveVisitors(ctx, []string{v.ID})
	if err != nil || len(list) == 0 {
		return nil, err
	}
	lv := &list[0]
	if watched {
		lv.Online = true
		l.publish(ctx, "updated", lv)
	}
	if len(rules) == 0 || lv.Chat != nil || lv.Visit == nil {
		return nil, nil
	}
	return l.ProactiveFor(ctx, v.AccountID, pageURL, lv.Visit.PageCount)
}

// VisitorWrote picks up a name or e-mail the visitor typed in a chat message, when it is news.
func (l *Live) VisitorWrote(ctx context.Context, v *domain.Visitor, body string) {
	name, email := IdentityInText(body)
	if name == v.Name || v.Name != "" {
		name = ""
	}
	if email == v.Email {
		email = ""
	}
	if name == "" && email == "" {
		return
	}
	if _, err := l.Identify(ctx, v, name, email); err != nil {
		l.log.Warn("identity from a message not recorded", "visitor_id", v.ID, "err", err)
	}
}

// invitationShownFor is how long an operator's unanswered invitation follows the visitor from
// page to page; after that the operator has moved on.
const invitationShownFor = 10 * time.Minute

// stillShown returns the visitor's latest invitation if it is an operator's still waiting for an
// answer, else nil.
func (l *Live) stillShown(inv *domain.Invitation) *domain.Invitation {
	if inv.Kind != domain.InvitationByOperator || inv.Status != domain.InvitationShown || l.now().Sub(inv.CreatedAt) > invitationShownFor {
		return nil
	}
	return inv
}
