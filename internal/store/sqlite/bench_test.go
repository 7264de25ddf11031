package sqlite_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/testutil"
)

// BenchmarkAppendMessage times one message's commit, one after the other (no group commit), and
// reports the pages it wrote to the WAL: a figure that, unlike the time, does not move with the
// machine's load.
//
//	go test ./internal/store/sqlite -run XXX -bench AppendMessage -benchtime 5000x
func BenchmarkAppendMessage(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	// No checkpoint restarts the WAL during the run: its frame count is what the messages wrote.
	s := openMigrated(b, dir, time.Hour, 1<<30)
	seeded := testutil.SeedChats(b, s, 50)
	db := testutil.OpenSQLiteFile(b, dir)
	walFrames := func(mode string) int {
		var busy, frames, copied int
		if err := db.QueryRow(`PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &frames, &copied); err != nil || busy != 0 {
			b.Fatalf("checkpoint: busy %d, %v", busy, err)
		}
		return frames
	}
	// The WAL starts empty, so that its frames at the end are the messages'.
	walFrames("TRUNCATE")
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		c := seeded.Conversations[n%len(seeded.Conversations)]
		n++
		m := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorVisitor, ID: seeded.Visitor.ID},
			Body: "Hello, is the flat on Elm Street still available?", ClientMsgID: fmt.Sprint("m", n), CreatedAt: time.Now()}
		if _, _, err := s.AppendMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	// The index of the last second's messages is part of their cost.
	if _, err := s.SearchHistory(ctx, store.HistoryFilter{AccountIDs: []string{seeded.Account.ID}, Words: []string{"elm"}}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(walFrames("PASSIVE"))/float64(n), "wal-pages/op")
}
