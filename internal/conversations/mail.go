package conversations

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// MailStore is what closing with a category and the visitor's transcript need.
type MailStore interface {
	CategoryByID(ctx context.Context, id string) (*domain.Category, error)
	ConversationOperators(ctx context.Context, conversationID string) ([]domain.Operator, error)
	EnqueueVisitorTranscript(ctx context.Context, m domain.OutboxMail, visitorID string, now time.Time, limits store.TranscriptLimits) error
}

// TranscriptLimits bound the transcripts visitors may ask for: 5 an hour per visitor, and 5 an
// hour to any one address whoever asks (a visitor token costs nothing, so the address must be
// protected on its own).
var TranscriptLimits = store.TranscriptLimits{Window: time.Hour, PerVisitor: 5, PerRecipient: 5}

// closeMails is the mail that closing c sends, queued with the close: the whole transcript to
// the category's address, and a copy to each operator who took part and set a transcript
// e-mail. Each address gets one copy. A category must be one of the conversation's account.
func (s *Service) closeMails(ctx context.Context, c *domain.Conversation, categoryID string, at time.Time) ([]domain.OutboxMail, error) {
	var mails []domain.OutboxMail
	seen := map[string]bool{}
	add := func(kind domain.MailKind, to, category string) {
		if seen[strings.ToLower(to)] {
			return
		}
		seen[strings.ToLower(to)] = true
		m := domain.NewMail(kind, c.AccountID, to, at)
		m.ConversationID = c.ID
		m.Params.Category = category
		mails = append(mails, m)
	}
	if categoryID != "" {
		cat, err := s.store.CategoryByID(ctx, categoryID)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		if err != nil || cat.AccountID != c.AccountID {
			return nil, domain.Invalid("invalid_field", "category_id", "no such category in this conversation's account")
		}
		add(domain.MailTranscriptCategory, cat.Email, cat.Name)
	}
	ops, err := s.store.ConversationOperators(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range ops {
		if o.TranscriptEmail != "" {
			add(domain.MailTranscriptOperator, o.TranscriptEmail, "")
		}
	}
	return mails, nil
}

func (s *Service) mailQueued(mails []domain.OutboxMail) {
	if len(mails) > 0 && s.MailQueued != nil {
		s.MailQueued()
	}
}

// RequestTranscript queues the transcript of the visitor's own conversation, as it stands now,
// for the address they give. Others' conversations are not found; too many requests are
// ErrRateLimited.
func (s *Service) RequestTranscript(ctx context.Context, v *domain.Visitor, id, email string) error {
	c, err := s.ForVisitor(ctx, v, id)
	if err != nil {
		return err
	}
	email = strings.TrimSpace(email)
	if _, clean, err := CleanIdentity("", email); err != nil {
		return err
	} else if clean == "" {
		return domain.Invalid("invalid_field", "email", "an e-mail address is required")
	}
	now := s.now().UTC()
	m := domain.NewMail(domain.MailTranscriptVisitor, c.AccountID, email, now)
	m.ConversationID = c.ID
	m.Params.UpToSeq = c.LastSeq
	if err := s.store.EnqueueVisitorTranscript(ctx, m, v.ID, now, TranscriptLimits); err != nil {
		return err
	}
	s.mailQueued([]domain.OutboxMail{m})
	s.log.Info("transcript requested", "conversation_id", c.ID, "visitor_id", v.ID)
	return nil
}
