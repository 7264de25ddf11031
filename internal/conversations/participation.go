package conversations

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/domain"
)

// MaxTransferNoteChars bounds the note an operator leaves for the colleague taking a chat over.
const MaxTransferNoteChars = 500

// ParticipationStore is the part of the store that transfers, invitations and leaving need.
type ParticipationStore interface {
	OperatorByID(ctx context.Context, id string) (*domain.Operator, error)
	TransferConversation(ctx context.Context, t *domain.Transfer, notes []*domain.Message) (*domain.Conversation, []domain.Message, error)
	AddParticipant(ctx context.Context, conversationID, operatorID string, at time.Time, note *domain.Message) (*domain.Conversation, []domain.Message, error)
	RemoveParticipant(ctx context.Context, conversationID, operatorID string, at time.Time, note *domain.Message) (*domain.Conversation, []domain.Message, error)
	ListTransfers(ctx context.Context, conversationID string) ([]domain.Transfer, error)
}

// ParticipationNotifier announces who takes part now, after the commit.
type ParticipationNotifier interface {
	// ConversationTransferred tells everyone following the chat, the former owner included; only
	// the new owner gets the note.
	ConversationTransferred(ctx context.Context, c *domain.Conversation, t *domain.Transfer, added []domain.Message) error
	// ParticipantsChanged tells everyone following the chat, and alsoTo (someone who left).
	ParticipantsChanged(ctx context.Context, c *domain.Conversation, event string, by *domain.Person, alsoTo string, added []domain.Message) error
}

// Participation is working on one chat together: handing it to a colleague with a note,
// inviting colleagues in, and leaving. The visitor sees who joins and leaves as system messages.
type Participation struct {
	conv   *Service
	store  ParticipationStore
	notify ParticipationNotifier
}

func NewParticipation(conv *Service, s ParticipationStore, n ParticipationNotifier) *Participation {
	return &Participation{conv: conv, store: s, notify: n}
}

// Transfer makes another operator of the conversation's account its owner. The owner or an
// admin may do it; the former owner leaves the chat and the note goes to the new owner only.
func (p *Participation) Transfer(ctx context.Context, op *domain.Operator, id, toID, note string) (*domain.Conversation, *domain.Transfer, error) {
	note, err := cleanNote(note)
	if err != nil {
		return nil, nil, err
	}
	c, err := p.activeFor(ctx, op, id)
	if err != nil {
		return nil, nil, err
	}
	if c.OwnerID != op.ID && op.Role != domain.RoleAdmin {
		return nil, nil, errors.Join(domain.ErrForbidden, errors.New("only the chat's owner or an admin may transfer it"))
	}
	to, err := p.colleague(ctx, c, toID)
	if err != nil {
		return nil, nil, err
	}
	if to.ID == c.OwnerID {
		return nil, nil, domain.Invalid("invalid_field", "operator_id", "%s already owns this chat", to.Name)
	}
	t := &domain.Transfer{
		ID:             domain.NewID(),
		ConversationID: c.ID,
		From:           c.Owner,
		To:             personOf(to),
		By:             personOf(op),
		Note:           note,
		CreatedAt:      p.conv.now().UTC(),
	}
	var notes []*domain.Message
	if !c.HasParticipant(to.ID) {
		notes = append(notes, systemMessage(personName(to.Name)+" joined the chat", "sys-join-"+t.ID, t.CreatedAt))
	}
	if c.Owner != nil {
		notes = append(notes, systemMessage(personName(c.Owner.Name)+" left the chat", "sys-leave-"+t.ID, t.CreatedAt))
	}
	updated, added, err := p.store.TransferConversation(ctx, t, notes)
	if err != nil {
		return nil, nil, err
	}
	p.countSystem(added)
	p.conv.announce(p.notify.ConversationTransferred(ctx, updated, t, added), "transferred", c.ID)
	p.conv.log.Info("conversation transferred", "conversation_id", c.ID, "account_id", c.AccountID,
		"from_operator_id", c.OwnerID, "to_operator_id", to.ID, "by_operator_id", op.ID)
	return updated, t, nil
}

// Invite lets a colleague of the conversation's account take part. Anyone taking part, or an
// admin, may invite; inviting someone who is there already changes nothing.
func (p *Participation) Invite(ctx context.Context, op *domain.Operator, id, operatorID string) (*domain.Conversation, error) {
	c, err := p.activeFor(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if !c.HasParticipant(op.ID) && op.Role != domain.RoleAdmin {
		return nil, errors.Join(domain.ErrForbidden, errors.New("only those taking part in a chat, or an admin, may invite to it"))
	}
	invited, err := p.colleague(ctx, c, operatorID)
	if err != nil {
		return nil, err
	}
	if c.HasParticipant(invited.ID) {
		return c, nil
	}
	at := p.conv.now().UTC()
	note := systemMessage(personName(invited.Name)+" joined the chat", "sys-join-"+domain.NewID(), at)
	updated, added, err := p.store.AddParticipant(ctx, c.ID, invited.ID, at, note)
	if err != nil {
		return nil, err
	}
	if len(added) > 0 {
		p.countSystem(added)
		by := personOf(op)
		p.conv.announce(p.notify.ParticipantsChanged(ctx, updated, "invited", &by, "", added), "invited", c.ID)
		p.conv.log.Info("operator invited", "conversation_id", c.ID, "account_id", c.AccountID, "operator_id", invited.ID, "by_operator_id", op.ID)
	}
	return updated, nil
}

// Leave ends the operator's part in a chat. An owner who leaves hands it to whoever has been in
// it longest; when the last one leaves, the chat waits again for anyone to claim it.
func (p *Participation) Leave(ctx context.Context, op *domain.Operator, id string) (*domain.Conversation, error) {
	c, err := p.conv.ForOperator(ctx, op, id)
	if err != nil {
		return nil, err
	}
	if c.Status == domain.ConversationClosed {
		return nil, domain.ErrClosed
	}
	if !c.HasParticipant(op.ID) {
		return nil, errors.Join(domain.ErrForbidden, errors.New("you do not take part in this chat"))
	}
	at := p.conv.now().UTC()
	note := systemMessage(personName(op.Name)+" left the chat", "sys-leave-"+domain.NewID(), at)
	updated, added, err := p.store.RemoveParticipant(ctx, c.ID, op.ID, at, note)
	if err != nil {
		return nil, err
	}
	p.countSystem(added)
	by := personOf(op)
	p.conv.announce(p.notify.ParticipantsChanged(ctx, updated, "left", &by, op.ID, added), "left", c.ID)
	p.conv.log.Info("operator left", "conversation_id", c.ID, "account_id", c.AccountID, "operator_id", op.ID, "status", updated.Status)
	return updated, nil
}

// Transfers lists the conversation's transfers with their notes, for operators who may see it.
func (p *Participation) Transfers(ctx context.Context, op *domain.Operator, id string) ([]domain.Transfer, error) {
	if _, err := p.conv.ForOperator(ctx, op, id); err != nil {
		return nil, err
	}
	return p.store.ListTransfers(ctx, id)
}

// activeFor returns the conversation if the operator may see it and it is being answered.
func (p *Participation) activeFor(ctx context.Context, op *domain.Operator, id string) (*domain.Conversation, error) {
	c, err := p.conv.ForOperator(ctx, op, id)
	if err != nil {
		return nil, err
	}
	switch c.Status {
	case domain.ConversationClosed:
		return nil, domain.ErrClosed
	case domain.ConversationWaiting:
		return nil, errors.Join(domain.ErrConflict, errors.New("the chat is waiting: claim it first"))
	}
	return c, nil
}

// colleague finds an operator who may work on the conversation: one of its own account's,
// not deleted. Anyone else is refused the same way, whether they exist or not.
func (p *Participation) colleague(ctx context.Context, c *domain.Conversation, id string) (*domain.Operator, error) {
	unknown := domain.Invalid("unknown_operator", "operator_id", "operator_id must name an operator of the chat's account")
	id = strings.TrimSpace(id)
	if id == "" || len(id) > 64 {
		return nil, unknown
	}
	o, err := p.store.OperatorByID(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, unknown
	}
	if err != nil {
		return nil, err
	}
	if o.AccountID != c.AccountID {
		return nil, unknown
	}
	return o, nil
}

func (p *Participation) countSystem(added []domain.Message) {
	for range added {
		p.conv.countMessage(domain.AuthorSystem)
	}
}

func cleanNote(note string) (string, error) {
	if !utf8.ValidString(note) {
		return "", domain.Invalid("invalid_field", "note", "the note is not valid UTF-8")
	}
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n > MaxTransferNoteChars {
		return "", domain.Invalid("note_too_long", "note", "the note has %d characters; the limit is %d", n, MaxTransferNoteChars)
	}
	return note, nil
}

// systemMessage is what the visitor reads about who joins and leaves. Its client id is made
// from the event, so storing it twice stores it once.
func systemMessage(body, clientID string, at time.Time) *domain.Message {
	return &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorSystem}, Body: body, ClientMsgID: clientID, CreatedAt: at}
}

func personOf(o *domain.Operator) domain.Person {
	return domain.Person{ID: o.ID, Name: o.Name, PhotoURL: o.PhotoURL}
}

func personName(name string) string {
	if strings.TrimSpace(name) == "" {
		return "An operator"
	}
	return name
}
