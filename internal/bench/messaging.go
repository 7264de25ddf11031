package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

const (
	visitorToOperator = 0
	operatorToVisitor = 1

	// replyEvery: the owning operator answers every second visitor message.
	replyEvery = 2
	// drainTime is how long a message acknowledged at the end of the phase may take to arrive
	// before it counts as lost.
	drainTime = 5 * time.Second
)

type conversation struct {
	idx      int
	id       string
	visitor  *visitorConn
	operator *operatorConn
}

// tracked is one message the bench sent, found again by its client_msg_id on the other side.
type tracked struct {
	id   string
	dir  int
	conv *conversation
	n    int // the message's number in its conversation and direction
	sent time.Time
	at   time.Time // when the other side's socket had it
	// giveUp ends a message sent over the socket that has had no `sent` frame in sendTimeout.
	giveUp *time.Timer

	acked, received bool
	// over: a message sent over the socket has had its answer, failed or been given up on.
	over bool
}

// tracker matches sends with receipts. A message may arrive on the socket before its POST has
// been answered (delivery follows the commit, and so does the answer), so it is tracked from
// just before it is sent.
type tracker struct {
	mu    sync.Mutex
	msgs  map[string]*tracked
	stats [2]struct {
		sent, acked, received, failed, duplicates int
		ack, delivery                             recorder
		// acrossNodes: the deliveries between a visitor and an operator on different nodes,
		// which travel through NATS (the two-node target is theirs).
		acrossNodes recorder
		// atSocket: the deliveries timed to the kernel's stamp of their arrival, where there
		// is one, instead of to the bench's read.
		atSocket recorder
	}
}

func (t *tracker) add(m *tracked) {
	t.mu.Lock()
	t.msgs[m.id] = m
	t.stats[m.dir].sent++
	t.mu.Unlock()
}

func (t *tracker) acked(m *tracked, took time.Duration) {
	t.mu.Lock()
	m.acked = true
	t.stats[m.dir].acked++
	t.mu.Unlock()
	t.stats[m.dir].ack.add(took)
}

func (t *tracker) failed(m *tracked) {
	t.mu.Lock()
	t.stats[m.dir].failed++
	t.mu.Unlock()
}

// received records a message frame read at at, whose bytes reached the socket at receipt (zero
// if unknown), and returns the message the first time it arrives; nil for one the bench did
// not send (a conversation's first message) or for a duplicate.
func (t *tracker) received(id string, at, receipt time.Time) *tracked {
	t.mu.Lock()
	m := t.msgs[id]
	if m == nil {
		t.mu.Unlock()
		return nil
	}
	if m.received {
		t.stats[m.dir].duplicates++
		t.mu.Unlock()
		return nil
	}
	m.received = true
	m.at = at
	t.stats[m.dir].received++
	t.mu.Unlock()
	t.stats[m.dir].delivery.add(at.Sub(m.sent))
	if m.conv.visitor.node != m.conv.operator.node {
		t.stats[m.dir].acrossNodes.add(at.Sub(m.sent))
	}
	if !receipt.IsZero() {
		t.stats[m.dir].atSocket.add(receipt.Sub(m.sent))
	}
	return m
}

// sendAnswer is a `sent` frame: the status of a message sent over the socket, and the error's
// code when it was refused.
type sendAnswer struct {
	ClientMsgID string `json:"client_msg_id"`
	Status      int    `json:"status"`
	Error       struct {
		Code string `json:"code"`
	} `json:"error"`
}

// end marks the socket send of id over and returns it, the first time only: a `sent` frame
// for a message the bench did not send over the socket, or one that came after the send was
// given up on, ends nothing.
func (t *tracker) end(id string) *tracked {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.msgs[id]
	if m == nil || m.giveUp == nil || m.over {
		return nil
	}
	m.over = true
	return m
}

// missing counts messages acknowledged but not yet received.
func (t *tracker) missing() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.msgs {
		if m.acked && !m.received {
			n++
		}
	}
	return n
}

func (t *tracker) direction(dir int, seconds float64) Direction {
	t.mu.Lock()
	s := &t.stats[dir]
	d := Direction{Sent: s.sent, Acked: s.acked, Received: s.received, Duplicates: s.duplicates}
	for _, m := range t.msgs {
		if m.dir == dir && m.acked && !m.received {
			d.Lost++
		}
	}
	d.Errors = s.failed + d.Lost + d.Duplicates
	t.mu.Unlock()
	if seconds > 0 {
		d.PerSecond = round3(float64(d.Acked) / seconds)
	}
	d.Ack = s.ack.summary()
	d.Delivery = s.delivery.summary()
	if atSocket := s.atSocket.summary(); atSocket.Count > 0 {
		d.AtSocket = &atSocket
	}
	if across := s.acrossNodes.summary(); across.Count > 0 {
		d.AcrossNodes = &across
	}
	return d
}

// stallOver is the pause in deliveries, with messages in flight, that the report counts.
const stallOver = 5 * time.Millisecond

// stalls finds the pauses in deliveries, both directions together, during which messages were
// in flight: sent and not yet received, yet none arrived. At hundreds of messages a second such
// a pause is the server (or the machine) holding everything at once, which a percentile of
// single messages does not show.
func (t *tracker) stalls() Stalls {
	return findStalls(t.deliveries(anyDirection), stallOver)
}

// anyDirection asks deliveries for both directions.
const anyDirection = -1

// deliveries are the messages received so far in one direction, or in both.
func (t *tracker) deliveries(dir int) []delivery {
	t.mu.Lock()
	defer t.mu.Unlock()
	var got []delivery
	for _, m := range t.msgs {
		if m.received && (dir == anyDirection || m.dir == dir) {
			got = append(got, delivery{sent: m.sent, at: m.at})
		}
	}
	return got
}

// delivery is when a message was sent and when the other side had it. The tracker's messages
// are copied out under its lock: one that arrives after the drain is still written to.
type delivery struct{ sent, at time.Time }

// findStalls counts the gaps between one delivery and the next that some message spent more than
// over of in flight: from the gap's start, or the earliest send among the messages delivered
// after it if that came later, to the next delivery.
func findStalls(got []delivery, over time.Duration) Stalls {
	slices.SortFunc(got, func(a, b delivery) int { return a.at.Compare(b.at) })
	// earliestSent[i]: the earliest send among the messages delivered from i on.
	earliestSent := make([]time.Time, len(got))
	for i := len(got) - 1; i >= 0; i-- {
		earliestSent[i] = got[i].sent
		if i+1 < len(got) && earliestSent[i+1].Before(earliestSent[i]) {
			earliestSent[i] = earliestSent[i+1]
		}
	}
	var s Stalls
	var total time.Duration
	for i := 1; i < len(got); i++ {
		from := got[i-1].at
		if earliestSent[i].After(from) {
			from = earliestSent[i]
		}
		stall := got[i].at.Sub(from)
		if stall <= over {
			continue
		}
		s.Count++
		total += stall
		s.LongestMS = max(s.LongestMS, ms(stall))
	}
	s.TotalMS = ms(total)
	return s
}

// messaging starts the conversations, has the operators claim them, then sends visitor messages
// at the given rate; operators answer every second one. Each message is timed from its POST to
// the other side's socket.
func (r *runner) messaging(ctx context.Context) {
	rep := &r.rep.Messaging
	n := min(r.opt.Chatting, len(r.visitors))
	if n == 0 || len(r.operators) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, r.opt.Duration+time.Minute)
	defer cancel()

	var setupErrors int
	var mu sync.Mutex
	convs := make([]*conversation, n)
	parallel(ctx, n, r.opt.Concurrency, func(i int) {
		c := &conversation{idx: i, visitor: r.visitors[i], operator: r.operators[i%len(r.operators)]}
		var out struct {
			Conversation struct {
				ID string `json:"id"`
			} `json:"conversation"`
		}
		start := map[string]any{"message": map[string]string{"body": fmt.Sprintf("Hello, this is bench visitor %d", i), "client_msg_id": fmt.Sprintf("start-%d", i)}}
		if c.visitor.advertiser != "" {
			start["advertiser"] = c.visitor.advertiser // as the widget names the listing's advertiser
		}
		err := call(ctx, c.visitor.http, "POST", c.visitor.node+"/api/v1/widget/conversations", c.visitor.token, start, &out)
		if err == nil {
			c.id = out.Conversation.ID
			err = call(ctx, c.operator.http, "POST", c.operator.node+"/api/v1/conversations/"+c.id+"/claim", c.operator.token, nil, nil)
		}
		if err != nil {
			r.problems.note("messaging", err)
			mu.Lock()
			setupErrors++
			mu.Unlock()
			return
		}
		convs[i] = c
	})
	var ready []*conversation
	for _, c := range convs {
		if c != nil {
			ready = append(ready, c)
		}
	}
	rep.Conversations = len(ready)
	if len(ready) == 0 {
		rep.Errors = setupErrors
		return
	}

	r.sendMu.Lock()
	r.sending = true
	r.sendMu.Unlock()
	// Sends are scheduled on a fine tick so that the rate is even rather than in bursts.
	interval := min(max(time.Duration(float64(time.Second)/r.opt.Rate), time.Millisecond), 10*time.Millisecond)
	scrapedBefore, scrapeErr := r.scrapeHistograms(ctx)
	tick := time.NewTicker(interval)
	mark := r.markCPU(ctx)
	machineStart, machineErr := r.markMachine()
	start := time.Now()
	end := start.Add(r.opt.Duration)
	var scraper *windowScraper
	if r.opt.Window > 0 && scrapeErr == nil {
		scraper = r.scrapeWindows(ctx, scrapedBefore, start, end, r.opt.Window)
	}
	sent := 0
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case now := <-tick.C:
			if now.After(end) {
				now = end
			}
			due := int(now.Sub(start).Seconds() * r.opt.Rate)
			// A server slower than the rate holds the sends back; the phase still ends on time
			// and the report shows the rate reached.
			for ; sent < due && time.Now().Before(end); sent++ {
				c := ready[sent%len(ready)]
				m := &tracked{id: fmt.Sprintf("v%d.%d", c.idx, sent/len(ready)), dir: visitorToOperator, conv: c, n: sent / len(ready)}
				select {
				case r.slots <- struct{}{}:
				case <-ctx.Done():
					break loop
				}
				if !r.send(ctx, m, true) {
					<-r.slots
				}
			}
			if !now.Before(end) {
				break loop
			}
		}
	}
	tick.Stop()
	elapsed := time.Since(start)
	var scrapes []scrapeAt
	if scraper != nil {
		scrapes = scraper.finish()
	}
	rep.CPU = r.cpuSince(ctx, mark)
	if machineErr == nil {
		if machineEnd, err := r.markMachine(); err == nil {
			rep.Machine = machineSince(machineStart, machineEnd, rep.CPU.ServerSeconds, rep.CPU.BenchSeconds)
		}
	}
	r.sendMu.Lock()
	r.sending = false
	r.sendMu.Unlock()
	r.inflight.Wait()
	waitFor(ctx, drainTime, func() bool { return r.tracker.missing() == 0 })

	rep.Seconds = round3(elapsed.Seconds())
	rep.VisitorToOperator = r.tracker.direction(visitorToOperator, elapsed.Seconds())
	rep.OperatorToVisitor = r.tracker.direction(operatorToVisitor, elapsed.Seconds())
	rep.MessagesAcked = rep.VisitorToOperator.Acked + rep.OperatorToVisitor.Acked
	// The server's share is extra: a node that cannot be scraped leaves it out, not the run.
	visitorSeries, operatorSeries := r.sendSeries()
	if scrapedAfter, err := r.scrapeHistograms(ctx); scrapeErr == nil && err == nil {
		rep.VisitorToOperator.Server = scrapedAfter.since(scrapedBefore, visitorSeries)
		rep.OperatorToVisitor.Server = scrapedAfter.since(scrapedBefore, operatorSeries)
		rep.Garbage = scrapedAfter.garbageSince(scrapedBefore, rep.MessagesAcked)
		rep.Scheduler = scrapedAfter.since(scrapedBefore, schedSeries)
	}
	rep.MessagesReceived = rep.VisitorToOperator.Received + rep.OperatorToVisitor.Received
	rep.Stalls = r.tracker.stalls()
	rep.Windows = windows(scrapes, r.tracker.deliveries(visitorToOperator), start, visitorSeries)
	rep.Errors = setupErrors + rep.VisitorToOperator.Errors + rep.OperatorToVisitor.Errors
	if lost := rep.VisitorToOperator.Lost + rep.OperatorToVisitor.Lost; lost > 0 {
		r.problems.note("messaging", fmt.Errorf("%d acknowledged messages never arrived within %s", lost, drainTime))
	}
}

// post sends m as the widget or the console does over REST.
func (r *runner) post(ctx context.Context, m *tracked) error {
	c := m.conv
	url, token, client := c.visitor.node+"/api/v1/widget/conversations/"+c.id+"/messages", c.visitor.token, c.visitor.http
	if m.dir == operatorToVisitor {
		url, token, client = c.operator.node+"/api/v1/conversations/"+c.id+"/messages", c.operator.token, c.operator.http
	}
	m.sent = time.Now()
	r.tracker.add(m)
	return call(ctx, client, "POST", url, token, messageBody(m), nil)
}

// sendTimeout bounds the wait for a message's answer, as the widget's own wait does; a
// variable for the tests.
var sendTimeout = 10 * time.Second

// sendOverSocket writes m as a `send` frame on its sender's socket; the `sent` frame (onSent),
// a failed write or sendTimeout ends it (endSocketSend). No goroutine waits for the answer: the
// reader that gets it does the bookkeeping, which spares the load generator a goroutine, its
// wake-up, a context and a channel a message on the cores it shares with the nodes. The caller
// holds a slot.
func (r *runner) sendOverSocket(m *tracked) {
	c, sock := m.conv, m.senderSocket()
	m.giveUp = time.AfterFunc(sendTimeout, func() {
		if r.tracker.end(m.id) != nil {
			r.endSocketSend(m, fmt.Errorf("send on the %s socket: no answer in %s", kindNames[sock.kind], sendTimeout))
		}
	})
	m.sent = time.Now()
	data := sendFrame(c.id, m)
	r.tracker.add(m) // before the write: the answer may be read before the write returns
	if err := sock.conn.Load().writeText(data, m.sent.Add(sendTimeout)); err != nil && r.tracker.end(m.id) != nil {
		r.endSocketSend(m, fmt.Errorf("send on the %s socket: %w", kindNames[sock.kind], err))
	}
}

// senderSocket is the socket m is sent over.
func (m *tracked) senderSocket() *socket {
	if m.dir == operatorToVisitor {
		return &m.conv.operator.socket
	}
	return &m.conv.visitor.socket
}

// endSocketSend records how the socket send of m ended, once tracker.end has handed it over,
// and gives its slot back.
func (r *runner) endSocketSend(m *tracked, err error) {
	m.giveUp.Stop()
	if err != nil {
		r.tracker.failed(m)
		r.problems.note("messaging", err)
	} else {
		r.tracker.acked(m, time.Since(m.sent))
	}
	<-r.slots
	r.inflight.Done()
}

// messageBody is a message's body and client id, the body carrying when it was sent.
func messageBody(m *tracked) map[string]string {
	return map[string]string{"body": messageText(m), "client_msg_id": m.id}
}

// sendSeries names the nodes' histograms of the visitors' and the operators' sends.
func (r *runner) sendSeries() (visitor, operator string) {
	if r.opt.SendOverREST {
		return visitorSendRoute, operatorSendRoute
	}
	return visitorSocketSend, operatorSocketSend
}

// reply has the conversation's operator answer a visitor message it has just received.
func (r *runner) reply(to *tracked) {
	m := &tracked{id: fmt.Sprintf("o%d.%d", to.conv.idx, to.n), dir: operatorToVisitor, conv: to.conv, n: to.n}
	r.send(context.Background(), m, false)
}

// send sends one message: over the socket at once, over REST on a goroutine of its own.
// holdsSlot says whether the caller has already taken a place among the concurrent sends (the
// scheduler does, to be held back by them). It reports false once the phase has stopped sending.
func (r *runner) send(ctx context.Context, m *tracked, holdsSlot bool) bool {
	r.sendMu.Lock()
	if !r.sending {
		r.sendMu.Unlock()
		return false
	}
	r.inflight.Add(1)
	r.sendMu.Unlock()
	if !r.opt.SendOverREST {
		if !holdsSlot {
			select {
			case r.slots <- struct{}{}:
			default:
				// Every place is taken: wait for one without holding up the reader of the
				// socket this reply came in on.
				go func() {
					r.slots <- struct{}{}
					r.sendOverSocket(m)
				}()
				return true
			}
		}
		r.sendOverSocket(m)
		return true
	}
	go func() {
		defer r.inflight.Done()
		if !holdsSlot {
			r.slots <- struct{}{}
		}
		defer func() { <-r.slots }()
		ctx, cancel := context.WithTimeout(ctx, sendTimeout)
		defer cancel()
		if err := r.post(ctx, m); err != nil {
			r.tracker.failed(m)
			r.problems.note("messaging", err)
			return
		}
		r.tracker.acked(m, time.Since(m.sent))
	}()
	return true
}
