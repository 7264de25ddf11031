package bench

import (
	"testing"
	"time"
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

// A `sent` frame reaches the send waiting for it; one for a message nobody waits for, or a
// repeat, is dropped without blocking the reader.
func TestSentFramesReachTheirSend(t *testing.T) {
	tr := &tracker{msgs: map[string]*tracked{}}
	m := &tracked{id: "v1.0", answer: make(chan sendAnswer, 1)}
	tr.add(m)
	tr.answered(sendAnswer{ClientMsgID: "v1.0", Status: 201})
	tr.answered(sendAnswer{ClientMsgID: "v1.0", Status: 200})
	tr.answered(sendAnswer{ClientMsgID: "unknown", Status: 201})
	if a := <-m.answer; a.Status != 201 {
		t.Fatalf("answer %+v, want the first, 201", a)
	}
	select {
	case a := <-m.answer:
		t.Fatalf("a second answer reached the send: %+v", a)
	default:
	}
}
