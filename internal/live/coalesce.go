package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/portico/portico/internal/bus"
)

// Frames of the live visitor list (a visitor came, changed page, went) are many and small: a
// burst of visitors — a node restarting, a newsletter going out — would cost every operator's
// socket one write per visitor, and every node one bus message per visitor. The coalescer sends
// the first such frame of an account at once and gathers those that follow for
// visitorListWindow, then sends them in one envelope, which every node writes to each socket
// in one system call. The client still receives one WebSocket frame per change, in order.
const (
	visitorListWindow = 200 * time.Millisecond
	// maxEnvelopeFrames bounds one envelope's frame bytes, well under NATS's default 1 MiB
	// payload; a larger batch goes as several envelopes, in order.
	maxEnvelopeFrames = 256 << 10
)

type coalescer struct {
	bus    bus.Bus
	layout *envelopeLayout
	log    *slog.Logger
	window time.Duration

	mu sync.Mutex
	// open holds, for each account topic whose window is open, the frames waiting for it to
	// close. Only the goroutine that sends for a topic closes its window, so that one topic's
	// envelopes never overtake each other.
	open    map[string][]json.RawMessage
	closing bool
}

func newCoalescer(b bus.Bus, layout *envelopeLayout, log *slog.Logger, window time.Duration) *coalescer {
	return &coalescer{bus: b, layout: layout, log: log, window: window, open: map[string][]json.RawMessage{}}
}

// publish sends frame to every operator of topic's account, now if the account's window is
// closed, else when it closes.
func (c *coalescer) publish(ctx context.Context, topic string, frame []byte) error {
	c.mu.Lock()
	if waiting, ok := c.open[topic]; ok && !c.closing {
		c.open[topic] = append(waiting, frame)
		c.mu.Unlock()
		return nil
	}
	closing := c.closing
	if !closing {
		c.open[topic] = nil
	}
	c.mu.Unlock()
	err := c.send(ctx, topic, []json.RawMessage{frame})
	if !closing {
		time.AfterFunc(c.window, func() { c.closeWindow(topic) })
	}
	return err
}

// closeWindow sends what the window gathered and opens the next one, or leaves the topic
// quiet when nothing came.
func (c *coalescer) closeWindow(topic string) {
	c.mu.Lock()
	frames := c.open[topic]
	if len(frames) == 0 || c.closing {
		delete(c.open, topic)
		c.mu.Unlock()
		return
	}
	c.open[topic] = nil
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.send(ctx, topic, frames); err != nil {
		c.log.Warn("visitor list frames not published", "topic", topic, "frames", len(frames), "err", err)
	}
	time.AfterFunc(c.window, func() { c.closeWindow(topic) })
}

// flush sends everything waiting at once and sends every later frame as it comes, for a node
// that is shutting down.
func (c *coalescer) flush(ctx context.Context) {
	c.mu.Lock()
	c.closing = true
	open := c.open
	c.open = map[string][]json.RawMessage{}
	c.mu.Unlock()
	for topic, frames := range open {
		if err := c.send(ctx, topic, frames); err != nil {
			c.log.Warn("visitor list frames not published", "topic", topic, "frames", len(frames), "err", err)
		}
	}
}

func (c *coalescer) send(ctx context.Context, topic string, frames []json.RawMessage) error {
	for len(frames) > 0 {
		n, size := 0, 0
		for n < len(frames) && (n == 0 || size+len(frames[n]) <= maxEnvelopeFrames) {
			size += len(frames[n])
			n++
		}
		env := envelope{Audience: audience{Everyone: true}, Sent: time.Now().UnixNano()}
		if n == 1 {
			env.Frame = frames[0]
		} else {
			env.Frames = frames[:n]
		}
		if err := c.bus.Publish(ctx, topic, c.layout.encode(&env)); err != nil {
			return err
		}
		frames = frames[n:]
	}
	return nil
}
