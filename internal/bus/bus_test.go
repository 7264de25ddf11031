package bus

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestMemoryDeliversToSubscribersUntilUnsubscribed(t *testing.T) {
	m := NewMemory()
	var got []string
	unsubscribe, _ := m.Subscribe("t", func(p []byte) { got = append(got, string(p)) })
	m.Publish(context.Background(), "t", []byte("a"))
	m.Publish(context.Background(), "other", []byte("x"))
	unsubscribe()
	m.Publish(context.Background(), "t", []byte("b"))
	if len(got) != 1 || got[0] != "a" {
		t.Fatalf("got %v, want [a]", got)
	}
}

// A handler that takes a lock which a subscriber holds while subscribing must not deadlock:
// this is what the hub does when a visitor connects while an event is being delivered.
func TestMemoryHandlersMaySubscribeUnderTheirOwnLock(t *testing.T) {
	m := NewMemory()
	var hubLock sync.Mutex
	m.Subscribe("events", func([]byte) {
		hubLock.Lock()
		defer hubLock.Unlock()
	})
	done := make(chan struct{})
	start := make(chan struct{})
	for range 4 {
		go func() {
			<-start
			for i := 0; i < 20000; i++ {
				m.Publish(context.Background(), "events", nil)
			}
			done <- struct{}{}
		}()
	}
	go func() {
		<-start
		for i := 0; i < 20000; i++ {
			hubLock.Lock()
			unsubscribe, _ := m.Subscribe("visitor", func([]byte) {})
			unsubscribe()
			hubLock.Unlock()
		}
		done <- struct{}{}
	}()
	close(start)
	for range 5 {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("deadlock: publishing and subscribing under a lock blocked each other")
		}
	}
}

func TestMemoryFamilySubscription(t *testing.T) {
	m := NewMemory()
	var got []string
	unsubscribe, _ := m.SubscribeFamily("visitor.", func(topic string, p []byte) { got = append(got, topic+"="+string(p)) })
	m.Publish(context.Background(), "visitor.a", []byte("1"))
	m.Publish(context.Background(), "visitor.b", []byte("2"))
	m.Publish(context.Background(), "visitors.a", []byte("x")) // another family
	m.Publish(context.Background(), "account.a", []byte("y"))
	unsubscribe()
	m.Publish(context.Background(), "visitor.c", []byte("3"))
	if len(got) != 2 || got[0] != "visitor.a=1" || got[1] != "visitor.b=2" {
		t.Fatalf("got %v, want the two visitor topics before unsubscribing", got)
	}
}
