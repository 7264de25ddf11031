package conversations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// StartInput is a visitor's first message, with where it was written.
type StartInput struct {
	Advertiser  string // the portal's id for the advertiser, on a listing page
	Listing     *domain.Listing
	Name, Email string
	Body        string
	ClientMsgID string
}

// Start opens a conversation for a visitor. On a portal page it goes to the named advertiser;
// an advertiser the portal has not registered creates nothing and the chat is flagged for the
// portal's own operators. Starting again with the same first client_msg_id (a retry after a lost
// answer) returns the conversation already started, with created false.
func (s *Service) Start(ctx context.Context, v *domain.Visitor, in StartInput) (c *domain.Conversation, first *domain.Message, created bool, err error) {
	body, err := CleanBody(in.Body)
	if err != nil {
		return nil, nil, false, err
	}
	if err := checkClientMsgID(in.ClientMsgID); err != nil {
		return nil, nil, false, err
	}
	name, email, err := CleanIdentity(in.Name, in.Email)
	if err != nil {
		return nil, nil, false, err
	}
	if c, m, err := s.startedBefore(ctx, v, in.ClientMsgID); err != nil || c != nil {
		return c, m, false, err
	}
	target, flagged, err := s.targetAccount(ctx, v.AccountID, in.Advertiser)
	if err != nil {
		return nil, nil, false, err
	}
	if name != "" || email != "" {
		if err := s.store.SetVisitorIdentity(ctx, v.ID, name, email); err != nil {
			return nil, nil, false, err
		}
		if name != "" {
			v.Name = name
		}
		if email != "" {
			v.Email = email
		}
	}
	now := s.now().UTC()
	c = &domain.Conversation{
		ID:        domain.NewID(),
		AccountID: target.ID,
		VisitorID: v.ID,
		Flagged:   flagged,
		CreatedAt: now,
	}
	if in.Listing != nil && in.Listing.ExternalID != "" && !flagged && target.Kind == domain.KindAdvertiser {
		l := &domain.Listing{AccountID: target.ID, ExternalID: in.Listing.ExternalID, Title: in.Listing.Title, URL: in.Listing.URL}
		if err := s.store.UpsertListing(ctx, l); err != nil {
			return nil, nil, false, fmt.Errorf("register listing: %w", err)
		}
		c.Listing = l
	}
	if s.Portal != nil {
		if c.RoutedTo, err = s.Portal.Route(ctx, target, c.Listing); err != nil {
			return nil, nil, false, fmt.Errorf("portal route: %w", err)
		}
	}
	if len(c.RoutedTo) == 0 {
		if c.RoutedTo, err = s.route(ctx, target.ID, v.ID); err != nil {
			return nil, nil, false, fmt.Errorf("route: %w", err)
		}
	}
	first = &domain.Message{
		ID:          domain.NewID(),
		Author:      domain.Author{Type: domain.AuthorVisitor, ID: v.ID, Name: v.Name},
		Body:        body,
		ClientMsgID: in.ClientMsgID,
		CreatedAt:   now,
	}
	err = s.store.CreateConversation(ctx, c, first)
	if errors.Is(err, domain.ErrConflict) {
		// A concurrent retry won the race to create it.
		c, m, err := s.startedBefore(ctx, v, in.ClientMsgID)
		return c, m, false, err
	}
	if err != nil {
		return nil, nil, false, err
	}
	s.countMessage(domain.AuthorVisitor)
	stored, err := s.store.ConversationByID(ctx, c.ID)
	if err != nil {
		return nil, nil, false, err
	}
	s.announce(s.notify.ConversationChanged(ctx, stored, "created", nil), "created", c.ID)
	s.log.Info("conversation started", "conversation_id", c.ID, "account_id", c.AccountID, "visitor_id", v.ID)
	if s.Identity != nil {
		// After the conversation exists, so that merging the visitor with an earlier one by
		// e-mail takes this conversation along.
		if name != "" || email != "" {
			if _, err := s.Identity.Identify(ctx, v, name, email); err != nil {
				s.log.Warn("visitor identity not recorded", "visitor_id", v.ID, "err", err)
			}
		}
		s.Identity.VisitorWrote(ctx, v, body)
	}
	return stored, first, true, nil
}

// startedBefore finds a conversation the visitor already started with this client_msg_id.
func (s *Service) startedBefore(ctx context.Context, v *domain.Visitor, clientMsgID string) (*domain.Conversation, *domain.Message, error) {
	c, err := s.store.ConversationByStart(ctx, v.ID, clientMsgID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	msgs, err := s.store.MessagesAfter(ctx, c.ID, 0, 1)
	if err != nil || len(msgs) == 0 {
		return nil, nil, fmt.Errorf("first message of %s: %w", c.ID, errors.Join(err, domain.ErrNotFound))
	}
	return c, &msgs[0], nil
}

func (s *Service) targetAccount(ctx context.Context, visitorAccountID, advertiser string) (*domain.Account, bool, error) {
	acc, err := s.store.AccountByID(ctx, visitorAccountID)
	if err != nil {
		return nil, false, err
	}
	advertiser = strings.TrimSpace(advertiser)
	if advertiser == "" || acc.Kind != domain.KindPortal {
		return acc, false, nil
	}
	if utf8.RuneCountInString(advertiser) > 200 {
		return nil, false, domain.Invalid("invalid_field", "advertiser", "the advertiser id is too long")
	}
	adv, err := s.store.AdvertiserByExternalID(ctx, acc.ID, advertiser)
	if errors.Is(err, domain.ErrNotFound) {
		return acc, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	return adv, false, nil
}

// VisitorConversations lists the visitor's own conversations, newest first.
func (s *Service) VisitorConversations(ctx context.Context, v *domain.Visitor) ([]domain.Conversation, error) {
	// On a portal, the visitor's chats are with its advertisers.
	f := store.ConversationFilter{AccountIDs: []string{v.AccountID}, AdvertisersOf: v.AccountID, VisitorID: v.ID, Limit: 50}
	return s.store.ListConversations(ctx, f)
}

// VisitorSend stores a visitor's message in their own conversation. v needs only its ID: the
// store checks, in the write itself, that the conversation is the visitor's and open, so a
// message costs one round trip to the database, not a read before its write.
func (s *Service) VisitorSend(ctx context.Context, v *domain.Visitor, conversationID, body, clientMsgID string) (*domain.Message, bool, error) {
	m, err := s.newMessage(conversationID, domain.Author{Type: domain.AuthorVisitor, ID: v.ID}, body, clientMsgID)
	if err != nil {
		return nil, false, err
	}
	res, err := s.store.AppendVisitorMessage(ctx, m)
	if err != nil {
		return nil, false, err
	}
	if err := visitorOwns(v, res.Conversation); err != nil {
		return nil, false, err
	}
	if !res.Created {
		return unstored(m, res)
	}
	s.stored(ctx, res.Conversation, res.Message)
	if s.Identity != nil && res.Visitor != nil {
		s.Identity.VisitorWrote(ctx, res.Visitor, res.Message.Body)
	}
	return res.Message, true, nil
}

// VisitorMessages returns the messages after seq after of c, which was read with v (nil when
// there is no such conversation): a reconnecting widget asks this for each open chat.
func (s *Service) VisitorMessages(ctx context.Context, v *domain.Visitor, c *domain.Conversation, after int64) ([]domain.Message, error) {
	if err := visitorOwns(v, c); err != nil {
		return nil, err
	}
	return s.store.MessagesAfter(ctx, c.ID, after, MaxHistoryPage)
}

func (s *Service) VisitorTyping(ctx context.Context, v *domain.Visitor, id string, typing bool) error {
	c, err := s.visitorAccess(ctx, v, id)
	if err != nil {
		return err
	}
	return s.notify.Typing(ctx, c, domain.Author{Type: domain.AuthorVisitor, ID: v.ID, Name: v.Name}, typing)
}

// AnsweringAccount is the account that would answer the visitor on a page for this advertiser.
func (s *Service) AnsweringAccount(ctx context.Context, v *domain.Visitor, advertiser string) (string, error) {
	acc, _, err := s.targetAccount(ctx, v.AccountID, advertiser)
	if err != nil {
		return "", err
	}
	return acc.ID, nil
}
