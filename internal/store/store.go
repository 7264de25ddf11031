// Package store defines Portico's persistence contract. Backends live in store/sqlite and
// store/postgres; both run the same suite in store/storetest.
package store

import (
	"context"
	"time"

	"github.com/portico/portico/internal/domain"
)

// ConversationFilter narrows a conversation list. AccountIDs is required: it is the tenant wall.
type ConversationFilter struct {
	AccountIDs []string
	// AdvertisersOf adds the conversations of every advertiser of this portal. A portal may
	// have tens of thousands: the database finds them, rather than the query naming them all.
	AdvertisersOf string
	Status        domain.ConversationStatus
	VisitorID     string
	// VisibleTo limits the list to what an agent may see: waiting chats and the ones they take part in.
	VisibleTo string
	// RoutedTo limits the list to chats routed to, owned by or shared with this operator (a
	// portal's backup operator looking at its advertisers' chats).
	RoutedTo string
	Limit    int
}

// Tenant is what an operator may see: their own account and, for a portal's admins, every
// advertiser of the portal (AdvertisersOf).
type Tenant struct {
	AccountID     string
	AdvertisersOf string
}

// PageViewInput is one page shown to a visitor; a new visit starts after VisitGap of silence.
type PageViewInput struct {
	VisitorID string
	AccountID string
	URL       string
	Title     string
	Referrer  string
	UserAgent string
	Language  string
	At        time.Time
	// Visit describes the visit when this page view starts one: source, device, place, address.
	Visit domain.VisitInfo
	// PageAccountID is the account that answers on this page (a portal's advertiser on its
	// listing page), when it is not AccountID.
	PageAccountID string
	// NewVisitor, when set, is the visitor whose first page this is, stored by the same write:
	// a new visitor then costs no write of its own.
	NewVisitor *domain.Visitor
}

// VisitGap is how long a visitor may be silent before their next page view starts a new visit.
const VisitGap = 30 * time.Minute

type Store interface {
	TeamStore
	CollaborationStore
	MailStore
	PortalAuthStore
	PortalStore
	VisitorStore

	Close() error
	Migrate(ctx context.Context) error
	Ping(ctx context.Context) error

	CreateAccount(ctx context.Context, a *domain.Account) error
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	AccountByKey(ctx context.Context, key string) (*domain.Account, error)
	// AccountOrigins is the account's allowed origins (AccountByID's AllowedOrigins) for the
	// check on every widget request. The list may be shared: the caller must not change it.
	AccountOrigins(ctx context.Context, id string) ([]string, error)
	AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error)

	CreateOperator(ctx context.Context, o *domain.Operator) error
	OperatorByID(ctx context.Context, id string) (*domain.Operator, error)
	OperatorByEmail(ctx context.Context, email string) (*domain.Operator, error)
	ListOperators(ctx context.Context, accountID string) ([]domain.Operator, error)
	SetOperatorStatus(ctx context.Context, id string, status domain.OperatorStatus) error
	SetOperatorPassword(ctx context.Context, id, passwordHash string) error

	CreateSession(ctx context.Context, s *domain.Session) error
	// SessionByTokenHash finds a live session and its operator (ErrNotFound when it expired or the
	// operator was deleted).
	SessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (*domain.Session, *domain.Operator, error)
	DeleteSession(ctx context.Context, tokenHash string) error

	CreateVisitor(ctx context.Context, v *domain.Visitor) error
	// VisitorByTokenHash finds the visitor a token belongs to (without Visits and CurrentPage).
	VisitorByTokenHash(ctx context.Context, tokenHash string) (*domain.Visitor, error)
	// ReturningVisitor is VisitorByTokenHash with the visitor's latest invitation (nil when there
	// is none), read together: what a page view of a returning visitor needs.
	ReturningVisitor(ctx context.Context, tokenHash string) (*domain.Visitor, *domain.Invitation, error)
	VisitorByID(ctx context.Context, id string) (*domain.Visitor, error)
	SetVisitorIdentity(ctx context.Context, id, name, email string) error
	RecordPageView(ctx context.Context, in PageViewInput) error
	// RecordReturningPageView is RecordPageView for a visitor already stored, with the visitor's
	// latest invitation (nil for none) read in the same round trip, after the write.
	RecordReturningPageView(ctx context.Context, in PageViewInput) (*domain.Invitation, error)
	PagesOfLatestVisit(ctx context.Context, visitorID string, limit int) ([]domain.PageView, error)

	UpsertListing(ctx context.Context, l *domain.Listing) error

	// CreateConversation stores a waiting conversation together with its first message (active,
	// when it already has an owner: an accepted invitation). A second
	// start by the same visitor with the same first client_msg_id is ErrConflict.
	CreateConversation(ctx context.Context, c *domain.Conversation, first *domain.Message) error
	ConversationByID(ctx context.Context, id string) (*domain.Conversation, error)
	// ConversationAccess reads only the conversation's ID, AccountID, VisitorID, Status, OwnerID,
	// RoutedTo and the IDs of its Participants (without their names): what decides who may
	// write in it and who hears of it.
	ConversationAccess(ctx context.Context, id string) (*domain.Conversation, error)
	// VisitorAndConversationAccess is VisitorByTokenHash and ConversationAccess read together,
	// for a visitor's message. The visitor is nil when no visitor has the token, the
	// conversation nil when there is no such conversation; neither is an error.
	VisitorAndConversationAccess(ctx context.Context, tokenHash, conversationID string) (*domain.Visitor, *domain.Conversation, error)
	// ConversationByStart finds the conversation a visitor started with this first client_msg_id.
	ConversationByStart(ctx context.Context, visitorID, clientMsgID string) (*domain.Conversation, error)
	ListConversations(ctx context.Context, f ConversationFilter) ([]domain.Conversation, error)
	// ClaimConversation makes the operator the owner of a waiting conversation. Exactly one of
	// several concurrent claims succeeds; the others get a *domain.ClaimedError.
	ClaimConversation(ctx context.Context, id, operatorID string, at time.Time) (*domain.Conversation, error)
	// CloseConversation closes the conversation and queues its mails in the same transaction.
	CloseConversation(ctx context.Context, id, categoryID string, at time.Time, mails []domain.OutboxMail) (*domain.Conversation, error)
	// AppendMessage gives the message the conversation's next seq. A message whose author and
	// ClientMsgID were already stored is not stored again: the original is returned with created=false.
	AppendMessage(ctx context.Context, m *domain.Message) (stored *domain.Message, created bool, err error)
	// AppendVisitorMessage and AppendOperatorMessage are AppendMessage for a sender who may write
	// only while taking part, checked by the write's own statements so that no read has to come
	// first: a visitor (m.Author.ID) in their own conversation; the operator of a live session
	// as the conversation's owner or a current participant, with the session's CSRF token when
	// the proof says so. The conversation's access, and the visitor's row or the session with its
	// operator, are read in the same round trip, after the write. The author's name (and an
	// operator's id) are taken from the database. A refusal stores nothing and is not an error:
	// the caller tells why from what was read.
	AppendVisitorMessage(ctx context.Context, m *domain.Message) (*AppendResult, error)
	AppendOperatorMessage(ctx context.Context, m *domain.Message, proof SessionProof) (*AppendResult, error)
	MessagesAfter(ctx context.Context, conversationID string, afterSeq int64, limit int) ([]domain.Message, error)

	// CreateOfflineMessage stores the message and queues its mails in the same transaction.
	CreateOfflineMessage(ctx context.Context, m *domain.OfflineMessage, mails []domain.OutboxMail) error
	ListOfflineMessages(ctx context.Context, accountID string, limit int) ([]domain.OfflineMessage, error)
}

// AppendResult is what AppendMessageIn did and read.
type AppendResult struct {
	// Message is the stored message, or the original of a repeated client_msg_id; nil when the
	// message was refused.
	Message *domain.Message
	Created bool
	// Conversation is the conversation's access as read after the write; nil when there is no
	// such conversation.
	Conversation *domain.Conversation
	// Visitor is the visitor's row, read with a visitor's message; nil for an operator's or
	// when there is no such visitor.
	Visitor *domain.Visitor
	// Session and Operator are the live session of an operator's message and its operator; nil
	// for a visitor's or when the token has no live session.
	Session  *domain.Session
	Operator *domain.Operator
}

// SessionProof is what an operator's request shows for itself: the hash of its session token,
// the time it is checked at and, for a request signed in by the console's cookie, the CSRF
// token it carries.
type SessionProof struct {
	TokenHash string
	Now       time.Time
	CheckCSRF bool
	CSRFToken string
}
