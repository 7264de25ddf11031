// Package conversations is where chats happen: starting one, claiming it (first come, first
// served), sending messages with gap-free seq and idempotent client ids, and closing it.
package conversations

import (
	"context"
	"log/slog"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/metrics"
	"github.com/portico/portico/internal/store"
)

// Store is the part of the store this package needs.
type Store interface {
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error)
	UpsertListing(ctx context.Context, l *domain.Listing) error
	SetVisitorIdentity(ctx context.Context, id, name, email string) error
	CreateConversation(ctx context.Context, c *domain.Conversation, first *domain.Message) error
	ConversationByID(ctx context.Context, id string) (*domain.Conversation, error)
	ConversationAccess(ctx context.Context, id string) (*domain.Conversation, error)
	ConversationByStart(ctx context.Context, visitorID, clientMsgID string) (*domain.Conversation, error)
	ListConversations(ctx context.Context, f store.ConversationFilter) ([]domain.Conversation, error)
	ClaimConversation(ctx context.Context, id, operatorID string, at time.Time) (*domain.Conversation, error)
	// CloseConversation closes the conversation and queues its mail in the same transaction.
	CloseConversation(ctx context.Context, id, categoryID string, at time.Time, mails []domain.OutboxMail) (*domain.Conversation, error)
	MailStore
	AppendMessage(ctx context.Context, m *domain.Message) (*domain.Message, bool, error)
	AppendVisitorMessage(ctx context.Context, m *domain.Message) (*store.AppendResult, error)
	AppendOperatorMessage(ctx context.Context, m *domain.Message, proof store.SessionProof) (*store.AppendResult, error)
	MessagesAfter(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]domain.Message, error)
	OperatorTookPart(ctx context.Context, conversationID, operatorID string) (bool, error)
}

// Notifier announces committed changes to live clients.
type Notifier interface {
	ConversationChanged(ctx context.Context, c *domain.Conversation, event string, by *domain.Person) error
	MessageAdded(ctx context.Context, c *domain.Conversation, m *domain.Message) error
	Typing(ctx context.Context, c *domain.Conversation, author domain.Author, typing bool) error
}

type Service struct {
	store  Store
	notify Notifier
	log    *slog.Logger
	now    func() time.Time
	// Metrics, when set, counts the messages stored.
	Metrics *metrics.Metrics
	// MailQueued, when set, is told after a commit that queued mail (it wakes the mail worker).
	MailQueued func()
	// Router, when set, routes new conversations by the account's rules.
	Router Router
	// Portal, when set, routes advertisers' chats to listing agents and backup operators.
	Portal PortalRouter
	// Activity, when set, hears of operators' messages (seats in use).
	Activity ActivityRecorder
	// Identity, when set, hears who visitors say they are: the pre-chat form and their messages.
	Identity IdentityListener
}

// IdentityListener keeps the visitor's name and e-mail, and the console's visitor list, current.
type IdentityListener interface {
	Identify(ctx context.Context, v *domain.Visitor, name, email string) (string, error)
	VisitorWrote(ctx context.Context, v *domain.Visitor, body string)
}

func NewService(s Store, n Notifier, log *slog.Logger) *Service {
	return &Service{store: s, notify: n, log: log, now: time.Now}
}

// announce sends live events; a failure there never undoes a committed change, because clients
// catch up from the store, so it is logged rather than returned.
func (s *Service) announce(err error, what string, conversationID string) {
	if err != nil {
		s.log.Warn("live event not published", "event", what, "conversation_id", conversationID, "err", err)
	}
}
