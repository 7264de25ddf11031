package live

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/bus"
)

// A node knows its own presence messages by their first bytes, without decoding them, and no
// other node's message passes for its own.
func TestClusterTellsItsOwnMessages(t *testing.T) {
	c := newCluster("web-1", nil, &envelopeLayout{}, slog.Default())
	snapshot := presenceMsg{Snapshot: true, Visitors: map[string][]string{"acc": {"v1", "v2"}}}
	for _, tc := range []struct {
		name string
		msg  presenceMsg
		node string
		own  bool
	}{
		{"own snapshot", snapshot, "web-1", true},
		{"own hello", presenceMsg{Hello: true}, "web-1", true},
		{"own bare message", presenceMsg{}, "web-1", true},
		{"a node whose name starts with ours", snapshot, "web-10", false},
		{"another node", presenceMsg{Hello: true}, "web-2", false},
	} {
		tc.msg.Node = tc.node
		if got := c.fromSelf(mustEncode(tc.msg)); got != tc.own {
			t.Errorf("%s: fromSelf = %v, want %v", tc.name, got, tc.own)
		}
	}
	// A name that JSON escapes is escaped alike in the prefix and in the message.
	odd := newCluster(`a"<b>`, nil, &envelopeLayout{}, slog.Default())
	if !odd.fromSelf(mustEncode(presenceMsg{Node: `a"<b>`, Hello: true})) {
		t.Error("a name with escaped characters: its own message not recognised")
	}
}

// Another node's snapshot is taken in; the node's own is not.
func TestClusterTakesInOtherNodesSnapshotsOnly(t *testing.T) {
	c := newCluster("web-1", nil, &envelopeLayout{}, slog.Default())
	for _, node := range []string{"web-1", "web-2"} {
		m := presenceMsg{Node: node, Snapshot: true, Visitors: map[string][]string{"acc": {"v-" + node}}}
		c.receive(mustEncode(m), clusterHandlers{})
	}
	if _, ok := c.nodes["web-1"]; ok {
		t.Error("the node took in its own snapshot")
	}
	if n := c.nodes["web-2"]; n == nil || n.visitors["v-web-2"] != "acc" {
		t.Errorf("web-2's snapshot not taken in: %+v", n)
	}
}

// While a node that reads only JSON envelopes is among the nodes — it says no envelope version —
// this node publishes JSON; once it has said goodbye, been upgraded in place or gone silent, binary.
func TestClusterSpeaksJSONWhileAnOlderNodeIsThere(t *testing.T) {
	layout := &envelopeLayout{}
	c := newCluster("web-1", nil, layout, slog.New(slog.NewTextHandler(io.Discard, nil)))
	now := time.Now()
	c.now = func() time.Time { return now }
	receive := func(payload string) { c.receive([]byte(payload), clusterHandlers{}) }
	step := func(what string, wantJSON bool) {
		t.Helper()
		if got := layout.json.Load(); got != wantJSON {
			t.Fatalf("%s: JSON envelopes = %v, want %v", what, got, wantJSON)
		}
	}
	receive(`{"n":"web-2","snap":true,"env":1}`)
	step("a node of this version", false)
	receive(`{"n":"web-3","k":"v","id":"v1","a":"acc","on":true}`)
	step("an older node's delta", true)
	receive(`{"n":"web-2","k":"v","id":"v2","a":"acc","on":true,"env":1}`)
	step("this version's node again", true)
	receive(`{"n":"web-3","bye":true}`)
	step("the older node said goodbye", false)
	receive(`{"n":"web-3","snap":true}`)
	step("the older node back", true)
	receive(`{"n":"web-3","snap":true,"env":1}`)
	step("the older node upgraded in place", false)
	receive(`{"n":"web-4","snap":true}`)
	step("another older node", true)
	now = now.Add(nodeTTL)
	receive(`{"n":"web-2","snap":true,"env":1}`)
	c.forgetSilent()
	step("the older node silent for the node TTL", false)
	// A newer node than this one reads this one's binary envelopes too.
	receive(`{"n":"web-5","snap":true,"env":2}`)
	step("a newer node", false)
}

// The nodes silent for nodeTTL are forgotten and handed back with what they held; the node
// whose name comes first among those alive leads.
func TestClusterForgetsSilentNodesAndKnowsWhoLeads(t *testing.T) {
	c := newCluster("web-1", nil, &envelopeLayout{}, slog.New(slog.DiscardHandler))
	now := time.Now()
	c.now = func() time.Time { return now }
	c.receive([]byte(`{"n":"web-0","snap":true,"v":{"acc":["v1"]},"o":{"acc":["op1"]},"env":1}`), clusterHandlers{})
	c.receive([]byte(`{"n":"web-2","snap":true,"env":1}`), clusterHandlers{})
	if c.leads() {
		t.Fatal("web-1 leads while web-0 is alive")
	}
	if lost := c.forgetSilent(); len(lost) != 0 {
		t.Fatalf("forgot %d nodes heard of just now", len(lost))
	}
	now = now.Add(nodeTTL)
	c.receive([]byte(`{"n":"web-2","snap":true,"env":1}`), clusterHandlers{})
	if !c.leads() {
		t.Fatal("web-1 does not lead once web-0 is silent, web-2 alive")
	}
	lost := c.forgetSilent()
	if len(lost) != 1 || lost[0].visitors["v1"] != "acc" || !lost[0].operators["acc"]["op1"] {
		t.Fatalf("lost: %+v", lost)
	}
	if c.visitorOnline("v1") || c.operatorAvailable("acc") {
		t.Fatal("the silent node's visitor or operator is still known")
	}
}

// Every presence message a node sends says which envelope it reads.
func TestPresenceMessagesSayTheEnvelopeVersion(t *testing.T) {
	b := bus.NewMemory()
	got := make(chan []byte, 1)
	unsubscribe, err := b.Subscribe(presenceTopic, func(p []byte) { got <- p })
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	c := newCluster("web-1", b, &envelopeLayout{}, slog.Default())
	c.publish(presenceMsg{Kind: "v", ID: "v1", Account: "acc", On: true})
	var m presenceMsg
	if err := json.Unmarshal(<-got, &m); err != nil || m.Envelope != envelopeVersion {
		t.Fatalf("presence message %+v (%v): want envelope %d", m, err, envelopeVersion)
	}
}

// A snapshot larger than the bus takes is split into parts that each fit: the first is the
// snapshot, the others add to it, and a node that reads them all knows every visitor and
// operator; the node's next snapshot still replaces everything.
func TestASnapshotTooLargeForOneMessageComesInParts(t *testing.T) {
	m := SnapshotOf(5000, 300, "acc-1", "acc-2", "acc-3")
	m.Node, m.Envelope = "web-2", envelopeVersion
	size, limit := len(mustEncode(m)), 8<<10
	parts := splitSnapshot(m, size, limit)
	if len(parts) < size/limit {
		t.Fatalf("%d parts for %d bytes at most %d each", len(parts), size, limit)
	}
	receiver := newCluster("web-1", nil, &envelopeLayout{}, slog.New(slog.DiscardHandler))
	for i, payload := range parts {
		if len(payload) > limit {
			t.Fatalf("part %d is %d bytes, over %d", i, len(payload), limit)
		}
		var part presenceMsg
		if err := json.Unmarshal(payload, &part); err != nil {
			t.Fatal(err)
		}
		if part.Snapshot != (i == 0) || part.More != (i > 0) {
			t.Fatalf("part %d: snapshot %v, more %v", i, part.Snapshot, part.More)
		}
		receiver.receive(payload, clusterHandlers{})
	}
	if !receiver.KnowsAll(m) {
		t.Fatal("the parts together do not give every visitor and operator")
	}
	next := SnapshotOf(1, 0, "acc-1")
	next.Node, next.Envelope = "web-2", envelopeVersion
	receiver.receive(mustEncode(next), clusterHandlers{})
	if receiver.visitorOnline(m.Visitors["acc-1"][0]) || !receiver.visitorOnline(next.Visitors["acc-1"][0]) {
		t.Fatal("the next snapshot did not replace the parts")
	}
}

// Hellos that come together get one snapshot in answer (after a NATS restart every node says
// hello at once), a later hello its own, and none comes once the node has said goodbye.
func TestHellosThatComeTogetherGetOneAnswer(t *testing.T) {
	b := bus.NewMemory()
	snapshots := make(chan struct{}, 100)
	unsubscribe, err := b.Subscribe(presenceTopic, func(p []byte) {
		if strings.Contains(string(p), `"snap":true`) {
			snapshots <- struct{}{}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	c := newCluster("web-1", b, &envelopeLayout{}, slog.New(slog.DiscardHandler))
	snapshot := func() presenceMsg { return presenceMsg{Visitors: map[string][]string{"acc": {"v1"}}} }
	hello := func(node string) {
		c.receive(mustEncode(presenceMsg{Node: node, Hello: true, Envelope: envelopeVersion}), clusterHandlers{snapshot: snapshot})
	}
	answers := func(want int) {
		t.Helper()
		got := 0
		for {
			select {
			case <-snapshots:
				got++
				continue
			case <-time.After(5 * helloAnswerDelay):
			}
			break
		}
		if got != want {
			t.Fatalf("%d snapshots in answer, want %d", got, want)
		}
	}
	for i := range 10 {
		hello(fmt.Sprint("web-", i+2))
	}
	answers(1)
	hello("web-20")
	answers(1)
	c.publish(presenceMsg{Bye: true})
	hello("web-21")
	answers(0)
}
