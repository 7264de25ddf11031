package visitors_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/testutil"
	"github.com/portico/portico/internal/visitors"
)

// slowLiveReads is the real store with reads of the live list made slow, as on a database
// under load, counting how many run at once.
type slowLiveReads struct {
	visitors.LiveStore
	delay time.Duration

	mu                    sync.Mutex
	running, most, called int
}

func (s *slowLiveReads) LiveVisitors(ctx context.Context, ids []string) ([]domain.LiveVisitor, error) {
	s.mu.Lock()
	s.running++
	s.called++
	s.most = max(s.most, s.running)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	time.Sleep(s.delay)
	return s.LiveStore.LiveVisitors(ctx, ids)
}

// everyoneOnline has every visitor's widget open and an operator watching every account.
type everyoneOnline struct{}

func (everyoneOnline) VisitorOnline(string) bool      { return true }
func (everyoneOnline) OnlineVisitors(string) []string { return nil }
func (everyoneOnline) OperatorsConnected(string) bool { return true }

// announced keeps the visitors announced as online.
type announced struct {
	visitors.Announcer
	mu     sync.Mutex
	online map[string]int
}

func (a *announced) VisitorChanged(_ context.Context, event string, v *domain.LiveVisitor) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if event == "online" {
		a.online[v.ID]++
	}
	return nil
}

func (a *announced) count(id string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.online[id]
}

// Visitors keep arriving while the list's read is slow: one read runs at a time, the arrivals
// meanwhile share the next one, and every visitor is announced once.
func TestArrivalsReadOneBatchAtATime(t *testing.T) {
	s := testutil.OpenSQLite(t)
	ctx := context.Background()
	now := time.Now().UTC()
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Shop", Key: "k_" + domain.NewSecret(8), CreatedAt: now}
	if err := s.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	slow := &slowLiveReads{LiveStore: s, delay: 300 * time.Millisecond}
	out := &announced{online: map[string]int{}}
	live := visitors.NewLive(slow, everyoneOnline{}, out, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))

	const arrivals = 60
	var list []*domain.Visitor
	for range arrivals {
		v := &domain.Visitor{ID: domain.NewID(), AccountID: acc.ID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
		if err := s.CreateVisitor(ctx, v); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: v.ID, AccountID: acc.ID, URL: "https://shop.example/", At: now}); err != nil {
			t.Fatal(err)
		}
		list = append(list, v)
	}
	// An arrival every 20 ms for 1.2 s: without a limit, a read would start every 50 ms and
	// about six would overlap.
	started := time.Now()
	for _, v := range list {
		live.VisitorOnline(ctx, v)
		time.Sleep(20 * time.Millisecond)
	}
	arriving := time.Since(started)
	deadline := time.Now().Add(10 * time.Second)
	for _, v := range list {
		for out.count(v.ID) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := out.count(v.ID); n != 1 {
			t.Fatalf("visitor %s announced %d times, want once", v.ID, n)
		}
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if slow.most != 1 {
		t.Fatalf("%d reads of the live list ran at once, want 1", slow.most)
	}
	// One read at a time, each at least the delay long: no more reads than fit in the time the
	// visitors took to arrive, plus the one that ends the last batch.
	if most := int(arriving/slow.delay) + 2; slow.called > most {
		t.Fatalf("%d reads for %d arrivals over %v with reads of %v, want at most %d", slow.called, arrivals, arriving, slow.delay, most)
	}
}
