package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live/netpoll"
	"github.com/portico/portico/internal/live/ws"
	"github.com/portico/portico/internal/metrics"
)

// Timing of the protocol (docs/protocol.md).
const (
	HeartbeatInterval = 25 * time.Second
	idleTimeout       = 60 * time.Second
	writeTimeout      = 10 * time.Second
	// A burst (the presence of thousands of visitors reconnecting after a node restart) must
	// not drop a healthy operator whose writer has not had the CPU yet. Fan-out frames are
	// shared by every queue they wait in, so a full queue costs little more than its slice; a
	// client that stopped reading is caught by writeTimeout anyway.
	sendQueueLen   = 16384
	sendQueueBytes = 4 << 20
	// maxClientFrame fits a `send` frame of the longest message (conversations.MaxBodyChars),
	// each character escaped by JSON at worst as \u00XX. A frame's buffer is the size of the
	// frame, only while it is read.
	maxClientFrame = 32 << 10
	sweepEvery     = 5 * time.Second
	workerCount    = 8
)

// TypingRelay checks that the sender may see the conversation and relays the indicator.
type TypingRelay interface {
	OperatorTyping(ctx context.Context, op *domain.Operator, conversationID string, typing bool) error
	VisitorTyping(ctx context.Context, v *domain.Visitor, conversationID string, typing bool) error
}

// Chat is what the hub needs of the conversations: typing hints and messages sent over a socket.
type Chat interface {
	TypingRelay
	MessageSender
}

// Hub holds this node's live connections. It subscribes to a bus topic while at least one local
// connection needs it, and keeps the presence of the operators and visitors connected here.
type Hub struct {
	// Metrics, when set, records delivery latency and dropped slow consumers.
	Metrics *metrics.Metrics
	// AnswerError, when set, says how a message sent over a socket failed, as REST answers it:
	// its status, code, message and field. Without it every failure is 500 internal_error.
	AnswerError func(err error) (status int, code, message, field string)

	bus bus.Bus
	// confirmer is bus when its subscriptions take effect only once confirmed (NATS), else nil.
	confirmer bus.Confirmer
	publisher *Publisher
	chat      Chat
	accounts  HubAccounts
	log       *slog.Logger
	cluster   *cluster

	mu       sync.Mutex
	topics   map[string]*topic
	conns    map[*conn]struct{}
	visitors map[string]*visitorState  // visitor id → its connections here
	leaving  map[string]leavingVisitor // visitors whose last tab here closed
	// LeaveAfter is how long all of a visitor's tabs must be gone before they count as left.
	LeaveAfter time.Duration
	// VisitorEvents, when set, hears of visitors arriving and leaving, to tell the console.
	VisitorEvents VisitorEvents
	// Backup, when set, says whether a portal's backup operators answer for an advertiser
	// nobody of whose is available; the advertiser's followers are told it is available then.
	Backup BackupChecker
	// advertisers resolves the advertisers portal visitors follow (follow.go); backups holds
	// the portals' backup availability for them a moment.
	advertisers advertiserCache
	backupsMu   sync.Mutex
	backups     map[string]knownBackup
	ops         map[string]map[string]*operatorState // account id → operator id → state
	closing     bool
	jobs        chan func(ctx context.Context)
	// sendsInFlight counts the goroutines storing messages sent over sockets (send.go);
	// sendsStopped, under sendMu, refuses more once the node is shutting down.
	sendMu        sync.Mutex
	sendsStopped  bool
	sendsInFlight sync.WaitGroup
	// families holds the topic families (bus.VisitorFamily, bus.FollowersFamily) the hub
	// follows, each with one subscription.
	families map[string]bool
	// poller reads an idle connection when it has bytes; nil where sockets cannot be
	// watched, and each connection then has a goroutine waiting in a read.
	poller *netpoll.Poller
	// readersStarted counts the reader goroutines started for watched connections: a
	// heartbeat should need none (tests).
	readersStarted atomic.Int64
	// gaps holds one pending catch-up after the bus lost events; gaps during a catch-up add
	// only one more.
	gaps chan struct{}
	// cut is set while the bus is cut off from the other nodes: operators are told their live
	// events are paused (the console says so) until the catch-up after the gap.
	cut atomic.Bool
	// A catch-up sends clients to reconnect catchUpBatch at a time, catchUpPause apart.
	catchUpBatch int
	catchUpPause time.Duration
}

type topic struct {
	unsubscribe func()
	conns       map[*conn]struct{}
	// confirmed is closed once the bus has the topic's subscription in effect; nil on a bus
	// whose subscriptions take effect at once (not a bus.Confirmer).
	confirmed chan struct{}
}

// confirmTimeout bounds how long a new connection's hello waits for its subscriptions to take
// effect: with NATS out of reach it goes on without, and the catch-up after the gap covers it.
const confirmTimeout = 2 * time.Second

type visitorState struct {
	accountID string
	conns     int
}

type leavingVisitor struct {
	visitor *domain.Visitor
	since   time.Time
}

// VisitorEvents is told when a visitor opens their first tab, closes their last one, and
// when they have been gone for LeaveAfter. It must not block: it runs on the connection's
// goroutine or the hub's sweep.
type VisitorEvents interface {
	VisitorOnline(ctx context.Context, v *domain.Visitor)
	VisitorOffline(ctx context.Context, v *domain.Visitor)
	VisitorLeft(ctx context.Context, v *domain.Visitor)
	// VisitorElsewhere: the visitor's tabs here are gone, but they are online on another node.
	VisitorElsewhere(v *domain.Visitor)
}

// DefaultLeaveAfter is how long a visitor with no tab open is still "on the site": long enough
// to load the next page or come back from a flaky network.
const DefaultLeaveAfter = 60 * time.Second

type operatorState struct {
	status domain.OperatorStatus
	conns  int
}

// NewHub makes the hub of the node named node (unique among the nodes sharing a bus).
func NewHub(b bus.Bus, pub *Publisher, chat Chat, accounts HubAccounts, log *slog.Logger, node string) *Hub {
	confirmer, _ := b.(bus.Confirmer)
	return &Hub{
		confirmer: confirmer,
		bus:       b, publisher: pub, chat: chat, accounts: accounts, log: log, cluster: newCluster(node, b, &pub.layout, log),
		topics:       map[string]*topic{},
		families:     map[string]bool{},
		conns:        map[*conn]struct{}{},
		visitors:     map[string]*visitorState{},
		leaving:      map[string]leavingVisitor{},
		LeaveAfter:   DefaultLeaveAfter,
		ops:          map[string]map[string]*operatorState{},
		jobs:         make(chan func(context.Context), 1024),
		poller:       newPoller(log),
		gaps:         make(chan struct{}, 1),
		catchUpBatch: 500,
		catchUpPause: 250 * time.Millisecond,
	}
}

func newPoller(log *slog.Logger) *netpoll.Poller {
	p, err := netpoll.New()
	if err != nil {
		log.Info("idle connections each keep a reading goroutine", "reason", err)
		return nil
	}
	return p
}

// join adds c to its topics, subscribing to those no other connection here needs yet. It
// reports false when the hub is closing; otherwise wait returns once every subscription c
// relies on is in effect, so that the client, greeted after it, misses no event from then on.
func (h *Hub) join(c *conn, topics ...string) (wait func(), ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return nil, false
	}
	h.conns[c] = struct{}{}
	var pending subscriptions
	for _, name := range topics {
		h.addTopic(c, name, &pending)
	}
	for _, e := range c.followed { // the advertiser a portal visitor's socket came with
		h.addTopic(c, e.topic, &pending)
	}
	c.topics = topics
	return func() { h.awaitSubscriptions(&pending) }, true
}

// subscriptions are the bus subscriptions a connection waits for: those it made itself, and
// those another connection made a moment before and that may not be in effect yet.
type subscriptions struct {
	created []*topic
	pending []chan struct{}
}

// addTopic adds c to the topic name, subscribing to it on the bus if it is new here; the
// caller holds h.mu.
func (h *Hub) addTopic(c *conn, name string, s *subscriptions) {
	t := h.topics[name]
	if t == nil {
		t = &topic{conns: map[*conn]struct{}{}}
		if family := familyOf(name); family != "" {
			// One subscription for the whole family serves every connection here.
			if !h.followFamily(family) {
				return
			}
		} else {
			unsub, err := h.bus.Subscribe(name, func(payload []byte) { h.deliver(name, payload) })
			if err != nil {
				h.log.Error("subscribe", "topic", name, "err", err)
				return
			}
			t.unsubscribe = unsub
			if h.confirmer != nil {
				t.confirmed = make(chan struct{})
				s.created = append(s.created, t)
			}
		}
		h.topics[name] = t
	} else if t.confirmed != nil {
		s.pending = append(s.pending, t.confirmed)
	}
	t.conns[c] = struct{}{}
}

// awaitSubscriptions returns once the subscriptions are in effect, or confirmTimeout has passed.
func (h *Hub) awaitSubscriptions(s *subscriptions) {
	if len(s.created) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), confirmTimeout)
		if err := h.confirmer.Confirm(ctx); err != nil && !errors.Is(err, bus.ErrDisconnected) {
			h.log.Warn("subscriptions not confirmed by the bus", "err", err)
		}
		cancel()
		for _, t := range s.created {
			close(t.confirmed)
		}
	}
	// Another connection's join subscribed to these; its confirmation serves this one.
	for _, confirmed := range s.pending {
		select {
		case <-confirmed: // almost always, and then without a timer
		default:
			select {
			case <-confirmed:
			case <-time.After(confirmTimeout):
			}
		}
	}
}

// familyOf names the family a topic belongs to, if the hub follows it as a family.
func familyOf(topic string) string {
	for _, family := range []string{bus.VisitorFamily, bus.FollowersFamily} {
		if strings.HasPrefix(topic, family) {
			return family
		}
	}
	return ""
}

// followFamily subscribes, once, to a family of topics; the caller holds h.mu.
func (h *Hub) followFamily(family string) bool {
	if h.families[family] {
		return true
	}
	if _, err := h.bus.SubscribeFamily(family, h.deliver); err != nil {
		h.log.Error("subscribe", "family", family, "err", err)
		return false
	}
	h.families[family] = true
	return true
}

func (h *Hub) leave(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.conns, c)
	for _, name := range c.topics {
		h.dropTopic(c, name)
	}
	for _, e := range c.followed {
		h.dropTopic(c, e.topic)
	}
}

// dropTopic removes c from the topic name, unsubscribing when nobody here needs it any more;
// the caller holds h.mu.
func (h *Hub) dropTopic(c *conn, name string) {
	t := h.topics[name]
	if t == nil {
		return
	}
	delete(t.conns, c)
	if len(t.conns) == 0 {
		if t.unsubscribe != nil {
			t.unsubscribe()
		}
		delete(h.topics, name)
	}
}

// deliver hands a bus payload to the local connections of its topic. Account topics carry an
// envelope that says which operators may see the frame; visitor topics carry the frame itself.
func (h *Hub) deliver(topicName string, payload []byte) {
	h.mu.Lock()
	t := h.topics[topicName]
	if t == nil || len(t.conns) == 0 {
		h.mu.Unlock()
		return
	}
	held := deliveryTargets.Get().(*[]*conn)
	targets := (*held)[:0]
	for c := range t.conns {
		targets = append(targets, c)
	}
	h.mu.Unlock()
	defer func() {
		// Every write is done or queued when sendAll returns; the slice must not keep the
		// connections alive while it waits in the pool.
		clear(targets)
		*held = targets[:0]
		deliveryTargets.Put(held)
	}()

	// The frame is encoded once here and the same bytes go to every connection.
	if targets[0].operator == nil {
		wire := ws.TextFrame(payload)
		audience := targets[:0]
		for _, c := range targets {
			if !c.isEcho(wire) {
				audience = append(audience, c)
			}
		}
		sendAll(audience, wire)
		return
	}
	env, err := decodeEnvelope(payload)
	if err != nil {
		h.log.Error("bad envelope on bus", "topic", topicName, "err", err)
		return
	}
	audience := targets[:0]
	for _, c := range targets {
		if env.includes(c.operator) && !c.isEcho(env.wire) {
			audience = append(audience, c)
		}
	}
	sendAll(audience, env.wire)
	if h.Metrics != nil && env.sent > 0 {
		h.Metrics.DeliveryLatency.Observe(time.Since(time.Unix(0, env.sent)).Seconds())
	}
}

// deliveryTargets holds the slices deliver gathers a topic's connections in: an event on a topic
// of 10,000 visitors would otherwise allocate 80 KB.
var deliveryTargets = sync.Pool{New: func() any { return new([]*conn) }}

// fanOutShare is how many connections one goroutine writes to in a fan-out before another
// goroutine is worth starting.
const fanOutShare = 512

// sendAll sends one frame to many connections, the writes shared among up to one goroutine per
// CPU. It returns when every connection has the frame written or queued, so that the topic's
// next event cannot overtake it on any of them.
func sendAll(targets []*conn, wire []byte) {
	shares := min(runtime.GOMAXPROCS(0), (len(targets)+fanOutShare-1)/fanOutShare)
	if shares <= 1 {
		for _, c := range targets {
			c.enqueue(wire)
		}
		return
	}
	per := (len(targets) + shares - 1) / shares
	var wg sync.WaitGroup
	for start := 0; start < len(targets); start += per {
		share := targets[start:min(start+per, len(targets))]
		wg.Go(func() {
			for _, c := range share {
				c.enqueue(wire)
			}
		})
	}
	wg.Wait()
}

// AnyOperatorAvailable reports whether an operator of one of the accounts is connected to this
// node with status online.
func (h *Hub) AnyOperatorAvailable(accountIDs ...string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range accountIDs {
		if h.accountAvailable(id) {
			return true
		}
	}
	return false
}

// accountAvailable is true when an operator of the account can answer on any node.
func (h *Hub) accountAvailable(accountID string) bool {
	for _, st := range h.ops[accountID] {
		if st.available() {
			return true
		}
	}
	return h.cluster.operatorAvailable(accountID)
}

func (st *operatorState) available() bool {
	return st.conns > 0 && st.status == domain.StatusOnline
}

// VisitorOnline reports whether the visitor has a live connection to any node.
func (h *Hub) VisitorOnline(visitorID string) bool {
	h.mu.Lock()
	local := h.visitors[visitorID] != nil
	h.mu.Unlock()
	return local || h.cluster.visitorOnline(visitorID)
}

// OnlineVisitors returns the ids of the account's visitors connected to any node.
func (h *Hub) OnlineVisitors(accountID string) []string {
	set := map[string]bool{}
	h.mu.Lock()
	for id, st := range h.visitors {
		if st.accountID == accountID {
			set[id] = true
		}
	}
	h.mu.Unlock()
	h.cluster.addVisitorsOf(accountID, set)
	ids := make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	return ids
}

// OperatorsConnected reports whether anyone could see a change to the account's visitor list:
// an operator of the account connected here, or any other node (which may have operators of any
// status; other nodes only tell which are available).
func (h *Hub) OperatorsConnected(accountID string) bool {
	h.mu.Lock()
	local := len(h.ops[accountID]) > 0
	h.mu.Unlock()
	return local || h.cluster.anyNode()
}

// SetOperatorStatus records a status change of an operator, on this node and on the others
// (the operator may have tabs open on several), and tells the account's visitors when that
// changes whether anyone can answer.
func (h *Hub) SetOperatorStatus(op *domain.Operator) {
	h.applyStatus(op.AccountID, op.ID, op.Status)
	h.cluster.publish(presenceMsg{Kind: "s", ID: op.ID, Account: op.AccountID, Status: string(op.Status)})
}

// applyStatus changes the status of an operator's connections to this node, if it has any.
func (h *Hub) applyStatus(accountID, operatorID string, status domain.OperatorStatus) {
	h.mu.Lock()
	_, connected := h.ops[accountID][operatorID]
	h.mu.Unlock()
	if connected {
		h.updateOperator(accountID, operatorID, func(st *operatorState) { st.status = status })
	}
}

func (h *Hub) updateOperator(accountID, operatorID string, change func(*operatorState)) {
	h.mu.Lock()
	before := h.accountAvailable(accountID)
	byID := h.ops[accountID]
	if byID == nil {
		byID = map[string]*operatorState{}
		h.ops[accountID] = byID
	}
	st := byID[operatorID]
	if st == nil {
		st = &operatorState{status: domain.StatusOffline}
		byID[operatorID] = st
	}
	wasAvailable := st.available()
	change(st)
	isAvailable := st.available()
	if st.conns == 0 {
		delete(byID, operatorID)
	}
	after := h.accountAvailable(accountID)
	h.mu.Unlock()
	if wasAvailable != isAvailable {
		h.cluster.publish(presenceMsg{Kind: "o", ID: operatorID, Account: accountID, On: isAvailable})
		h.availabilityChanged(accountID, before != after, after)
	}
}

// availabilityChanged tells whom it concerns that an operator of the account became available
// or unavailable, and whether with it the account did (changed, to online): the account's
// visitors, the followers of an advertiser, and, for a portal's operator (perhaps one of its
// backup operators), the followers of its advertisers with nobody there.
func (h *Hub) availabilityChanged(accountID string, changed, online bool) {
	if changed {
		h.announceAvailability(accountID, online)
	}
	acc, err := h.accounts.AccountByID(context.Background(), accountID)
	if err != nil {
		h.log.Warn("presence: account lookup", "account_id", accountID, "err", err)
		return
	}
	if changed && acc.Kind == domain.KindAdvertiser {
		h.announceToFollowers(acc, online)
	}
	if acc.Kind == domain.KindPortal {
		h.recheckBackup(acc.ID)
	}
}

// announceAvailability tells the account's visitors whether someone can answer now.
func (h *Hub) announceAvailability(accountID string, online bool) {
	if err := h.bus.Publish(context.Background(), bus.AccountVisitorsTopic(accountID), mustEncode(presenceFrame{Type: "presence", Online: online})); err != nil {
		h.log.Warn("presence not published", "account_id", accountID, "err", err)
	}
}

// announceToFollowers tells the portal visitors who follow the advertiser (follow.go) whether
// someone answers for it now: its operators, or else the portal's backup operators.
func (h *Hub) announceToFollowers(adv *domain.Account, online bool) {
	if !online {
		online = h.backupAnswers(adv.ParentID, true)
	}
	frame := mustEncode(presenceFrame{Type: "presence", Online: online, Advertiser: &adv.ExternalID})
	if err := h.bus.Publish(context.Background(), bus.FollowersTopic(adv.ID), frame); err != nil {
		h.log.Warn("presence not published", "account_id", adv.ID, "err", err)
	}
}

// visitorPresence counts a visitor's connections and announces the first and the last. The
// last one closing starts the visitor's LeaveAfter; the sweep then decides whether they left.
func (h *Hub) visitorPresence(v *domain.Visitor, delta int) {
	h.mu.Lock()
	st := h.visitors[v.ID]
	if st == nil {
		st = &visitorState{accountID: v.AccountID}
		h.visitors[v.ID] = st
	}
	st.conns += delta
	n := st.conns
	if n <= 0 {
		delete(h.visitors, v.ID)
		h.leaving[v.ID] = leavingVisitor{visitor: v, since: time.Now()}
	} else {
		delete(h.leaving, v.ID)
	}
	h.mu.Unlock()
	if (delta > 0 && n == 1) || (delta < 0 && n == 0) {
		h.cluster.publish(presenceMsg{Kind: "v", ID: v.ID, Account: v.AccountID, On: n > 0})
		if err := h.publisher.VisitorPresence(context.Background(), v.AccountID, v.ID, n > 0); err != nil {
			h.log.Warn("presence not published", "visitor_id", v.ID, "err", err)
		}
		if ev := h.VisitorEvents; ev != nil {
			if n > 0 {
				ev.VisitorOnline(context.Background(), v)
			} else {
				ev.VisitorOffline(context.Background(), v)
			}
		}
	}
}

// sweepLeavers announces the visitors whose tabs have all been gone for LeaveAfter, on every
// node. A visitor who came back on another node in the meantime has not left.
func (h *Hub) sweepLeavers(now time.Time) {
	h.mu.Lock()
	var gone []*domain.Visitor
	for id, l := range h.leaving {
		if now.Sub(l.since) >= h.LeaveAfter {
			delete(h.leaving, id)
			gone = append(gone, l.visitor)
		}
	}
	h.mu.Unlock()
	ev := h.VisitorEvents
	for _, v := range gone {
		switch {
		case ev == nil:
		case h.VisitorOnline(v.ID):
			ev.VisitorElsewhere(v) // back, on another node: that node follows them now
		default:
			ev.VisitorLeft(context.Background(), v)
		}
	}
}

// Run keeps this node's presence known to the other nodes until ctx ends, then says goodbye so
// they drop it at once rather than after nodeTTL.
func (h *Hub) Run(ctx context.Context) error {
	unsubscribe, err := h.bus.Subscribe(presenceTopic, func(payload []byte) {
		h.cluster.receive(payload, clusterHandlers{snapshot: h.snapshot, applyStatus: h.applyStatus, endSession: h.closeSession, backupHeard: h.backupHeard})
	})
	if err != nil {
		return err
	}
	defer unsubscribe()
	// Following the visitor families from the start, rather than from the first visitor on,
	// spares that visitor the subscription and keeps the node's goroutines steady (a NATS
	// subscription has one), so that a leak shows.
	h.mu.Lock()
	following := h.followFamily(bus.VisitorFamily) && h.followFamily(bus.FollowersFamily)
	h.mu.Unlock()
	if !following {
		return errors.New("live: cannot follow the visitor topics")
	}
	if h.confirmer != nil {
		confirmCtx, cancel := context.WithTimeout(ctx, confirmTimeout)
		if err := h.confirmer.Confirm(confirmCtx); err != nil && !errors.Is(err, bus.ErrDisconnected) {
			h.log.Warn("the visitor topics' subscription not confirmed by the bus", "err", err)
		}
		cancel()
	}
	var workers sync.WaitGroup
	for range workerCount {
		workers.Add(1)
		go func() {
			defer workers.Done()
			h.work(ctx)
		}()
	}
	if g, ok := h.bus.(bus.Gapped); ok {
		g.OnGap(h.busGap)
		g.OnCut(h.busCut)
		if !g.Connected() {
			h.cut.Store(true) // NATS was not there when the node started
		}
	}
	workers.Go(func() { h.catchUpAfterGaps(ctx) })
	defer workers.Wait()
	polling := make(chan error, 1)
	if h.poller != nil {
		go func() { polling <- h.poller.Run() }()
		defer func() {
			h.poller.Close()
			<-polling
		}()
	}
	h.cluster.publish(presenceMsg{Hello: true})
	snapshot := time.NewTicker(snapshotEvery)
	defer snapshot.Stop()
	// One sweep over all connections replaces a timer per connection.
	sweep := time.NewTicker(min(sweepEvery, max(h.LeaveAfter/4, 50*time.Millisecond)))
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			h.cluster.publish(presenceMsg{Bye: true})
			return nil
		case err := <-polling:
			return fmt.Errorf("live: socket poller: %w", err)
		case <-snapshot.C:
			s := h.snapshot()
			s.Snapshot = true
			h.cluster.publish(s)
			h.nodesLost(h.cluster.forgetSilent())
		case now := <-sweep.C:
			h.closeIdle(now)
			h.sweepLeavers(now)
		}
	}
}

// nodesLost announces what nodes that went silent held and nobody holds now: their operators'
// accounts with nobody else available, and their visitors not back on another node, as their
// own node would have had they closed. A node that shuts down closes its connections, which
// announces all that, before it says goodbye; one that crashed or lost the bus could not. Their
// clients had nodeTTL to come back on another node. One node, the leading one, speaks for all.
func (h *Hub) nodesLost(lost []*nodePresence) {
	if len(lost) == 0 || !h.cluster.leads() {
		return
	}
	ctx := context.Background()
	for _, n := range lost {
		h.log.Warn("a node went silent: announcing what it held", "visitors", len(n.visitors), "accounts", len(n.operators))
		for accountID, operators := range n.operators {
			if len(operators) > 0 && !h.AnyOperatorAvailable(accountID) {
				h.availabilityChanged(accountID, true, false)
			}
		}
		for visitorID, accountID := range n.visitors {
			if h.VisitorOnline(visitorID) {
				continue
			}
			v := &domain.Visitor{ID: visitorID, AccountID: accountID}
			if err := h.publisher.VisitorPresence(ctx, accountID, visitorID, false); err != nil {
				h.log.Warn("presence not published", "visitor_id", visitorID, "err", err)
			}
			if ev := h.VisitorEvents; ev != nil {
				ev.VisitorOffline(ctx, v)
			}
			h.mu.Lock()
			if h.visitors[visitorID] == nil {
				h.leaving[visitorID] = leavingVisitor{visitor: v, since: n.seen}
			}
			h.mu.Unlock()
		}
	}
}

// closeIdle closes the connections whose clients have sent nothing for idleTimeout.
func (h *Hub) closeIdle(now time.Time) {
	limit := now.Add(-idleTimeout).Unix()
	for _, c := range h.connsWhere(func(c *conn) bool { return c.lastRead.Load() < limit }) {
		c.kill(CloseIdle, "idle")
	}
}

// tryWork hands fn to a worker, or drops it when all are busy and the queue is full.
func (h *Hub) tryWork(fn func(ctx context.Context)) {
	select {
	case h.jobs <- fn:
	default:
	}
}

func (h *Hub) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case fn := <-h.jobs:
			jctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			fn(jctx)
			cancel()
		}
	}
}

// snapshot is this node's own presence: its visitors and its available operators.
func (h *Hub) snapshot() presenceMsg {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := presenceMsg{Visitors: map[string][]string{}, Operators: map[string][]string{}}
	for id, st := range h.visitors {
		m.Visitors[st.accountID] = append(m.Visitors[st.accountID], id)
	}
	for acc, ops := range h.ops {
		for id, st := range ops {
			if st.available() {
				m.Operators[acc] = append(m.Operators[acc], id)
			}
		}
	}
	return m
}

// EndSession closes the sockets opened with a session that has ended (the operator signed
// out), on every node, with the close code that tells the console to sign in again.
func (h *Hub) EndSession(sessionHash string) {
	h.closeSession(sessionHash)
	h.cluster.publish(presenceMsg{Kind: "x", ID: sessionHash})
}

func (h *Hub) closeSession(sessionHash string) {
	for _, c := range h.connsWhere(func(c *conn) bool { return c.session == sessionHash }) {
		c.kill(CloseUnauthorized, "signed out")
	}
}

// connsWhere lists the node's connections for which keep is true, under the hub's lock, so that
// the caller acts on them (writes, closes) without it.
func (h *Hub) connsWhere(keep func(*conn) bool) []*conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*conn
	for c := range h.conns {
		if keep(c) {
			out = append(out, c)
		}
	}
	return out
}

func isOperator(c *conn) bool { return c.operator != nil }

// ConnectionCounts reports live connections by kind, for metrics and tests.
func (h *Hub) ConnectionCounts() (operators, visitors int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.operator != nil {
			operators++
		} else {
			visitors++
		}
	}
	return operators, visitors
}

var (
	reconnectFrame = ws.TextFrame(mustEncode(simpleFrame{Type: "reconnect"}))
	resyncFrame    = ws.TextFrame(mustEncode(simpleFrame{Type: "resync"}))
	pausedJSON     = mustEncode(simpleFrame{Type: "paused"})
	pausedFrame    = ws.TextFrame(pausedJSON)
)

// Shutdown tells every client to reconnect elsewhere and closes the connections, without
// waiting longer than ctx allows. New connections are refused from now on.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	h.closing = true
	all := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		all = append(all, c)
	}
	h.mu.Unlock()
	// Messages being stored are answered before their clients are sent away; the rest are sent
	// again after the reconnect.
	h.stopSends(ctx)
	sendAway(ctx, all, "server shutting down")
}

// sendAway sends each connection the reconnect frame and closes it, many at a time; once ctx
// ends, the rest are closed without it.
func sendAway(ctx context.Context, conns []*conn, reason string) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, c := range conns {
		if ctx.Err() != nil {
			c.ws.CloseNow()
			c.socketClosed()
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c.goAway(reconnectFrame, reason)
		}()
	}
	wg.Wait()
}

// busCut tells the node's operators that live events from the other nodes are paused: the bus
// is cut off from them (bus.Gapped). The catch-up once it is back ends the pause. Visitors are
// not told: the widget has nothing to show for it. It does not block.
func (h *Hub) busCut() {
	h.cut.Store(true) // before the list: an operator joining after it sees the flag
	operators := h.connsWhere(isOperator)
	h.log.Warn("live events from the other nodes are paused: operators are told", "operators", len(operators))
	for _, c := range operators {
		c.enqueue(pausedFrame)
	}
}

// busGap asks for a catch-up: the bus lost events (bus.Gapped). It does not block.
func (h *Hub) busGap() {
	select {
	case h.gaps <- struct{}{}:
	default: // one is pending already, and it will serve this gap too
	}
}

func (h *Hub) catchUpAfterGaps(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.gaps:
			h.catchUp(ctx)
		}
	}
}

// catchUp follows a gap in the bus. The other nodes' events of that time never reached this
// node, and they did not hear of its presence changes: it greets them again (each answers with
// its snapshot) and sends its own snapshot, and has its clients fetch from the database what they
// show (docs/protocol.md) — operators first, since a missed new chat waits on them. A client that
// asked for it gets the `resync` frame and keeps its socket; any other the `reconnect` frame.
func (h *Hub) catchUp(ctx context.Context) {
	h.cut.Store(false) // the resync or reconnect frame below ends the operators' pause
	h.cluster.publish(presenceMsg{Hello: true})
	s := h.snapshot()
	s.Snapshot = true
	h.cluster.publish(s)
	// The bus has resubscribed by now, but a client's fetch must not start before the server
	// has those subscriptions in effect, or what another node publishes in between is lost.
	if h.confirmer != nil {
		confirmCtx, cancel := context.WithTimeout(ctx, confirmTimeout)
		if err := h.confirmer.Confirm(confirmCtx); err != nil && !errors.Is(err, bus.ErrDisconnected) {
			h.log.Warn("subscriptions not confirmed by the bus after a gap", "err", err)
		}
		cancel()
	}
	// Operators first: a missed new chat waits on them.
	all := append(h.connsWhere(isOperator), h.connsWhere(func(c *conn) bool { return !isOperator(c) })...)
	resyncing := 0
	for _, c := range all {
		if c.resyncs {
			resyncing++
		}
	}
	h.log.Warn("live events between nodes were interrupted: this node's clients catch up",
		"clients", len(all), "resyncing", resyncing, "reconnecting", len(all)-resyncing)
	if h.Metrics != nil {
		h.Metrics.BusGaps.Inc()
	}
	// A batch at a time, about the new connections a second a node takes in (docs/benchmarks.md),
	// so that the clients' fetches (and reconnections) do not crowd each other out.
	for start := 0; start < len(all); start += h.catchUpBatch {
		if start > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(h.catchUpPause):
			}
		}
		batch := all[start:min(start+h.catchUpBatch, len(all))]
		away := make([]*conn, 0, len(batch))
		for _, c := range batch {
			if c.resyncs {
				c.enqueue(resyncFrame)
			} else {
				away = append(away, c)
			}
		}
		sendAway(ctx, away, "live events were interrupted")
	}
}
