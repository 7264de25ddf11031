package live

import (
	"log/slog"
	"testing"
)

// A node knows its own presence messages by their first bytes, without decoding them, and no
// other node's message passes for its own.
func TestClusterTellsItsOwnMessages(t *testing.T) {
	c := newCluster("web-1", nil, slog.Default())
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
	odd := newCluster(`a"<b>`, nil, slog.Default())
	if !odd.fromSelf(mustEncode(presenceMsg{Node: `a"<b>`, Hello: true})) {
		t.Error("a name with escaped characters: its own message not recognised")
	}
}

// Another node's snapshot is taken in; the node's own is not.
func TestClusterTakesInOtherNodesSnapshotsOnly(t *testing.T) {
	c := newCluster("web-1", nil, slog.Default())
	for _, node := range []string{"web-1", "web-2"} {
		m := presenceMsg{Node: node, Snapshot: true, Visitors: map[string][]string{"acc": {"v-" + node}}}
		c.receive(mustEncode(m), nil, nil, nil)
	}
	if _, ok := c.nodes["web-1"]; ok {
		t.Error("the node took in its own snapshot")
	}
	if n := c.nodes["web-2"]; n == nil || n.visitors["v-web-2"] != "acc" {
		t.Errorf("web-2's snapshot not taken in: %+v", n)
	}
}
