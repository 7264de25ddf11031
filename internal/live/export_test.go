package live

import (
	"log/slog"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// The bounds of a `follow` frame.
const (
	MaxFollowed        = maxFollowed
	MaxExternalIDRunes = maxExternalIDRunes
)

// CleanFollowed is the list of advertisers a `follow` frame makes a socket follow.
func CleanFollowed(advertisers []string) []string { return cleanFollowed(advertisers) }

// ReadersStarted is how many reader goroutines the hub has started for watched connections.
func (h *Hub) ReadersStarted() int64 { return h.readersStarted.Load() }

// PublishesJSONEnvelopes says whether the hub's node lays out its envelopes as JSON, for a node
// of an earlier version on the bus.
func (h *Hub) PublishesJSONEnvelopes() bool { return h.publisher.layout.json.Load() }

// BusGap reports a gap in the bus, as a NATS bus does when it is back after an outage.
func (h *Hub) BusGap() { h.busGap() }

// PaceCatchUps sets how many clients a catch-up sends to reconnect at a time, and the pause
// between two batches.
func (h *Hub) PaceCatchUps(batch int, pause time.Duration) {
	h.catchUpBatch, h.catchUpPause = batch, pause
}

// Cluster is what a node knows of the others' presence, for tests outside the package.
type Cluster = cluster

// PresenceMsg is a presence message of the bus.
type PresenceMsg = presenceMsg

// NewCluster is a node's presence over b, as a hub keeps it, whose receiving the caller wires.
func NewCluster(node string, b bus.Bus) *Cluster {
	return newCluster(node, b, &envelopeLayout{}, slog.New(slog.DiscardHandler))
}

// Publish sends m as the node's presence.
func (c *cluster) Publish(m presenceMsg) { c.publish(m) }

// Receive takes in a presence message of the bus.
func (c *cluster) Receive(payload []byte) { c.receive(payload, clusterHandlers{}) }

// PresenceTopic is the topic presence messages travel on.
const PresenceTopic = presenceTopic

// SnapshotOf is a snapshot of visitors visitors and operators operators, spread over accounts.
func SnapshotOf(visitors, operators int, accounts ...string) presenceMsg {
	m := presenceMsg{Snapshot: true, Visitors: map[string][]string{}, Operators: map[string][]string{}}
	for i := range visitors {
		acc := accounts[i%len(accounts)]
		m.Visitors[acc] = append(m.Visitors[acc], domain.NewID())
	}
	for i := range operators {
		acc := accounts[i%len(accounts)]
		m.Operators[acc] = append(m.Operators[acc], domain.NewID())
	}
	return m
}

// KnowsAll says whether c has every visitor online and every operator available of m's node.
func (c *cluster) KnowsAll(m presenceMsg) bool {
	for _, ids := range m.Visitors {
		for _, id := range ids {
			if !c.visitorOnline(id) {
				return false
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.nodes[m.Node]
	for acc, ids := range m.Operators {
		for _, id := range ids {
			if n == nil || !n.operators[acc][id] {
				return false
			}
		}
	}
	return true
}

// EnvelopeVersion is the envelope layout this version's nodes read.
const EnvelopeVersion = envelopeVersion

// LoseNode has the hub forget the node as if it had been silent for the node TTL.
func (h *Hub) LoseNode(name string) {
	h.cluster.mu.Lock()
	n := h.cluster.nodes[name]
	delete(h.cluster.nodes, name)
	h.cluster.mu.Unlock()
	if n != nil {
		h.nodesLost([]*nodePresence{n})
	}
}
