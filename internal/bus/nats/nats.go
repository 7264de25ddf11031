// Package nats is the bus for several Portico nodes: live events travel through a NATS server,
// so a visitor on one node and an operator on another see each other. NATS carries fan-out only;
// a client that missed something catches up from the database by seq. A node's own subscribers
// get its events in process, as on the single-node bus, and the server sends a node none of
// its own: an event between two clients of one node takes no trip through the server.
package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/rawsock"
)

const subjectPrefix = "portico."

// lostSubject is where a node that was cut off from NATS tells the others that events it
// published meanwhile may not have reached them: those in flight when the link broke, and those
// past the reconnect buffer. Their clients then catch up from the database as after their own
// gap; they had no other way to know.
const lostSubject = subjectPrefix + "bus.lost"

// lossNotice is the message on lostSubject.
type lossNotice struct {
	Node string `json:"node"`
	// Dropped: the reconnect buffer refused events, which may have been stored at any time of
	// the outage. Otherwise only what was in flight when the link broke, CutMS ago, is lost.
	Dropped bool  `json:"dropped,omitempty"`
	CutMS   int64 `json:"cut_ms"`
}

// pingInterval is how often the node checks that its link to NATS still carries anything. A
// link that breaks without a reset (a network partition, a server frozen) looks alive until the
// client's pings go unanswered: nats.go's default of two minutes, twice, left a node missing the
// other nodes' events, and they its own, for up to six minutes without a gap.
var pingInterval = 5 * time.Second

// maxPingsOut is how many pings may go unanswered before the link counts as broken.
const maxPingsOut = 2

// reconnectBuffer holds what the node publishes while it reconnects, sent once it is back.
var reconnectBuffer = 16 << 20

// A topic's subscription hands its events to one of dispatchers goroutines, the topic always to
// the same one so that its events stay in order: nats.go's own asynchronous subscription costs
// a goroutine each (2 KiB of stack and 1.4 KiB of heap measured), and a node holds one topic per
// account with someone connected to it, thousands on a portal whose advertisers are signed in.
// An event waits behind the others of its dispatcher (a fan-out to an account's 10,000 visitors
// takes tens of milliseconds), so there are more of them than CPUs. dispatchQueue is how many
// events one holds before the client drops the next ones and the bus reports a gap (the
// clients then catch up from the database).
const dispatchers = 16

var dispatchQueue = 8192

type Bus struct {
	nc *nats.Conn
	// local holds this node's subscribers for its own events, which the server does not echo.
	local *bus.Memory
	log   *slog.Logger
	name  string // the node's, for the other nodes' logs

	mu    sync.Mutex
	onGap []func()
	onCut []func()
	// offlineAtStart: the server was unreachable when the node started, so its first connection
	// comes late and is a gap like a reconnection.
	offlineAtStart bool
	// unreachableSaid: why the server cannot be reached was logged for this outage; attempts
	// every 250 ms would otherwise fill the log.
	unreachableSaid bool
	// dropped: an event was refused (the reconnect buffer was full) since the bus last told
	// the other nodes of its losses; droppedSaid: that was logged, once an outage.
	dropped, droppedSaid bool
	// cutAt: when the link last broke (or the node started without it); lastGap: when the bus
	// last reported a gap, after which its node's clients caught up.
	cutAt, lastGap time.Time

	// dispatch holds one queue per dispatching goroutine; handlers the topics' handlers by
	// subscription, written while subscribing under its lock, so that a dispatcher that has
	// a subscription's first event (it cannot have it earlier) waits for its handler.
	dispatch   []chan *nats.Msg
	closed     chan struct{} // ends the dispatchers
	closeOnce  sync.Once
	handlersMu sync.RWMutex
	handlers   map[*nats.Subscription]bus.Handler
}

var (
	_ bus.Bus       = (*Bus)(nil)
	_ bus.Gapped    = (*Bus)(nil)
	_ bus.Confirmer = (*Bus)(nil)
	_ bus.Bounded   = (*Bus)(nil)
)

// Connect dials the NATS server and keeps reconnecting for as long as the node runs. A server
// that cannot be reached yet does not stop the node: NATS carries fan-out only, so the node serves
// its own clients from the database meanwhile, as during an outage, and reports a gap once it is
// connected. Only a configuration that can never work (a URL, a file) is an error.
func Connect(cfg config.NATS, node string, log *slog.Logger) (*Bus, error) {
	b := &Bus{local: bus.NewMemory(), log: log, name: node, handlers: map[*nats.Subscription]bus.Handler{},
		closed: make(chan struct{})}
	opts := []nats.Option{
		nats.Name("portico " + node),
		nats.SetCustomDialer(rawDialer{net.Dialer{Timeout: nats.DefaultTimeout}}),
		nats.NoEcho(),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(reconnectBuffer),
		nats.PingInterval(pingInterval),
		nats.MaxPingsOutstanding(maxPingsOut),
		nats.ConnectHandler(func(c *nats.Conn) {
			b.mu.Lock()
			late := b.offlineAtStart
			b.unreachableSaid = false
			dropped := b.dropped
			b.mu.Unlock()
			if late {
				log.Info("NATS connected", "server", serverOf(c))
				// What the node published before has gone out from its buffer, unless the
				// buffer was full: no link broke with events in flight.
				if dropped {
					b.tellLosses(c)
				}
				b.gap() // the other nodes' events until now never reached this node
			}
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err == nil {
				return // our own Close at shutdown
			}
			log.Warn("NATS disconnected; live events between nodes pause until it is back", "err", err)
			b.mu.Lock()
			b.cutAt = time.Now()
			b.mu.Unlock()
			b.cut()
		}),
		// The server kept nothing for this node while it was away: the other nodes' events of
		// that time are lost here. The subscriptions are back by the time this runs.
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("NATS reconnected", "server", serverOf(c))
			b.mu.Lock()
			b.unreachableSaid = false
			b.mu.Unlock()
			b.tellLosses(c)
			b.gap()
		}),
		// Once an outage, the reason (a refused connection, a name that does not resolve): a
		// mistyped URL no longer stops the node at start, so the log must say what is wrong.
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			b.mu.Lock()
			said := b.unreachableSaid
			b.unreachableSaid = true
			b.mu.Unlock()
			if !said {
				log.Warn("NATS unreachable; trying again every 250 ms", "err", err)
			}
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("NATS error", "subject", subject, "err", err)
			if errors.Is(err, nats.ErrSlowConsumer) {
				b.gap() // the client dropped events of this subscription
			}
		}),
	}
	if cfg.CAFile != "" {
		opts = append(opts, nats.RootCAs(cfg.CAFile))
	}
	if cfg.CertFile != "" {
		opts = append(opts, nats.ClientCert(cfg.CertFile, cfg.KeyFile))
	}
	if cfg.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	}
	// Held until Connect knows how the first attempt went, which the connected callback reads.
	b.mu.Lock()
	nc, err := nats.Connect(cfg.URL, opts...)
	if err != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("connect to NATS: %w", err)
	}
	b.nc = nc
	b.offlineAtStart = !nc.IsConnected()
	b.cutAt = time.Now()
	b.mu.Unlock()
	if _, err := nc.Subscribe(lostSubject, b.takeLosses); err != nil {
		nc.Close()
		return nil, fmt.Errorf("subscribe to NATS: %w", err)
	}
	for range dispatchers {
		queue := make(chan *nats.Msg, dispatchQueue)
		b.dispatch = append(b.dispatch, queue)
		go b.dispatchFrom(queue)
	}
	if b.offlineAtStart {
		log.Warn("NATS not reachable yet; this node serves its own clients and joins the other nodes once it is")
	}
	return b, nil
}

// rawDialer dials NATS as nats.go would, for a connection that reads and writes with raw
// system calls (package rawsock).
type rawDialer struct{ net.Dialer }

func (d rawDialer) Dial(network, addr string) (net.Conn, error) {
	c, err := d.Dialer.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	return rawsock.Wrap(c), nil
}

// tellLosses tells the other nodes, after an outage, that events this node published may not
// have reached them. It runs after the reconnect buffer has gone out, so they catch up after
// what did arrive.
func (b *Bus) tellLosses(c *nats.Conn) {
	b.mu.Lock()
	notice := lossNotice{Node: b.name, Dropped: b.dropped, CutMS: time.Since(b.cutAt).Milliseconds()}
	b.dropped, b.droppedSaid = false, false
	b.mu.Unlock()
	payload, _ := json.Marshal(notice)
	if err := c.Publish(lostSubject, payload); err != nil {
		b.log.Warn("NATS: the other nodes not told of this node's outage", "err", err)
	}
}

// takeLosses makes another node's losses this node's gap: its clients missed what that node
// published. A gap of this node's own since the other's link broke has covered what was in
// flight then (its clients fetched after it, and the events were stored before), as when a
// NATS server restarts under every node; what a full buffer refused may have been stored later.
func (b *Bus) takeLosses(m *nats.Msg) {
	var notice lossNotice
	if err := json.Unmarshal(m.Data, &notice); err != nil {
		b.log.Warn("NATS: a loss notice that does not parse", "err", err)
		b.gap()
		return
	}
	b.mu.Lock()
	covered := !notice.Dropped && !b.lastGap.IsZero() && b.lastGap.After(time.Now().Add(-time.Duration(notice.CutMS)*time.Millisecond))
	b.mu.Unlock()
	if covered {
		b.log.Debug("another node was cut off from NATS while this one was", "node", notice.Node)
		return
	}
	b.log.Warn("another node was cut off from NATS: its events of that time may be missing here", "node", notice.Node)
	b.gap()
}

// serverOf names the server c is connected to without the URL's user, password or token
// (nats.go's redaction keeps a token).
func serverOf(c *nats.Conn) string {
	u, err := url.Parse(c.ConnectedUrl())
	if err != nil {
		return c.ConnectedAddr()
	}
	u.User = nil
	return u.String()
}

// Connected says whether the bus reaches the other nodes now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// MaxPayload is the largest payload the server takes, as it said when the bus connected; 0
// before it has ever connected.
func (b *Bus) MaxPayload() int { return int(b.nc.MaxPayload()) }

// Confirm makes a round trip to the server: it answers in order, so every subscription sent
// before is in effect when it returns. Cut off from the server, it says so at once rather than
// wait for it: the gap reported once the server is back covers the subscriptions made meanwhile.
func (b *Bus) Confirm(ctx context.Context) error {
	if !b.nc.IsConnected() {
		return bus.ErrDisconnected
	}
	return b.nc.FlushWithContext(ctx)
}

// OnGap registers f to be called after the bus may have lost events: once NATS is back after a
// broken connection, or when a subscription dropped events it could not hold.
func (b *Bus) OnGap(f func()) {
	b.mu.Lock()
	b.onGap = append(b.onGap, f)
	b.mu.Unlock()
}

// OnCut registers f to be called when the connection to NATS breaks: live events between the
// nodes pause until it is back, and then the bus reports a gap.
func (b *Bus) OnCut(f func()) {
	b.mu.Lock()
	b.onCut = append(b.onCut, f)
	b.mu.Unlock()
}

func (b *Bus) gap() {
	b.mu.Lock()
	b.lastGap = time.Now()
	b.mu.Unlock()
	b.call(&b.onGap)
}

func (b *Bus) cut() { b.call(&b.onCut) }

func (b *Bus) call(handlers *[]func()) {
	b.mu.Lock()
	fs := *handlers
	b.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// Publish sends the event to the other nodes, then hands it to this node's subscribers. An event
// the reconnect buffer cannot hold is not an error of the caller's: the other nodes are told of
// the loss once NATS is back, and their clients catch up from the database.
func (b *Bus) Publish(ctx context.Context, topic string, payload []byte) error {
	err := b.nc.Publish(subjectPrefix+topic, payload)
	b.local.Publish(ctx, topic, payload)
	if errors.Is(err, nats.ErrReconnectBufExceeded) {
		b.mu.Lock()
		say := !b.droppedSaid
		b.dropped, b.droppedSaid = true, true
		b.mu.Unlock()
		if say {
			b.log.Warn("NATS unreachable for long: events for the other nodes are dropped until it is back, and their clients then catch up")
		}
		return nil
	}
	return err
}

// Subscribe subscribes to the topic's subject; its events come through a dispatcher.
func (b *Bus) Subscribe(topic string, h bus.Handler) (func(), error) {
	unsubscribeLocal, _ := b.local.Subscribe(topic, h)
	subject := subjectPrefix + topic
	queue := b.dispatch[dispatcherOf(subject, len(b.dispatch))]
	b.handlersMu.Lock()
	sub, err := b.nc.ChanSubscribe(subject, queue)
	if err == nil {
		b.handlers[sub] = h
	}
	b.handlersMu.Unlock()
	if err != nil {
		unsubscribeLocal()
		return nil, err
	}
	return b.unsubscribing(unsubscribeLocal, sub, func() {
		b.handlersMu.Lock()
		delete(b.handlers, sub)
		b.handlersMu.Unlock()
	}), nil
}

// dispatcherOf picks the dispatcher of a subject.
func dispatcherOf(subject string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(subject))
	return int(h.Sum32() % uint32(n))
}

// dispatchFrom hands the events of its queue to their subscriptions' handlers, in order, until
// the bus closes. An event of a subscription ended meanwhile finds no handler and is dropped.
func (b *Bus) dispatchFrom(queue chan *nats.Msg) {
	for {
		select {
		case m := <-queue:
			b.handlersMu.RLock()
			h := b.handlers[m.Sub]
			b.handlersMu.RUnlock()
			if h != nil {
				h(m.Data)
			}
		case <-b.closed:
			return
		}
	}
}

// SubscribeFamily subscribes to the NATS wildcard subject of the family: one subscription (and
// one goroutine) for all of its topics, whichever node publishes them. Every node then receives
// the family's events for connections held elsewhere too, and drops them: cheap next to a
// subscription per connection, for the few nodes an installation has.
func (b *Bus) SubscribeFamily(prefix string, h bus.TopicHandler) (func(), error) {
	unsubscribeLocal, _ := b.local.SubscribeFamily(prefix, h)
	sub, err := b.nc.Subscribe(subjectPrefix+prefix+">", func(m *nats.Msg) { h(strings.TrimPrefix(m.Subject, subjectPrefix), m.Data) })
	if err != nil {
		unsubscribeLocal()
		return nil, err
	}
	// A busy family may queue many events in the client while the handler hands them on;
	// the default limits would drop them silently.
	sub.SetPendingLimits(-1, 256<<20)
	return b.unsubscribing(unsubscribeLocal, sub, nil), nil
}

// unsubscribing ends the local subscription and the server's, then runs after (if any).
func (b *Bus) unsubscribing(unsubscribeLocal func(), sub *nats.Subscription, after func()) func() {
	return func() {
		unsubscribeLocal()
		if err := sub.Unsubscribe(); err != nil && err != nats.ErrConnectionClosed && err != nats.ErrBadSubscription {
			b.log.Warn("NATS unsubscribe", "subject", sub.Subject, "err", err)
		}
		if after != nil {
			after()
		}
	}
}

// closeFlushTimeout bounds Close's wait for the server to have what the node published last.
const closeFlushTimeout = 2 * time.Second

// Close returns once the server has what was published, or after closeFlushTimeout, and
// disconnects. A node shutting down publishes its goodbye and its visitors' departure just
// before and then exits: Drain, which this used, sends them in the background after returning,
// and the process was often gone first. A node cut off from the server has nothing to wait for:
// what its reconnect buffer holds is lost, and the other nodes catch up as after any gap.
func (b *Bus) Close() error {
	b.closeOnce.Do(func() { close(b.closed) })
	var err error
	if b.nc.IsConnected() {
		if err = b.nc.FlushTimeout(closeFlushTimeout); err != nil {
			err = fmt.Errorf("NATS: the last events may not have reached the other nodes: %w", err)
		}
	}
	b.nc.Close()
	return err
}
