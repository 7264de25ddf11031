package live

import (
	"context"
	"errors"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// Frames of the live visitor list and of invitations (docs/protocol.md).
type (
	visitorFrame struct {
		Type      string              `json:"type"`
		Event     string              `json:"event"`
		Visitor   *domain.LiveVisitor `json:"visitor,omitempty"`
		VisitorID string              `json:"visitor_id,omitempty"`
	}
	invitationFrame struct {
		Type       string             `json:"type"`
		Event      string             `json:"event"`
		Invitation *domain.Invitation `json:"invitation"`
	}
	// integrationEvent is what integrations hear on bus.IntegrationTopic.
	integrationEvent struct {
		Type      string    `json:"type"`
		AccountID string    `json:"account_id"`
		VisitorID string    `json:"visitor_id"`
		At        time.Time `json:"at"`
	}
)

// VisitorChanged tells the account's operators about a visitor who came online ("online") or
// whose page, identity or chat changed ("updated"), and the operators of the advertiser whose
// listing the visitor is on. The whole visitor goes, not a diff: it is small, and a console that
// missed a frame is right again with the next.
func (p *Publisher) VisitorChanged(ctx context.Context, event string, v *domain.LiveVisitor) error {
	frame := mustEncode(visitorFrame{Type: "visitor", Event: event, Visitor: v})
	return p.toVisitorWatchers(ctx, v.AccountID, v.PageAccountID, frame)
}

// VisitorOffline says the visitor's last tab closed; they may be back within the leave delay.
// pageAccountID is the advertiser whose listing they were on, if any.
func (p *Publisher) VisitorOffline(ctx context.Context, v *domain.Visitor, pageAccountID string) error {
	frame := mustEncode(visitorFrame{Type: "visitor", Event: "offline", VisitorID: v.ID})
	return p.toVisitorWatchers(ctx, v.AccountID, pageAccountID, frame)
}

// VisitorLeft says the visitor has been gone for the leave delay, to the console and to
// integrations.
func (p *Publisher) VisitorLeft(ctx context.Context, v *domain.Visitor, pageAccountID string, at time.Time) error {
	frame := mustEncode(visitorFrame{Type: "visitor", Event: "left", VisitorID: v.ID})
	event := mustEncode(integrationEvent{Type: "visitor.left", AccountID: v.AccountID, VisitorID: v.ID, At: at.UTC()})
	return errors.Join(
		p.toVisitorWatchers(ctx, v.AccountID, pageAccountID, frame),
		p.bus.Publish(ctx, bus.IntegrationTopic(v.AccountID), event),
	)
}

// VisitorMovedAway tells an advertiser's operators that the visitor left its listings for
// another page of the portal: for them the visitor is gone.
func (p *Publisher) VisitorMovedAway(ctx context.Context, accountID, visitorID string) error {
	frame := mustEncode(visitorFrame{Type: "visitor", Event: "left", VisitorID: visitorID})
	return p.visitorList.publish(ctx, bus.AccountTopic(accountID), frame)
}

// VisitorPresence tells the account's operators that the visitor's first tab opened or the
// last one closed, before the visitor list has read who they are.
func (p *Publisher) VisitorPresence(ctx context.Context, accountID, visitorID string, online bool) error {
	frame := mustEncode(presenceFrame{Type: "presence", VisitorID: visitorID, Online: online})
	return p.visitorList.publish(ctx, bus.AccountTopic(accountID), frame)
}

func (p *Publisher) toVisitorWatchers(ctx context.Context, accountID, pageAccountID string, frame []byte) error {
	err := p.visitorList.publish(ctx, bus.AccountTopic(accountID), frame)
	if pageAccountID != "" && pageAccountID != accountID {
		err = errors.Join(err, p.visitorList.publish(ctx, bus.AccountTopic(pageAccountID), frame))
	}
	return err
}

// InvitationShown puts an operator's invitation in every tab of the visitor.
func (p *Publisher) InvitationShown(ctx context.Context, inv *domain.Invitation) error {
	frame := mustEncode(invitationFrame{Type: "invitation", Event: "shown", Invitation: inv})
	return p.bus.Publish(ctx, bus.VisitorTopic(inv.VisitorID), frame)
}

// InvitationAnswered tells the visitor's other tabs, and the inviting operator and the admins.
func (p *Publisher) InvitationAnswered(ctx context.Context, inv *domain.Invitation) error {
	frame := mustEncode(invitationFrame{Type: "invitation", Event: string(inv.Status), Invitation: inv})
	a := audience{Admins: true}
	if inv.OperatorID != "" {
		a.Operators = []string{inv.OperatorID}
	}
	return errors.Join(
		p.publishEnvelope(ctx, bus.AccountTopic(inv.AccountID), a, frame),
		p.bus.Publish(ctx, bus.VisitorTopic(inv.VisitorID), frame),
	)
}
