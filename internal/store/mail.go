package store

import (
	"context"
	"time"

	"github.com/portico/portico/internal/domain"
)

// TranscriptLimits bound how many transcripts visitors may have sent, counted in the outbox
// over the Window before now: per visitor, and per recipient address whoever asks.
type TranscriptLimits struct {
	Window       time.Duration
	PerVisitor   int
	PerRecipient int
}

// MailStore is the outbox, categories and who receives offline messages.
type MailStore interface {
	CreateCategory(ctx context.Context, c *domain.Category) error
	CategoryByID(ctx context.Context, id string) (*domain.Category, error)
	ListCategories(ctx context.Context, accountID string) ([]domain.Category, error)
	UpdateCategory(ctx context.Context, c *domain.Category) error
	DeleteCategory(ctx context.Context, accountID, id string) error

	// ConversationOperators lists the operators who took part in a conversation, including
	// those who have left it, without deleted ones.
	ConversationOperators(ctx context.Context, conversationID string) ([]domain.Operator, error)

	// OfflineRecipientIDs lists the operators of the account chosen to receive offline messages.
	OfflineRecipientIDs(ctx context.Context, accountID string) ([]string, error)
	// SetOfflineRecipients chooses exactly these operators; an id that is not an operator of the
	// account is ErrNotFound and changes nothing.
	SetOfflineRecipients(ctx context.Context, accountID string, operatorIDs []string) error
	OfflineMessageByID(ctx context.Context, id string) (*domain.OfflineMessage, error)

	// EnqueueVisitorTranscript queues a transcript a visitor asked for, unless the limits are
	// reached (ErrRateLimited). Counting and queueing are one transaction.
	EnqueueVisitorTranscript(ctx context.Context, m domain.OutboxMail, visitorID string, now time.Time, limits TranscriptLimits) error
	// DueMail lists unsent mail whose next attempt is due, oldest due first.
	DueMail(ctx context.Context, now time.Time, limit int) ([]domain.OutboxMail, error)
	// ClaimMail takes a due mail for one attempt: it moves next_attempt_at from due (the value
	// DueMail read) to lease and counts the attempt. Of several claims of the same row exactly
	// one succeeds; the others get false.
	ClaimMail(ctx context.Context, id string, due, lease time.Time) (bool, error)
	MailSent(ctx context.Context, id string, at time.Time) error
	// MailFailed records a failed attempt: the next one is at next, or none when giveUp.
	MailFailed(ctx context.Context, id string, at, next time.Time, lastError string, giveUp bool) error
	MailByID(ctx context.Context, id string) (*domain.OutboxMail, error)
	// ConversationMail lists the mail about a conversation, oldest first.
	ConversationMail(ctx context.Context, conversationID string) ([]domain.OutboxMail, error)
	// OutboxDepth counts the mail that is neither sent nor given up.
	OutboxDepth(ctx context.Context) (int, error)
}
