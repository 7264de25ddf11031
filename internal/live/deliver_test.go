package live

import (
	"io"
	"log/slog"
	"testing"

	"github.com/portico/portico/internal/domain"
)

// An event reaches a topic's connections without the hub allocating for the topic's size: the
// list of targets comes from a pool, a visitor topic's frame is framed once, and an account
// topic's envelope is read in place.
func TestDeliveringAnEventAllocatesNothingPerConnection(t *testing.T) {
	if raceDetector {
		t.Skip("allocations are counted without the race detector: .ci/run runs go test -run Allocat ./... too")
	}
	// The clients do not read: the 50 events' frames fit in the sockets' buffers, and a reader
	// would allocate while the test counts.
	conns, _, _ := socketPairs(t, 200, 0)
	h := &Hub{topics: map[string]*topic{}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	visitors, operators := &topic{conns: map[*conn]struct{}{}}, &topic{conns: map[*conn]struct{}{}}
	for i, c := range conns {
		if i%2 == 0 {
			visitors.conns[c] = struct{}{}
			continue
		}
		c.operator = &domain.Operator{ID: "op", Role: domain.RoleAgent}
		operators.conns[c] = struct{}{}
	}
	h.topics["visitor"], h.topics["account"] = visitors, operators
	frame := []byte(`{"type":"presence","online":true}`)
	env := envelope{Audience: audience{Everyone: true}, Frame: frame, Sent: 1}
	payload := env.encode()

	if n := testing.AllocsPerRun(50, func() { h.deliver("visitor", frame) }); n > 1 {
		t.Errorf("a visitor topic of 100 connections: %v allocations an event, want the frame's 1", n)
	}
	if n := testing.AllocsPerRun(50, func() { h.deliver("account", payload) }); n > 0 {
		t.Errorf("an account topic of 100 operators: %v allocations an event, want 0", n)
	}
}
