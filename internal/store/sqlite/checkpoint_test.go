package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
)

// Under steady writes and reads the WAL is copied into the database and started again from its
// beginning, although no commit checkpoints: it stays near its restart size instead of holding
// every page ever written.
func TestWALStaysBoundedUnderLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const restartAt = 256 // frames of 4 KiB: 1 MiB
	s, err := open(ctx, dir, 10*time.Millisecond, restartAt)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	a := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Acme", Key: "k_" + domain.NewSecret(8), CreatedAt: now}
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	v := &domain.Visitor{ID: domain.NewID(), AccountID: a.ID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
	if err := s.CreateVisitor(ctx, v); err != nil {
		t.Fatal(err)
	}
	const writers, perWriter = 4, 400
	convs := make([]string, writers)
	for i := range convs {
		c := &domain.Conversation{ID: domain.NewID(), AccountID: a.ID, VisitorID: v.ID, CreatedAt: now}
		first := &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID}, Body: "hello", ClientMsgID: fmt.Sprint("start", i), CreatedAt: now}
		if err := s.CreateConversation(ctx, c, first); err != nil {
			t.Fatal(err)
		}
		convs[i] = c.ID
	}

	walPath := filepath.Join(dir, "portico.db-wal")
	var mu sync.Mutex
	var largestWAL int64
	measure := func() {
		if fi, err := os.Stat(walPath); err == nil {
			mu.Lock()
			largestWAL = max(largestWAL, fi.Size())
			mu.Unlock()
		}
	}
	stop := make(chan struct{})
	var readers, writing sync.WaitGroup
	for _, id := range convs {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.MessagesAfter(ctx, id, 0, 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for w, id := range convs {
		writing.Add(1)
		go func() {
			defer writing.Done()
			for i := range perWriter {
				m := &domain.Message{ID: domain.NewID(), ConversationID: id, Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID},
					Body: fmt.Sprintf("writer %d message %d %s", w, i, domain.NewSecret(64)), ClientMsgID: fmt.Sprint("m", i), CreatedAt: now}
				if _, _, err := s.AppendMessage(ctx, m); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					measure()
				}
			}
		}()
	}
	writing.Wait()
	close(stop)
	readers.Wait()
	measure()

	db, err := os.Stat(filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	// 1,600 messages rewrite about 40 MiB of pages: a WAL that is never started again holds
	// them all.
	t.Logf("largest WAL %d KiB, db %d KiB", largestWAL>>10, db.Size()>>10)
	if largestWAL > 16<<20 {
		t.Fatalf("the WAL grew to %d MiB; it should start again past %d KiB", largestWAL>>20, restartAt*4)
	}
	if db.Size() < 512<<10 {
		t.Fatalf("the database file holds %d KiB after 1,600 messages: the WAL was not copied into it", db.Size()>>10)
	}
	for _, id := range convs {
		list, err := s.MessagesAfter(ctx, id, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != perWriter+1 {
			t.Fatalf("conversation has %d messages, want %d", len(list), perWriter+1)
		}
	}
}
