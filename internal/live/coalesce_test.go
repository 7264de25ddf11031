package live

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/bus"
)

// envelopes records what the real in-process bus carries on one topic.
type envelopes struct {
	mu   sync.Mutex
	got  []received
	more chan struct{}
}

func listen(t *testing.T, b bus.Bus, topic string) *envelopes {
	t.Helper()
	e := &envelopes{more: make(chan struct{}, 1000)}
	unsubscribe, err := b.Subscribe(topic, func(payload []byte) {
		env, err := decodeEnvelope(payload)
		if err != nil {
			t.Errorf("bad envelope %q: %v", payload, err)
		}
		e.mu.Lock()
		e.got = append(e.got, env)
		e.mu.Unlock()
		e.more <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unsubscribe)
	return e
}

func (e *envelopes) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.got)
}

// waitFor waits until n envelopes have come.
func (e *envelopes) waitFor(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for e.count() < n {
		select {
		case <-e.more:
		case <-deadline:
			t.Fatalf("%d envelopes after 10 s, want %d", e.count(), n)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]received(nil), e.got...)
}

// frames lists the frames of the envelopes, in the order a socket would get them.
func frames(t *testing.T, envs []received) []string {
	t.Helper()
	var out []string
	for _, env := range envs {
		if !env.everyone {
			t.Fatal("a visitor list frame must go to every operator")
		}
		out = append(out, wireFrames(t, env.wire)...)
	}
	return out
}

// wireFrames reads the frames that wire holds.
func wireFrames(t *testing.T, wire []byte) []string {
	t.Helper()
	var out []string
	br := bufio.NewReader(bytes.NewReader(wire))
	for {
		if _, err := br.Peek(1); err != nil {
			return out
		}
		out = append(out, readFrame(t, br))
	}
}

func numbered(i int) []byte { return []byte(fmt.Sprintf(`{"n":%d}`, i)) }

func TestCoalescerSendsTheFirstFrameAtOnceAndGathersTheRest(t *testing.T) {
	b := bus.NewMemory()
	// Long enough that the burst below is surely inside one window.
	c := newCoalescer(b, &envelopeLayout{}, slog.New(slog.NewTextHandler(io.Discard, nil)), 300*time.Millisecond)
	got := listen(t, b, "account.a")
	other := listen(t, b, "account.b")
	ctx := context.Background()

	c.publish(ctx, "account.a", numbered(0))
	if got.count() != 1 {
		t.Fatalf("the first frame of a quiet account is not sent at once: %d envelopes", got.count())
	}
	for i := 1; i <= 50; i++ {
		c.publish(ctx, "account.a", numbered(i))
	}
	c.publish(ctx, "account.b", numbered(100))
	if got.count() != 1 || other.count() != 1 {
		t.Fatalf("frames inside the window went out one by one: %d envelopes", got.count())
	}
	envs := got.waitFor(t, 2)
	want := make([]string, 51)
	for i := range want {
		want[i] = string(numbered(i))
	}
	if f := frames(t, envs); strings.Join(f, " ") != strings.Join(want, " ") {
		t.Fatalf("frames %v, want %v", f, want)
	}
	if n := len(wireFrames(t, envs[1].wire)); n != 50 {
		t.Fatalf("the window's 50 frames came as %d", n)
	}

	// After a window with nothing in it the account is quiet again: the next frame goes at once.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		_, open := c.open["account.a"]
		c.mu.Unlock()
		if !open {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the window never closed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.publish(ctx, "account.a", numbered(51))
	if got.count() != 3 {
		t.Fatalf("a frame after a quiet window waited: %d envelopes", got.count())
	}
}

func TestCoalescerSplitsLargeBatchesInOrder(t *testing.T) {
	b := bus.NewMemory()
	c := newCoalescer(b, &envelopeLayout{}, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour)
	got := listen(t, b, "account.a")
	ctx := context.Background()
	c.publish(ctx, "account.a", numbered(0))
	// 600 frames of about 1 KiB: more than one envelope may carry.
	pad := strings.Repeat("x", 1000)
	var want []string
	want = append(want, string(numbered(0)))
	for i := 1; i <= 600; i++ {
		f := fmt.Sprintf(`{"n":%d,"pad":%q}`, i, pad)
		want = append(want, f)
		c.publish(ctx, "account.a", []byte(f))
	}
	// Shutting down sends what waits at once, and what comes later as it comes.
	c.flush(ctx)
	c.publish(ctx, "account.a", numbered(601))
	want = append(want, string(numbered(601)))
	envs := got.waitFor(t, 1)
	if len(envs) < 4 {
		t.Fatalf("%d envelopes: 600 KiB of frames must be split", len(envs))
	}
	for _, env := range envs {
		size := 0
		for _, f := range wireFrames(t, env.wire) {
			size += len(f)
		}
		if size > maxEnvelopeFrames {
			t.Fatalf("an envelope carries %d bytes of frames, over %d", size, maxEnvelopeFrames)
		}
	}
	if f := frames(t, envs); strings.Join(f, " ") != strings.Join(want, " ") {
		t.Fatalf("%d frames, not the %d sent in order", len(f), len(want))
	}
}

// The frames of one envelope reach a socket as separate WebSocket messages, in order.
func TestEnvelopeWireHoldsEachFrame(t *testing.T) {
	env := envelope{Frames: []json.RawMessage{numbered(1), json.RawMessage(strings.Repeat("y", 200)), numbered(3)}}
	got, err := decodeEnvelope(env.encode())
	if err != nil {
		t.Fatal(err)
	}
	conns, clients, readers := socketPairs(t, 1, 0)
	conns[0].enqueue(got.wire)
	clients[0].SetReadDeadline(time.Now().Add(10 * time.Second))
	for _, want := range []string{string(numbered(1)), strings.Repeat("y", 200), string(numbered(3))} {
		if got := readFrame(t, readers[0]); got != want {
			t.Fatalf("read %q, want %q", got, want)
		}
	}
}

// readFrame reads one unmasked text frame of under 64 KiB from the server.
func readFrame(t *testing.T, br *bufio.Reader) string {
	t.Helper()
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil || head[0] != 0x81 {
		t.Fatalf("frame header % x: %v", head, err)
	}
	n := int(head[1])
	if n == 126 {
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			t.Fatal(err)
		}
		n = int(binary.BigEndian.Uint16(ext[:]))
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatal(err)
	}
	return string(payload)
}
