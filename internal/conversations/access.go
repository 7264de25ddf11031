package conversations

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// Tenant is the tenant wall for an operator: their own account and, for a portal's admins,
// every advertiser under the portal.
func (s *Service) Tenant(ctx context.Context, op *domain.Operator) (store.Tenant, error) {
	t := store.Tenant{AccountID: op.AccountID}
	if op.Role != domain.RoleAdmin {
		return t, nil
	}
	acc, err := s.store.AccountByID(ctx, op.AccountID)
	if err != nil {
		return t, fmt.Errorf("operator's account: %w", err)
	}
	if acc.Kind == domain.KindPortal {
		t.AdvertisersOf = acc.ID
	}
	return t, nil
}

// Holds says whether the account is within the tenant: a portal's advertiser is asked for its
// portal (the read is cached), not looked up among all of them.
func (s *Service) Holds(ctx context.Context, t store.Tenant, accountID string) (bool, error) {
	if accountID == t.AccountID {
		return true, nil
	}
	if t.AdvertisersOf == "" || accountID == "" {
		return false, nil
	}
	acc, err := s.store.AccountByID(ctx, accountID)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return acc.ParentID == t.AdvertisersOf, nil
}

// canSee applies the tenant wall and, for agents, the rule that they see waiting chats and
// their own but not their colleagues'. Outsiders get ErrNotFound, so ids cannot be probed.
func (s *Service) canSee(ctx context.Context, op *domain.Operator, c *domain.Conversation) error {
	if err := s.inTenant(ctx, op, c); err != nil {
		return err
	}
	// A waiting chat that a rule routed to other operators is not an agent's to see.
	if op.Role == domain.RoleAdmin || (c.Status == domain.ConversationWaiting && c.MayTake(op.ID)) || c.HasParticipant(op.ID) {
		return nil
	}
	// An agent who took part once may still read the chat (their history), not write in it.
	if took, err := s.store.OperatorTookPart(ctx, c.ID, op.ID); err != nil || took {
		return err
	}
	return domain.ErrForbidden
}

// ForOperator returns the conversation if the operator may see it.
func (s *Service) ForOperator(ctx context.Context, op *domain.Operator, id string) (*domain.Conversation, error) {
	return s.seenBy(ctx, op, s.store.ConversationByID, id)
}

// ForVisitor returns the conversation if it is the visitor's own.
func (s *Service) ForVisitor(ctx context.Context, v *domain.Visitor, id string) (*domain.Conversation, error) {
	return visitorsOwn(ctx, v, s.store.ConversationByID, id)
}

// operatorAccess and visitorAccess check access as ForOperator and ForVisitor do, from the lean
// read of the conversation (store.ConversationAccess): for the paths that run for every message,
// which need no names, listing or last message.
func (s *Service) operatorAccess(ctx context.Context, op *domain.Operator, id string) (*domain.Conversation, error) {
	return s.seenBy(ctx, op, s.store.ConversationAccess, id)
}

func (s *Service) visitorAccess(ctx context.Context, v *domain.Visitor, id string) (*domain.Conversation, error) {
	return visitorsOwn(ctx, v, s.store.ConversationAccess, id)
}

type conversationReader func(ctx context.Context, id string) (*domain.Conversation, error)

func (s *Service) seenBy(ctx context.Context, op *domain.Operator, read conversationReader, id string) (*domain.Conversation, error) {
	c, err := read(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.canSee(ctx, op, c); err != nil {
		return nil, err
	}
	return c, nil
}

func visitorsOwn(ctx context.Context, v *domain.Visitor, read conversationReader, id string) (*domain.Conversation, error) {
	c, err := read(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := visitorOwns(v, c); err != nil {
		return nil, err
	}
	return c, nil
}

// visitorOwns checks a conversation read with the visitor (nil when there was none): another
// visitor's conversation is as unknown to them as a missing one.
func visitorOwns(v *domain.Visitor, c *domain.Conversation) error {
	if c == nil || c.VisitorID != v.ID {
		return domain.ErrNotFound
	}
	return nil
}

// inTenant is the tenant wall alone: the conversation belongs to an account the operator works for.
func (s *Service) inTenant(ctx context.Context, op *domain.Operator, c *domain.Conversation) error {
	t, err := s.Tenant(ctx, op)
	if err != nil {
		return err
	}
	holds, err := s.Holds(ctx, t, c.AccountID)
	if err != nil {
		return err
	}
	if !holds {
		// A portal's backup operator may take an advertiser's chat it was routed to.
		if slices.Contains(c.RoutedTo, op.ID) || c.HasParticipant(op.ID) {
			return nil
		}
		return domain.ErrNotFound
	}
	return nil
}
