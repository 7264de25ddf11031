package domain

import (
	"errors"
	"time"
)

// ErrRateLimited refuses a request that came too often; the caller may try again later.
var ErrRateLimited = errors.New("rate limited")

// Category sorts closed chats. Closing a chat with a category e-mails its whole transcript to
// the category's address.
type Category struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
}

// MailKind says what an outbox row is and how it is rendered.
type MailKind string

const (
	// MailTranscriptCategory is a closed chat's transcript for its category's address.
	MailTranscriptCategory MailKind = "transcript_category"
	// MailTranscriptOperator is the copy for an operator who took part and set a transcript e-mail.
	MailTranscriptOperator MailKind = "transcript_operator"
	// MailTranscriptVisitor is the transcript a visitor asked for.
	MailTranscriptVisitor MailKind = "transcript_visitor"
	// MailOfflineMessage is a message a visitor left while nobody was online.
	MailOfflineMessage MailKind = "offline_message"
	// MailPortalAuthProblem tells a portal's admin that its authentication server failed.
	MailPortalAuthProblem MailKind = "portal_auth_problem"
)

func (k MailKind) Valid() bool {
	switch k {
	case MailTranscriptCategory, MailTranscriptOperator, MailTranscriptVisitor, MailOfflineMessage, MailPortalAuthProblem:
		return true
	}
	return false
}

// OutboxMail is one e-mail waiting to be sent, or sent. It is written in the same transaction
// as the change that causes it and refers to what it is about; it is rendered when it is sent.
type OutboxMail struct {
	ID               string
	Kind             MailKind
	AccountID        string
	Recipient        string // one address
	ConversationID   string // transcripts
	OfflineMessageID string // offline messages
	Params           MailParams
	Attempts         int
	NextAttemptAt    time.Time
	LastError        string
	SentAt           *time.Time
	FailedAt         *time.Time // given up
	CreatedAt        time.Time
}

// MailParams are what a mail needs beyond the row it refers to.
type MailParams struct {
	// Category is the category's name when the chat was closed.
	Category string `json:"category,omitempty"`
	// UpToSeq ends a transcript at this message (0: all of them).
	UpToSeq int64 `json:"up_to_seq,omitempty"`
	// Problem and Detail describe a portal authentication problem (domain.Problem* kinds).
	Problem string `json:"problem,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// NewMail is an outbox row ready to be sent now.
func NewMail(kind MailKind, accountID, recipient string, at time.Time) OutboxMail {
	return OutboxMail{ID: NewID(), Kind: kind, AccountID: accountID, Recipient: recipient, NextAttemptAt: at, CreatedAt: at}
}
