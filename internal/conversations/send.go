package conversations

import (
	"context"
	"fmt"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// send validates and stores a message, and only then announces it: a message is acknowledged
// (and delivered) only after its commit.
func (s *Service) send(ctx context.Context, c *domain.Conversation, author domain.Author, body, clientMsgID string) (*domain.Message, bool, error) {
	m, err := s.newMessage(c.ID, author, body, clientMsgID)
	if err != nil {
		return nil, false, err
	}
	stored, created, err := s.store.AppendMessage(ctx, m)
	if err != nil {
		return nil, false, err
	}
	stored.Author.PhotoURL = author.PhotoURL
	if created {
		s.stored(ctx, c, stored)
	}
	return stored, created, nil
}

// newMessage validates a message about to be sent.
func (s *Service) newMessage(conversationID string, author domain.Author, body, clientMsgID string) (*domain.Message, error) {
	body, err := CleanBody(body)
	if err != nil {
		return nil, err
	}
	if err := checkClientMsgID(clientMsgID); err != nil {
		return nil, err
	}
	return &domain.Message{
		ID:             domain.NewID(),
		ConversationID: conversationID,
		Author:         author,
		Body:           body,
		ClientMsgID:    clientMsgID,
		CreatedAt:      s.now().UTC(),
	}, nil
}

// stored counts and announces a message just committed in c.
func (s *Service) stored(ctx context.Context, c *domain.Conversation, m *domain.Message) {
	s.countMessage(m.Author.Type)
	s.announce(s.notify.MessageAdded(ctx, c, m), "message", c.ID)
}

// unstored explains why a message written with its sender's check (AppendVisitorMessage,
// AppendOperatorMessage) stored nothing new, once the sender is known to take part: a closed
// conversation, or a repeated client id (the original is the answer).
func unstored(m *domain.Message, res *store.AppendResult) (*domain.Message, bool, error) {
	if res.Conversation.Status == domain.ConversationClosed {
		return nil, false, domain.ErrClosed
	}
	if res.Message != nil {
		return res.Message, false, nil
	}
	// The write was refused, and the access read a moment later allows it: the sender joined
	// in between. Nothing was stored; the client's retry with the same id will be.
	return nil, false, fmt.Errorf("message %s not stored: %w", m.ID, domain.ErrConflict)
}

func (s *Service) countMessage(author domain.AuthorType) {
	if s.Metrics != nil {
		s.Metrics.Messages.WithLabelValues(string(author)).Inc()
	}
}
