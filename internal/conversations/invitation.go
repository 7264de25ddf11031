package conversations

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/domain"
)

// StartFromInvitation turns an operator's invitation that the visitor accepted into a
// conversation owned by that operator. Its first message is the invitation's text, written by
// the operator; the visitor's reply follows when there is one. Accepting twice (a retry) gives
// the same conversation.
func (s *Service) StartFromInvitation(ctx context.Context, v *domain.Visitor, inv *domain.Invitation, op *domain.Operator, reply, replyID string) (*domain.Conversation, error) {
	if reply != "" {
		if _, err := CleanBody(reply); err != nil {
			return nil, err
		}
		if err := checkClientMsgID(replyID); err != nil {
			return nil, err
		}
	}
	startID := "invitation-" + inv.ID
	c, _, err := s.startedBefore(ctx, v, startID)
	if err != nil {
		return nil, err
	}
	if c == nil {
		if c, err = s.createInvited(ctx, v, inv, op, startID); err != nil {
			return nil, err
		}
	}
	if reply != "" {
		if _, _, err := s.send(ctx, c, domain.Author{Type: domain.AuthorVisitor, ID: v.ID, Name: v.Name}, reply, replyID); err != nil {
			return nil, err
		}
	}
	return s.store.ConversationByID(ctx, c.ID)
}

func (s *Service) createInvited(ctx context.Context, v *domain.Visitor, inv *domain.Invitation, op *domain.Operator, startID string) (*domain.Conversation, error) {
	now := s.now().UTC()
	c := &domain.Conversation{ID: domain.NewID(), AccountID: op.AccountID, VisitorID: v.ID, OwnerID: op.ID, CreatedAt: now}
	first := &domain.Message{
		ID:          domain.NewID(),
		Author:      domain.Author{Type: domain.AuthorOperator, ID: op.ID, Name: op.Name, PhotoURL: op.PhotoURL},
		Body:        inv.Message,
		ClientMsgID: startID,
		CreatedAt:   now,
	}
	err := s.store.CreateConversation(ctx, c, first)
	if errors.Is(err, domain.ErrConflict) {
		c, _, err := s.startedBefore(ctx, v, startID)
		return c, err
	}
	if err != nil {
		return nil, fmt.Errorf("start invited conversation: %w", err)
	}
	s.countMessage(domain.AuthorOperator)
	stored, err := s.store.ConversationByID(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	s.announce(s.notify.ConversationChanged(ctx, stored, "created", nil), "created", c.ID)
	s.log.Info("invitation accepted", "conversation_id", c.ID, "operator_id", op.ID, "visitor_id", v.ID)
	return stored, nil
}

// StartProactive starts the conversation a proactive greeting led to, with the visitor's reply.
func (s *Service) StartProactive(ctx context.Context, v *domain.Visitor, body, clientMsgID string) (*domain.Conversation, error) {
	c, _, _, err := s.Start(ctx, v, StartInput{Body: body, ClientMsgID: clientMsgID})
	return c, err
}
