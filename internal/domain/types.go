package domain

import (
	"crypto/subtle"
	"time"
)

// AccountKind tells a website from a portal and a portal's advertisers.
type AccountKind string

const (
	KindWebsite    AccountKind = "website"
	KindPortal     AccountKind = "portal"
	KindAdvertiser AccountKind = "advertiser"
)

func (k AccountKind) Valid() bool {
	return k == KindWebsite || k == KindPortal || k == KindAdvertiser
}

type Account struct {
	ID             string         `json:"id"`
	Kind           AccountKind    `json:"kind"`
	Name           string         `json:"name"`
	Key            string         `json:"key"`
	ParentID       string         `json:"parent_id,omitempty"`
	ExternalID     string         `json:"external_id,omitempty"`
	AllowedOrigins []string       `json:"allowed_origins"`
	Settings       map[string]any `json:"settings"`
	Locked         []string       `json:"locked"`
	CreatedAt      time.Time      `json:"created_at"`
}

type Role string

const (
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

func (r Role) Valid() bool { return r == RoleAdmin || r == RoleAgent }

type OperatorStatus string

const (
	StatusOnline  OperatorStatus = "online"
	StatusAway    OperatorStatus = "away"
	StatusOffline OperatorStatus = "offline"
)

func (s OperatorStatus) Valid() bool {
	return s == StatusOnline || s == StatusAway || s == StatusOffline
}

type Operator struct {
	ID        string         `json:"id"`
	AccountID string         `json:"account_id"`
	Email     string         `json:"email"`
	Name      string         `json:"name"`
	Role      Role           `json:"role"`
	Status    OperatorStatus `json:"status"`
	PhotoURL  string         `json:"photo_url"`
	Phone     string         `json:"phone"`
	// TranscriptEmail receives a copy of every chat the operator took part in.
	TranscriptEmail string `json:"transcript_email"`
	// NotifyColleaguePickup: tell me when a colleague picks up a chat I was alerted to.
	NotifyColleaguePickup bool      `json:"notify_colleague_pickup"`
	AlertSound            bool      `json:"alert_sound"`
	PasswordHash          string    `json:"-"`
	CreatedAt             time.Time `json:"created_at"`
}

// Person is how a participant is shown to the other side: enough to render a name and a photo.
type Person struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	PhotoURL string `json:"photo_url,omitempty"`
}

type Visitor struct {
	ID          string    `json:"id"`
	AccountID   string    `json:"account_id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Online      bool      `json:"online"`
	CreatedAt   time.Time `json:"created_at"`
	LastSeenAt  time.Time `json:"last_seen_at"`
	Visits      int       `json:"visits"`
	CurrentPage *PageView `json:"current_page"`
	TokenHash   string    `json:"-"`
}

type Visit struct {
	ID        string    `json:"id"`
	VisitorID string    `json:"visitor_id"`
	AccountID string    `json:"account_id"`
	StartedAt time.Time `json:"started_at"`
	LastAt    time.Time `json:"last_at"`
	UserAgent string    `json:"user_agent"`
	Language  string    `json:"language"`
}

type PageView struct {
	ID        string    `json:"-"`
	VisitID   string    `json:"-"`
	VisitorID string    `json:"-"`
	URL       string    `json:"url"`
	Title     string    `json:"title"`
	Referrer  string    `json:"referrer"`
	ViewedAt  time.Time `json:"viewed_at"`
}

type Listing struct {
	ID         string `json:"id"`
	AccountID  string `json:"-"`
	ExternalID string `json:"-"`
	Title      string `json:"title"`
	URL        string `json:"url"`
}

type ConversationStatus string

const (
	ConversationWaiting ConversationStatus = "waiting"
	ConversationActive  ConversationStatus = "active"
	ConversationClosed  ConversationStatus = "closed"
)

func (s ConversationStatus) Valid() bool {
	return s == ConversationWaiting || s == ConversationActive || s == ConversationClosed
}

type Conversation struct {
	ID           string             `json:"id"`
	AccountID    string             `json:"account_id"`
	VisitorID    string             `json:"visitor_id"`
	Status       ConversationStatus `json:"status"`
	OwnerID      string             `json:"owner_id"`
	Owner        *Person            `json:"owner"`
	Participants []Person           `json:"participants"`
	Listing      *Listing           `json:"listing"`
	Advertiser   *AdvertiserRef     `json:"advertiser"`
	CategoryID   string             `json:"category_id"`
	Flagged      bool               `json:"flagged"`
	Meaningful   bool               `json:"meaningful"`
	Visitor      VisitorSummary     `json:"visitor"`
	CreatedAt    time.Time          `json:"created_at"`
	ClosedAt     *time.Time         `json:"closed_at"`
	LastSeq      int64              `json:"last_seq"`
	LastMessage  *MessagePreview    `json:"last_message"`
	// RoutedTo are the operators a routing rule gave the chat to; empty means everyone.
	RoutedTo []string `json:"routed_to"`
}

// HasParticipant reports whether the operator owns or was invited into the conversation.
func (c *Conversation) HasParticipant(operatorID string) bool {
	if c.OwnerID == operatorID {
		return true
	}
	for _, p := range c.Participants {
		if p.ID == operatorID {
			return true
		}
	}
	return false
}

// AdvertiserRef names the portal advertiser a conversation is with.
type AdvertiserRef struct {
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
}

type VisitorSummary struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

type MessagePreview struct {
	Body       string     `json:"body"`
	AuthorType AuthorType `json:"author_type"`
	CreatedAt  time.Time  `json:"created_at"`
}

type AuthorType string

const (
	AuthorVisitor  AuthorType = "visitor"
	AuthorOperator AuthorType = "operator"
	AuthorSystem   AuthorType = "system"
)

type Author struct {
	Type     AuthorType `json:"type"`
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	PhotoURL string     `json:"photo_url,omitempty"`
}

type Message struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	Author         Author    `json:"author"`
	Body           string    `json:"body"`
	ClientMsgID    string    `json:"client_msg_id"`
	CreatedAt      time.Time `json:"created_at"`
}

type OfflineMessage struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	VisitorID string    `json:"visitor_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is an operator's login; only a hash of its token is stored.
type Session struct {
	TokenHash  string
	OperatorID string
	CSRFToken  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// CSRFMatches reports whether a request's CSRF token is the session's, in constant time.
func (s *Session) CSRFMatches(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRFToken)) == 1
}
