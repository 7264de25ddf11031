package live

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
)

// Presence across nodes. Each node owns the presence of the connections it holds and tells the
// others over the bus: a delta when a visitor comes or goes or an operator becomes (un)available,
// and a full snapshot every snapshotEvery and whenever a node says hello. A node that stops
// talking — it crashed — is forgotten after nodeTTL, so its visitors and operators go offline.
const (
	presenceTopic = "presence"
	snapshotEvery = 10 * time.Second
	nodeTTL       = 3*snapshotEvery + 5*time.Second
	// helloAnswerDelay gathers hellos for one answer: after a NATS restart every node catches
	// up and says hello at once, and a snapshot from each node for each hello would be N² of
	// them, up to half a megabyte each.
	helloAnswerDelay = 100 * time.Millisecond
)

type presenceMsg struct {
	Node  string `json:"n"`
	Hello bool   `json:"hello,omitempty"`
	Bye   bool   `json:"bye,omitempty"`
	// A delta: kind "v" (visitor) or "o" (operator available), the id, its account, on or off;
	// or kind "s": an operator's new status, for their connections to other nodes;
	// or kind "x": a session (ID is its hash) ended, close its sockets;
	// or kind "b": whether the portal's (Account) backup operators can answer now (On).
	Kind    string `json:"k,omitempty"`
	Status  string `json:"s,omitempty"`
	ID      string `json:"id,omitempty"`
	Account string `json:"a,omitempty"`
	On      bool   `json:"on,omitempty"`
	// A snapshot replaces everything known of the node. One too large for a message of the bus
	// comes in parts: the first is the snapshot, the others (More) add to it.
	Snapshot  bool                `json:"snap,omitempty"`
	More      bool                `json:"more,omitempty"`
	Visitors  map[string][]string `json:"v,omitempty"` // account id → visitor ids
	Operators map[string][]string `json:"o,omitempty"` // account id → available operator ids
	// Envelope is the newest envelope layout the node reads; nodes before the binary layout
	// leave it out.
	Envelope int `json:"env,omitempty"`
}

type nodePresence struct {
	seen      time.Time
	envelope  int                        // as its last message said
	visitors  map[string]string          // visitor id → account id
	operators map[string]map[string]bool // account id → operator ids
}

// cluster is what this node knows of the other nodes' presence.
type cluster struct {
	node string
	// own is how this node's messages begin: the bus hands a node its own messages too, and a
	// snapshot of 10,000 visitors is 300 KB of JSON that is not worth decoding to find that out.
	own []byte
	bus bus.Bus
	log *slog.Logger
	now func() time.Time
	// layout is set to JSON while a node that reads only JSON envelopes is among the nodes.
	layout *envelopeLayout

	mu    sync.Mutex
	nodes map[string]*nodePresence
	// answering: an answer to hellos is due; gone: this node said goodbye, and a snapshot
	// after it would bring it back to the others until they forget it.
	answering, gone bool
}

func newCluster(node string, b bus.Bus, layout *envelopeLayout, log *slog.Logger) *cluster {
	own := mustEncode(presenceMsg{Node: node})
	return &cluster{node: node, own: own[:len(own)-1], bus: b, log: log, now: time.Now, layout: layout, nodes: map[string]*nodePresence{}}
}

// fromSelf tells this node's own messages by their first bytes: the node's name is the first
// field of every presence message.
func (c *cluster) fromSelf(payload []byte) bool {
	rest, ok := bytes.CutPrefix(payload, c.own)
	return ok && len(rest) > 0 && (rest[0] == ',' || rest[0] == '}')
}

func (c *cluster) publish(m presenceMsg) {
	if m.Bye {
		c.mu.Lock()
		c.gone = true
		c.mu.Unlock()
	}
	m.Node = c.node
	m.Envelope = envelopeVersion
	payload := mustEncode(m)
	if limit := c.maxPayload(); m.Snapshot && len(payload) > limit {
		for _, part := range splitSnapshot(m, len(payload), limit) {
			c.send(part)
		}
		return
	}
	c.send(payload)
}

// answerHello publishes this node's snapshot helloAnswerDelay after a hello, once for every
// hello that comes meanwhile: each of those nodes was listening before it said hello.
func (c *cluster) answerHello(snapshot func() presenceMsg) {
	c.mu.Lock()
	due := c.answering
	c.answering = true
	c.mu.Unlock()
	if due {
		return
	}
	time.AfterFunc(helloAnswerDelay, func() {
		c.mu.Lock()
		c.answering = false
		gone := c.gone
		c.mu.Unlock()
		if gone {
			return
		}
		s := snapshot()
		s.Snapshot = true
		c.publish(s)
	})
}

func (c *cluster) send(payload []byte) {
	if err := c.bus.Publish(context.Background(), presenceTopic, payload); err != nil {
		c.log.Warn("presence not published", "err", err, "bytes", len(payload))
	}
}

// unknownMaxPayload is the part size while the bus has not yet heard its server's limit: what
// it publishes meanwhile waits for the connection, and a payload over the server's limit would
// make the server close it.
const unknownMaxPayload = 64 << 10

// maxPayload is the largest presence message the bus takes, less room for what a server counts
// beside the payload.
func (c *cluster) maxPayload() int {
	b, ok := c.bus.(bus.Bounded)
	if !ok {
		return math.MaxInt
	}
	if limit := b.MaxPayload(); limit > 0 {
		return max(limit-1024, 1024)
	}
	return unknownMaxPayload
}

// splitSnapshot divides a snapshot whose message is size bytes into encoded parts of at most
// limit bytes each: a snapshot of 10,000 visitors is about 300 KB, and NATS takes 1 MiB by
// default. The first part is the snapshot (receivers replace what they knew of the node), the
// others add to it; NATS delivers one publisher's messages on a subject in order.
func splitSnapshot(m presenceMsg, size, limit int) [][]byte {
	type entry struct {
		operator    bool
		account, id string
	}
	var entries []entry
	for acc, ids := range m.Visitors {
		for _, id := range ids {
			entries = append(entries, entry{false, acc, id})
		}
	}
	for acc, ids := range m.Operators {
		for _, id := range ids {
			entries = append(entries, entry{true, acc, id})
		}
	}
	for parts := size/(limit/2) + 1; ; parts *= 2 {
		out := make([][]byte, 0, parts)
		fits := true
		for i := range parts {
			part := presenceMsg{Node: m.Node, Envelope: m.Envelope, Snapshot: i == 0, More: i > 0,
				Visitors: map[string][]string{}, Operators: map[string][]string{}}
			for _, e := range entries[i*len(entries)/parts : (i+1)*len(entries)/parts] {
				if e.operator {
					part.Operators[e.account] = append(part.Operators[e.account], e.id)
				} else {
					part.Visitors[e.account] = append(part.Visitors[e.account], e.id)
				}
			}
			payload := mustEncode(part)
			fits = fits && len(payload) <= limit
			out = append(out, payload)
		}
		if fits || parts >= len(entries) {
			return out
		}
	}
}

// clusterHandlers is what the hub does on other nodes' messages that are not presence.
type clusterHandlers struct {
	snapshot    func() presenceMsg
	applyStatus func(accountID, operatorID string, status domain.OperatorStatus)
	endSession  func(sessionHash string)
	backupHeard func(portalID string, answers bool)
}

func (c *cluster) receive(payload []byte, on clusterHandlers) {
	if c.fromSelf(payload) {
		return
	}
	var m presenceMsg
	if err := json.Unmarshal(payload, &m); err != nil || m.Node == "" || m.Node == c.node {
		return
	}
	switch m.Kind {
	case "x":
		on.endSession(m.ID)
		return
	case "s":
		if st := domain.OperatorStatus(m.Status); st.Valid() {
			on.applyStatus(m.Account, m.ID, st)
		}
		return
	case "b":
		on.backupHeard(m.Account, m.On)
		return
	}
	if m.Hello {
		c.answerHello(on.snapshot)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Bye {
		delete(c.nodes, m.Node)
		c.chooseLayout()
		return
	}
	n := c.nodes[m.Node]
	// A More part whose first part this node missed (it was not listening yet) starts the
	// node's presence all the same; the next snapshot completes it.
	if n == nil || m.Snapshot {
		n = &nodePresence{visitors: map[string]string{}, operators: map[string]map[string]bool{}, envelope: -1}
		c.nodes[m.Node] = n
	}
	n.seen = c.now()
	if n.envelope != m.Envelope {
		n.envelope = m.Envelope
		c.chooseLayout()
	}
	if m.Snapshot || m.More {
		for acc, ids := range m.Visitors {
			for _, id := range ids {
				n.visitors[id] = acc
			}
		}
		for acc, ids := range m.Operators {
			ops := n.operators[acc]
			if ops == nil {
				ops = map[string]bool{}
				n.operators[acc] = ops
			}
			for _, id := range ids {
				ops[id] = true
			}
		}
		return
	}
	switch m.Kind {
	case "v":
		if m.On {
			n.visitors[m.ID] = m.Account
		} else {
			delete(n.visitors, m.ID)
		}
	case "o":
		ops := n.operators[m.Account]
		if ops == nil {
			ops = map[string]bool{}
			n.operators[m.Account] = ops
		}
		if m.On {
			ops[m.ID] = true
		} else {
			delete(ops, m.ID)
		}
	}
}

func (c *cluster) alive(n *nodePresence) bool { return c.now().Sub(n.seen) < nodeTTL }

func (c *cluster) visitorOnline(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if _, ok := n.visitors[id]; ok && c.alive(n) {
			return true
		}
	}
	return false
}

// addVisitorsOf adds to set the ids of the account's visitors connected to other nodes.
func (c *cluster) addVisitorsOf(accountID string, set map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if !c.alive(n) {
			continue
		}
		for id, acc := range n.visitors {
			if acc == accountID {
				set[id] = true
			}
		}
	}
}

func (c *cluster) operatorAvailable(accountID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if c.alive(n) && len(n.operators[accountID]) > 0 {
			return true
		}
	}
	return false
}

func (c *cluster) anyNode() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if c.alive(n) {
			return true
		}
	}
	return false
}

// forgetSilent drops nodes that have not been heard from within nodeTTL.
func (c *cluster) forgetSilent() (lost []*nodePresence) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, n := range c.nodes {
		if !c.alive(n) {
			delete(c.nodes, id)
			lost = append(lost, n)
		}
	}
	c.chooseLayout()
	return lost
}

// leads says whether this node's name comes first among the nodes alive: it speaks for the
// cluster where every node could, and one should.
func (c *cluster) leads() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, n := range c.nodes {
		if name < c.node && c.alive(n) {
			return false
		}
	}
	return true
}

// chooseLayout publishes envelopes as JSON while any node known here reads nothing newer, and
// says so when that changes. The caller holds c.mu.
func (c *cluster) chooseLayout() {
	older := 0
	for _, n := range c.nodes {
		if n.envelope < envelopeVersion {
			older++
		}
	}
	if c.layout.json.Swap(older > 0) == (older > 0) {
		return
	}
	if older > 0 {
		c.log.Info("a node of an earlier version shares the bus: this node publishes JSON envelopes until it has gone", "nodes", older)
	} else {
		c.log.Info("every node reads binary envelopes: this node publishes them again")
	}
}
