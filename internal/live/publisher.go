package live

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// Publisher turns committed changes into frames on the bus. Services call it after the store
// has committed, so that nothing is ever announced that a reconnecting client cannot fetch.
type Publisher struct {
	bus      bus.Bus
	layout   envelopeLayout
	accounts AccountLookup
	// ConversationHook, when set, hears of every conversation change after it is announced
	// (the visitor list shows who is chatting).
	ConversationHook func(ctx context.Context, c *domain.Conversation)

	parents sync.Map // account id → its portal's id ("" for none)
	// visitorList gathers the frames of the live visitor list, which come in bursts.
	visitorList *coalescer
}

// AccountLookup finds an account's parent, so a portal's admins hear about their advertisers' chats.
type AccountLookup interface {
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
}

func NewPublisher(b bus.Bus, accounts AccountLookup, log *slog.Logger) *Publisher {
	p := &Publisher{bus: b, accounts: accounts}
	p.visitorList = newCoalescer(b, &p.layout, log, visitorListWindow)
	return p
}

// Flush publishes at once every frame still waiting, and each later one as it comes, for a
// node that is shutting down.
func (p *Publisher) Flush(ctx context.Context) { p.visitorList.flush(ctx) }

// ConversationChanged announces a new or changed conversation to its operators and its visitor.
func (p *Publisher) ConversationChanged(ctx context.Context, c *domain.Conversation, event string, by *domain.Person) error {
	frame := mustEncode(conversationFrame{Type: "conversation", Event: event, Conversation: c, By: by})
	a := conversationAudience(c)
	if event == "claimed" {
		// Everyone who was alerted must learn that the chat is gone, and who took it.
		a.Everyone = len(c.RoutedTo) == 0
		a.Operators = append(a.Operators, c.RoutedTo...)
	}
	err := errors.Join(
		p.toOperators(ctx, c.AccountID, a, frame),
		p.bus.Publish(ctx, bus.VisitorTopic(c.VisitorID), frame),
	)
	if p.ConversationHook != nil {
		p.ConversationHook(ctx, c)
	}
	return err
}

// MessageAdded delivers a stored message to both sides of its conversation.
func (p *Publisher) MessageAdded(ctx context.Context, c *domain.Conversation, m *domain.Message) error {
	frame := mustEncode(messageFrame{Type: "message", Message: m})
	if sender := sentOver(ctx); sender != nil {
		defer sender.expectEcho(frame)()
	}
	return errors.Join(
		p.toOperators(ctx, c.AccountID, conversationAudience(c), frame),
		p.bus.Publish(ctx, bus.VisitorTopic(c.VisitorID), frame),
	)
}

// Typing relays a typing indicator to the side of the conversation that did not type.
func (p *Publisher) Typing(ctx context.Context, c *domain.Conversation, author domain.Author, typing bool) error {
	frame := mustEncode(typingFrame{Type: "typing", ConversationID: c.ID, Typing: typing, Author: author})
	if author.Type == domain.AuthorVisitor {
		return p.toOperators(ctx, c.AccountID, conversationAudience(c), frame)
	}
	a := conversationAudience(c)
	a.Except = author.ID
	return errors.Join(
		p.toOperators(ctx, c.AccountID, a, frame),
		p.bus.Publish(ctx, bus.VisitorTopic(c.VisitorID), frame),
	)
}

// OperatorChanged tells the operator's colleagues about a new status.
func (p *Publisher) OperatorChanged(ctx context.Context, op *domain.Operator) error {
	frame := mustEncode(colleagueFrame{Type: "operator", Operator: domain.ColleagueOf(op)})
	return p.publishEnvelope(ctx, bus.AccountTopic(op.AccountID), audience{Everyone: true}, frame)
}

// toOperators publishes to the account's operators and, for an advertiser, to its portal's admins.
func (p *Publisher) toOperators(ctx context.Context, accountID string, a audience, frame []byte) error {
	if err := p.publishEnvelope(ctx, bus.AccountTopic(accountID), a, frame); err != nil {
		return err
	}
	parentID, err := p.parentOf(ctx, accountID)
	if err != nil || parentID == "" {
		return err
	}
	// The portal's admins follow everything; its backup operators the chats routed to them.
	return p.publishEnvelope(ctx, bus.AccountTopic(parentID), audience{Admins: true, Operators: a.Operators, Except: a.Except}, frame)
}

// parentOf is the account's portal, or "". An account never changes portal, so the answer is
// kept: it would otherwise cost a read for every message.
func (p *Publisher) parentOf(ctx context.Context, accountID string) (string, error) {
	if parent, ok := p.parents.Load(accountID); ok {
		return parent.(string), nil
	}
	acc, err := p.accounts.AccountByID(ctx, accountID)
	if err != nil {
		return "", err
	}
	p.parents.Store(accountID, acc.ParentID)
	return acc.ParentID, nil
}

func (p *Publisher) publishEnvelope(ctx context.Context, topic string, a audience, frame []byte) error {
	env := envelope{Audience: a, Frame: frame, Sent: time.Now().UnixNano()}
	return p.bus.Publish(ctx, topic, p.layout.encode(&env))
}
