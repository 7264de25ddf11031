package conversations

import (
	"context"

	"github.com/portico/portico/internal/domain"
)

// send validates and stores a message, and only then announces it: a message is acknowledged
// (and delivered) only after its commit.
func (s *Service) send(ctx context.Context, c *domain.Conversation, author domain.Author, body, clientMsgID string) (*domain.Message, bool, error) {
	body, err := CleanBody(body)
	if err != nil {
		return nil, false, err
	}
	if err := checkClientMsgID(clientMsgID); err != nil {
		return nil, false, err
	}
	m := &domain.Message{
		ID:             domain.NewID(),
		ConversationID: c.ID,
		Author:         author,
		Body:           body,
		ClientMsgID:    clientMsgID,
		CreatedAt:      s.now().UTC(),
	}
	stored, created, err := s.store.AppendMessage(ctx, m)
	if err != nil {
		return nil, false, err
	}
	stored.Author.PhotoURL = author.PhotoURL
	if created {
		s.countMessage(author.Type)
		s.announce(s.notify.MessageAdded(ctx, c, stored), "message", c.ID)
	}
	return stored, created, nil
}

func (s *Service) countMessage(author domain.AuthorType) {
	if s.Metrics != nil {
		s.Metrics.Messages.WithLabelValues(string(author)).Inc()
	}
}
