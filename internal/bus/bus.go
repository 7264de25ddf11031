// Package bus carries live events between the parts of Portico, and between nodes. The default
// is in-process; bus/nats replaces it when several nodes serve one installation. The bus carries
// fan-out only: every event describes something already committed to the store.
package bus

import (
	"context"
	"errors"
	"strings"
	"sync"
)

// Handler receives an event's payload. It runs on the publisher's or the bus's goroutine, so it
// must not block: hand the payload on and return.
type Handler func(payload []byte)

// TopicHandler receives an event of a family of topics, with the topic it was published on.
type TopicHandler func(topic string, payload []byte)

type Bus interface {
	Publish(ctx context.Context, topic string, payload []byte) error
	// Subscribe registers h for topic until the returned function is called.
	Subscribe(topic string, h Handler) (unsubscribe func(), err error)
	// SubscribeFamily registers h for every topic that starts with prefix (which ends in a
	// dot, like "visitor."). One subscription serves a family with a topic per visitor, where a
	// subscription each would cost every connection a subscription (and, on NATS, a goroutine).
	SubscribeFamily(prefix string, h TopicHandler) (unsubscribe func(), err error)
	Close() error
}

// Gapped is a bus that can lose events: NATS, while a node's connection to the server is broken
// or when a subscription falls too far behind. OnGap registers f to be called once the bus
// carries events again after such a gap; OnCut registers f to be called when the bus is cut off
// from the other nodes (a gap follows once it is back), and Connected says whether it is now.
// The functions must not block.
type Gapped interface {
	OnGap(f func())
	OnCut(f func())
	Connected() bool
}

// Confirmer is a bus whose subscriptions take effect a moment after Subscribe returns: NATS,
// where the server learns of them over the network. Confirm returns once every subscription made
// before it is in effect, so that the caller may promise a client that it misses nothing from now.
type Confirmer interface {
	Confirm(ctx context.Context) error
}

// Bounded is a bus whose server refuses payloads over a size: NATS (max_payload, 1 MiB unless
// the server is configured otherwise). MaxPayload is 0 until the bus has heard the server's
// limit. A publisher of something that grows with the node's load (a presence snapshot) splits
// it to fit.
type Bounded interface {
	MaxPayload() int
}

// ErrDisconnected is what Confirm says at once while the bus is cut off from the other nodes:
// no subscription can take effect until it is back, and then the bus reports a gap (Gapped).
var ErrDisconnected = errors.New("bus: not connected to the other nodes")

// Memory is the in-process bus: publishing calls every subscriber of the topic directly.
type Memory struct {
	mu       sync.RWMutex
	topics   map[string]map[*subscription]struct{}
	families map[string]map[*familySubscription]struct{}
}

type subscription struct{ h Handler }

type familySubscription struct{ h TopicHandler }

func NewMemory() *Memory {
	return &Memory{topics: map[string]map[*subscription]struct{}{}, families: map[string]map[*familySubscription]struct{}{}}
}

func (m *Memory) Publish(_ context.Context, topic string, payload []byte) error {
	// Handlers run after the lock is released: a handler may itself subscribe or unsubscribe
	// (the hub does, under its own lock), and holding the lock here would deadlock with it.
	m.mu.RLock()
	subs := make([]*subscription, 0, len(m.topics[topic]))
	for s := range m.topics[topic] {
		subs = append(subs, s)
	}
	var family []*familySubscription
	if i := strings.IndexByte(topic, '.'); i >= 0 {
		for s := range m.families[topic[:i+1]] {
			family = append(family, s)
		}
	}
	m.mu.RUnlock()
	for _, s := range subs {
		s.h(payload)
	}
	for _, s := range family {
		s.h(topic, payload)
	}
	return nil
}

// SubscribeFamily: in process, a family is the topics whose first segment is prefix.
func (m *Memory) SubscribeFamily(prefix string, h TopicHandler) (func(), error) {
	return register(&m.mu, m.families, prefix, &familySubscription{h: h}), nil
}

func (m *Memory) Subscribe(topic string, h Handler) (func(), error) {
	return register(&m.mu, m.topics, topic, &subscription{h: h}), nil
}

// register adds s to table under key and returns its removal, which may be called more than once.
func register[S any](mu *sync.RWMutex, table map[string]map[*S]struct{}, key string, s *S) func() {
	mu.Lock()
	subs := table[key]
	if subs == nil {
		subs = map[*S]struct{}{}
		table[key] = subs
	}
	subs[s] = struct{}{}
	mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			delete(table[key], s)
			if len(table[key]) == 0 {
				delete(table, key)
			}
			mu.Unlock()
		})
	}
}

func (m *Memory) Close() error { return nil }
