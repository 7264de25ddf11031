package conversations

import (
	"context"
	"errors"
	"slices"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// List returns the conversations an operator may see, newest first.
func (s *Service) List(ctx context.Context, op *domain.Operator, status domain.ConversationStatus) ([]domain.Conversation, error) {
	t, err := s.Tenant(ctx, op)
	if err != nil {
		return nil, err
	}
	f := store.ConversationFilter{AccountIDs: []string{t.AccountID}, AdvertisersOf: t.AdvertisersOf, Status: status}
	if op.Role != domain.RoleAdmin {
		f.VisibleTo = op.ID
	}
	list, err := s.store.ListConversations(ctx, f)
	if err != nil {
		return nil, err
	}
	return s.withBackupChats(ctx, op, list, status)
}

// ListByVisitor returns the conversations of the visitors (one person on several devices)
// that the operator may see, newest first.
func (s *Service) ListByVisitor(ctx context.Context, op *domain.Operator, visitorIDs ...string) ([]domain.Conversation, error) {
	t, err := s.Tenant(ctx, op)
	if err != nil {
		return nil, err
	}
	var out []domain.Conversation
	for _, id := range visitorIDs {
		f := store.ConversationFilter{AccountIDs: []string{t.AccountID}, AdvertisersOf: t.AdvertisersOf, VisitorID: id, Limit: 50}
		if op.Role != domain.RoleAdmin {
			f.VisibleTo = op.ID
		}
		list, err := s.store.ListConversations(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	slices.SortStableFunc(out, func(a, b domain.Conversation) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// Claim makes op the owner of a waiting conversation. Of several operators claiming at once
// exactly one wins; the others get a *domain.ClaimedError naming the winner.
func (s *Service) Claim(ctx context.Context, op *domain.Operator, id string) (*domain.Conversation, error) {
	// Only the tenant wall is checked here: an agent who lost the race must hear who won,
	// not that the chat has become invisible to them.
	current, err := s.store.ConversationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.inTenant(ctx, op, current); err != nil {
		return nil, err
	}
	if !current.MayTake(op.ID) {
		return nil, domain.ErrNotRouted
	}
	c, err := s.store.ClaimConversation(ctx, id, op.ID, s.now())
	if err != nil {
		return nil, err
	}
	by := &domain.Person{ID: op.ID, Name: op.Name, PhotoURL: op.PhotoURL}
	s.announce(s.notify.ConversationChanged(ctx, c, "claimed", by), "claimed", c.ID)
	s.log.Info("conversation claimed", "conversation_id", c.ID, "account_id", c.AccountID, "operator_id", op.ID)
	return c, nil
}

// OperatorSend stores the message of the operator of a session. The store checks, in the
// write itself, that the session is live (with its CSRF token when the proof carries one) and
// that its operator owns the conversation or takes part in it: only they may write, and an
// admin reading someone else's chat must join it first. A message costs one round trip to the
// database; a refusal is explained from what that round trip read.
func (s *Service) OperatorSend(ctx context.Context, proof store.SessionProof, conversationID, body, clientMsgID string) (*domain.Message, bool, error) {
	m, err := s.newMessage(conversationID, domain.Author{Type: domain.AuthorOperator}, body, clientMsgID)
	if err != nil {
		return nil, false, err
	}
	proof.Now = s.now()
	res, err := s.store.AppendOperatorMessage(ctx, m, proof)
	if err != nil {
		return nil, false, err
	}
	op := res.Operator
	if op == nil {
		return nil, false, domain.ErrUnauthorized
	}
	if proof.CheckCSRF && !res.Session.CSRFMatches(proof.CSRFToken) {
		return nil, false, domain.ErrCSRF
	}
	if !res.Created {
		if err := s.mayWrite(ctx, op, res.Conversation); err != nil {
			return nil, false, err
		}
		return unstored(m, res)
	}
	res.Message.Author.PhotoURL = op.PhotoURL
	s.stored(ctx, res.Conversation, res.Message)
	s.operatorActive(ctx, op)
	return res.Message, true, nil
}

// mayWrite says why an operator may not write in c (nil when there is no such conversation).
func (s *Service) mayWrite(ctx context.Context, op *domain.Operator, c *domain.Conversation) error {
	if c == nil {
		return domain.ErrNotFound
	}
	if err := s.canSee(ctx, op, c); err != nil {
		return err
	}
	if c.Status == domain.ConversationClosed {
		return domain.ErrClosed
	}
	if !c.HasParticipant(op.ID) {
		return errors.Join(domain.ErrForbidden, errors.New("claim the conversation before writing in it"))
	}
	return nil
}

// Close ends a conversation. Its owner, a participant or an admin may close it.
func (s *Service) Close(ctx context.Context, op *domain.Operator, id, categoryID string) (*domain.Conversation, error) {
	c, err := s.ForOperator(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if op.Role != domain.RoleAdmin && !c.HasParticipant(op.ID) {
		return nil, domain.ErrForbidden
	}
	at := s.now().UTC()
	mails, err := s.closeMails(ctx, c, categoryID, at)
	if err != nil {
		return nil, err
	}
	closed, err := s.store.CloseConversation(ctx, id, categoryID, at, mails)
	if err != nil {
		return nil, err
	}
	s.mailQueued(mails)
	by := &domain.Person{ID: op.ID, Name: op.Name, PhotoURL: op.PhotoURL}
	s.announce(s.notify.ConversationChanged(ctx, closed, "closed", by), "closed", closed.ID)
	return closed, nil
}

// OperatorMessages returns the messages after seq, if the operator may see the conversation.
func (s *Service) OperatorMessages(ctx context.Context, op *domain.Operator, id string, after int64) ([]domain.Message, error) {
	if _, err := s.operatorAccess(ctx, op, id); err != nil {
		return nil, err
	}
	return s.store.MessagesAfter(ctx, id, after, MaxHistoryPage)
}

// OperatorTyping relays that an operator is typing in a conversation they take part in.
func (s *Service) OperatorTyping(ctx context.Context, op *domain.Operator, id string, typing bool) error {
	c, err := s.operatorAccess(ctx, op, id)
	if err != nil {
		return err
	}
	if !c.HasParticipant(op.ID) {
		return domain.ErrForbidden
	}
	return s.notify.Typing(ctx, c, domain.Author{Type: domain.AuthorOperator, ID: op.ID, Name: op.Name}, typing)
}
