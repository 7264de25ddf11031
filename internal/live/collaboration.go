package live

import (
	"context"
	"errors"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// Frames of working together, as documented in docs/protocol.md.
type (
	// transferredFrame is the conversation frame the new owner gets: with the note and the
	// former owner. Everyone else gets a plain conversationFrame.
	transferredFrame struct {
		Type         string               `json:"type"`
		Event        string               `json:"event"`
		Conversation *domain.Conversation `json:"conversation"`
		By           *domain.Person       `json:"by,omitempty"`
		From         *domain.Person       `json:"from,omitempty"`
		Note         string               `json:"note"`
		TransferID   string               `json:"transfer_id"`
	}
	roomMessageFrame struct {
		Type    string              `json:"type"`
		Message *domain.RoomMessage `json:"message"`
	}
	roomFrame struct {
		Type  string         `json:"type"`
		Event string         `json:"event"`
		Room  *domain.Room   `json:"room"`
		By    *domain.Person `json:"by,omitempty"`
	}
)

// ConversationTransferred announces a transfer: the visitor and everyone following the chat
// (the former owner too) learn who owns it now; the new owner also gets the note. The system
// messages follow, so that a console knows the chat is its own before they arrive.
func (p *Publisher) ConversationTransferred(ctx context.Context, c *domain.Conversation, t *domain.Transfer, added []domain.Message) error {
	by := t.By
	plain := mustEncode(conversationFrame{Type: "conversation", Event: "transferred", Conversation: c, By: &by})
	personal := mustEncode(transferredFrame{Type: "conversation", Event: "transferred", Conversation: c, By: &by, From: t.From,
		Note: t.Note, TransferID: t.ID})
	var from string
	if t.From != nil {
		from = t.From.ID
	}
	a := conversationAudience(c)
	a.Operators = append(a.Operators, from)
	a.Except = t.To.ID
	return errors.Join(
		p.publishEnvelope(ctx, bus.AccountTopic(c.AccountID), audience{Operators: []string{t.To.ID}}, personal),
		p.toOperators(ctx, c.AccountID, a, plain),
		p.bus.Publish(ctx, bus.VisitorTopic(c.VisitorID), plain),
		p.messagesTo(ctx, c, from, added),
	)
}

// ParticipantsChanged announces an invitation or a departure to the visitor, to everyone
// following the chat and to alsoTo (who left, and no longer follows it), then the system messages.
func (p *Publisher) ParticipantsChanged(ctx context.Context, c *domain.Conversation, event string, by *domain.Person, alsoTo string, added []domain.Message) error {
	frame := mustEncode(conversationFrame{Type: "conversation", Event: event, Conversation: c, By: by})
	a := conversationAudience(c)
	if alsoTo != "" {
		a.Operators = append(a.Operators, alsoTo)
	}
	return errors.Join(
		p.toOperators(ctx, c.AccountID, a, frame),
		p.bus.Publish(ctx, bus.VisitorTopic(c.VisitorID), frame),
		p.messagesTo(ctx, c, alsoTo, added),
	)
}

// messagesTo delivers stored system messages like any message, and to alsoTo as well.
func (p *Publisher) messagesTo(ctx context.Context, c *domain.Conversation, alsoTo string, added []domain.Message) error {
	a := conversationAudience(c)
	if alsoTo != "" {
		a.Operators = append(a.Operators, alsoTo)
	}
	var errs []error
	for i := range added {
		frame := mustEncode(messageFrame{Type: "message", Message: &added[i]})
		errs = append(errs, p.toOperators(ctx, c.AccountID, a, frame), p.bus.Publish(ctx, bus.VisitorTopic(c.VisitorID), frame))
	}
	return errors.Join(errs...)
}

// RoomMessageAdded delivers a stored room message to the room's members, and to nobody else.
func (p *Publisher) RoomMessageAdded(ctx context.Context, r *domain.Room, m *domain.RoomMessage) error {
	frame := mustEncode(roomMessageFrame{Type: "room_message", Message: m})
	return p.publishEnvelope(ctx, bus.AccountTopic(r.AccountID), audience{Operators: r.MemberIDs()}, frame)
}

// RoomChanged tells a room's members (and alsoTo, who was just removed) that it was created or
// its members changed. The caller's own unread count is not in it: each console keeps its own.
func (p *Publisher) RoomChanged(ctx context.Context, r *domain.Room, event string, by *domain.Person, alsoTo ...string) error {
	shared := *r
	shared.Unread, shared.LastReadSeq = 0, 0
	frame := mustEncode(roomFrame{Type: "room", Event: event, Room: &shared, By: by})
	return p.publishEnvelope(ctx, bus.AccountTopic(r.AccountID), audience{Operators: append(r.MemberIDs(), alsoTo...)}, frame)
}
