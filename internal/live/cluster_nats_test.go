package live_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	natsbus "github.com/portico/portico/internal/bus/nats"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/live"
	"github.com/portico/portico/internal/testutil"
)

// Over a NATS server that takes small messages (max_payload), a node's presence of thousands of
// visitors still reaches the other node: one message of it would be refused.
func TestPresenceSnapshotsFitTheServersLimit(t *testing.T) {
	server := testutil.StartNATSWith(t, "max_payload: 16384")
	quiet := slog.New(slog.DiscardHandler)
	buses := make([]*natsbus.Bus, 2)
	for i := range buses {
		b, err := natsbus.Connect(config.NATS{URL: server.URL()}, fmt.Sprint("web-", i), quiet)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		buses[i] = b
	}
	sender := live.NewCluster("web-1", buses[0])
	receiver := live.NewCluster("web-2", buses[1])
	unsubscribe, err := buses[1].Subscribe(live.PresenceTopic, receiver.Receive)
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := buses[1].Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	m := live.SnapshotOf(3000, 100, "acc-1", "acc-2")
	sender.Publish(m)
	m.Node = "web-1"
	deadline := time.Now().Add(10 * time.Second)
	for !receiver.KnowsAll(m) {
		if time.Now().After(deadline) {
			t.Fatalf("the other node does not know the sender's %d visitors and %d operators within 10 s", 3000, 100)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
