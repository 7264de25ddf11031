package live

import (
	"context"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// colleagueFrame tells operators about a colleague. It carries only what every operator of the
// account may see of another (no e-mail, phone or settings); event is "deleted" when the
// colleague was removed, and absent for a change.
type colleagueFrame struct {
	Type     string           `json:"type"`
	Event    string           `json:"event,omitempty"`
	Operator domain.Colleague `json:"operator"`
}

// OperatorRemoved tells the operator's colleagues that an admin deleted them.
func (p *Publisher) OperatorRemoved(ctx context.Context, op *domain.Operator) error {
	frame := mustEncode(colleagueFrame{Type: "operator", Event: "deleted", Operator: domain.ColleagueOf(op)})
	return p.publishEnvelope(ctx, bus.AccountTopic(op.AccountID), audience{Everyone: true}, frame)
}

// OperatorAvailable reports whether the operator is connected, to any node, with status online.
func (h *Hub) OperatorAvailable(accountID, operatorID string) bool {
	h.mu.Lock()
	st := h.ops[accountID][operatorID]
	local := st != nil && st.available()
	h.mu.Unlock()
	return local || h.cluster.operatorOnline(accountID, operatorID)
}

func (c *cluster) operatorOnline(accountID, operatorID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if c.alive(n) && n.operators[accountID][operatorID] {
			return true
		}
	}
	return false
}
