package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestFindStalls(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	at := func(ms float64) time.Time { return base.Add(time.Duration(ms * float64(time.Millisecond))) }
	// msg is one delivered message, sent and received at these milliseconds.
	msg := func(sent, received float64) delivery { return delivery{sent: at(sent), at: at(received)} }
	steady := func(from, to float64) []delivery {
		var out []delivery
		for t := from; t < to; t++ {
			out = append(out, msg(t, t+0.5))
		}
		return out
	}
	cases := []struct {
		name string
		got  []delivery
		want Stalls
	}{
		{"a message a millisecond, each delivered within one", steady(0, 100), Stalls{}},
		{"nothing delivered for 20 ms while messages waited", append(append(steady(0, 50),
			// sent during the pause, all delivered when it ends
			msg(50, 70), msg(55, 70.2), msg(60, 70.4)), steady(71, 100)...),
			Stalls{Count: 1, LongestMS: 20, TotalMS: 20}},
		{"a pause with nothing in flight is no stall", append(steady(0, 50), steady(80, 100)...), Stalls{}},
		{"a message sent before the pause counts from the pause's start", append(append(steady(0, 30),
			msg(29.2, 45)), steady(46, 50)...), Stalls{Count: 1, LongestMS: 15.5, TotalMS: 15.5}},
		{"two pauses, the longer one counted as longest", append(append(append(steady(0, 20),
			msg(20, 28)), steady(29, 40)...), append([]delivery{msg(40, 52)}, steady(53, 60)...)...),
			Stalls{Count: 2, LongestMS: 12, TotalMS: 20}},
		{"a pause of 5 ms exactly is not over 5 ms", append(append(steady(0, 20), msg(20, 24.5)), steady(25, 30)...), Stalls{}},
		{"nothing delivered", nil, Stalls{}},
	}
	for _, c := range cases {
		if got := findStalls(c.got, stallOver); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// The deliveries between a visitor and an operator on different nodes are timed apart too, and
// so are the deliveries to the kernel's stamp of their arrival, where there is one.
func TestTrackerTimesDeliveriesApart(t *testing.T) {
	onNode := func(node string) socket { return socket{node: node} }
	local := &conversation{visitor: &visitorConn{socket: onNode("http://a")}, operator: &operatorConn{socket: onNode("http://a")}}
	remote := &conversation{visitor: &visitorConn{socket: onNode("http://b")}, operator: &operatorConn{socket: onNode("http://a")}}
	tr := &tracker{msgs: map[string]*tracked{}}
	sent := time.Unix(1_700_000_000, 0)
	for i, m := range []struct {
		conv          *conversation
		took, stamped time.Duration // stamped 0: no stamp
	}{{local, time.Millisecond, 0}, {local, 2 * time.Millisecond, 1500 * time.Microsecond},
		{remote, 7 * time.Millisecond, 0}, {remote, 9 * time.Millisecond, 8 * time.Millisecond}} {
		id := string(rune('a' + i))
		tr.add(&tracked{id: id, dir: visitorToOperator, conv: m.conv, sent: sent})
		var receipt time.Time
		if m.stamped > 0 {
			receipt = sent.Add(m.stamped)
		}
		tr.received(id, sent.Add(m.took), receipt)
	}
	d := tr.direction(visitorToOperator, 1)
	if d.Delivery.Count != 4 || d.Delivery.Max != 9 {
		t.Errorf("all deliveries %+v, want 4 up to 9 ms", d.Delivery)
	}
	if a := d.AcrossNodes; a == nil || a.Count != 2 || a.P50 != 7 || a.Max != 9 {
		t.Errorf("across nodes %+v, want the two of 7 and 9 ms", a)
	}
	if s := d.AtSocket; s == nil || s.Count != 2 || s.P50 != 1.5 || s.Max != 8 {
		t.Errorf("at the socket %+v, want the two stamped, 1.5 and 8 ms", s)
	}
	if r := tr.direction(operatorToVisitor, 1); r.AcrossNodes != nil || r.AtSocket != nil {
		t.Errorf("no reply was received, yet across nodes %+v, at the socket %+v", r.AcrossNodes, r.AtSocket)
	}
}

// A socket send ends once: by its `sent` frame (201 or 200 acknowledged, anything else a
// failure), by a failed write, or by sendTimeout without an answer; a repeated or unknown
// `sent` ends nothing. Each ending gives the send's slot back, and the phase's wait for its
// sends returns.
func TestSocketSendsEndOnceByAnswerFailureOrTimeout(t *testing.T) {
	defer func(was time.Duration) { sendTimeout = was }(sendTimeout)
	sendTimeout = 200 * time.Millisecond
	url := wsServer(t, func(ctx context.Context, ws *websocket.Conn) {
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var f struct {
				ClientMsgID string `json:"client_msg_id"`
			}
			json.Unmarshal(data, &f)
			switch {
			case strings.HasPrefix(f.ClientMsgID, "ok"):
				answer := fmt.Sprintf(`{"type":"sent","client_msg_id":%q,"status":201,"message":{"id":"m1"}}`, f.ClientMsgID)
				ws.Write(ctx, websocket.MessageText, []byte(answer))
				ws.Write(ctx, websocket.MessageText, []byte(answer)) // a repeat ends nothing more
				ws.Write(ctx, websocket.MessageText, []byte(`{"type":"sent","client_msg_id":"nobody","status":201}`))
			case strings.HasPrefix(f.ClientMsgID, "refused"):
				ws.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"type":"sent","client_msg_id":%q,"status":422,"error":{"code":"invalid_body","message":"empty"}}`, f.ClientMsgID)))
			}
		}
	})
	r := newRunner(Options{Heartbeat: time.Second, Concurrency: 4}, 0, 1)
	t.Cleanup(r.stopPollers)
	v := &visitorConn{socket: socket{kind: kindVisitor}}
	v.handle = r.onVisitorFrame
	ws := mustDial(t, url)
	r.register(&v.socket, ws)
	conv := &conversation{id: "c1", visitor: v, operator: &operatorConn{}}
	r.sending = true

	send := func(id string) {
		t.Helper()
		if !r.send(context.Background(), &tracked{id: id, dir: visitorToOperator, conv: conv}, false) {
			t.Fatalf("%s not sent", id)
		}
	}
	waitForSends := func(what string) {
		t.Helper()
		done := make(chan struct{})
		go func() { r.inflight.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the sends never ended", what)
		}
	}
	send("ok1")
	send("refused1")
	send("unanswered1")
	waitForSends("answered, refused and unanswered")
	ws.closeNow()
	send("unwritten1")
	waitForSends("a send on a closed socket")

	s := &r.tracker.stats[visitorToOperator]
	if s.sent != 4 || s.acked != 1 || s.failed != 3 {
		t.Errorf("sent %d, acknowledged %d, failed %d; want 4, 1 (ok1) and 3", s.sent, s.acked, s.failed)
	}
	if n := len(r.slots); n != 0 {
		t.Errorf("%d slots still taken after every send ended", n)
	}
	problems := strings.Join(r.problems.list(), "\n")
	for _, want := range []string{"422 invalid_body", "no answer in 200ms", "send on the visitor socket: "} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems %q do not tell %q", problems, want)
		}
	}
}
