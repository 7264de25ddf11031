package live

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
)

// countedBackup answers that the backup operators are there, counting the questions.
type countedBackup struct{ asked atomic.Int64 }

func (b *countedBackup) PortalBackupAvailable(context.Context, string) (bool, error) {
	b.asked.Add(1)
	return true, nil
}

// Sockets connecting together to listings of absent advertisers ask the portal's backup
// availability once between them; an advertiser's own change asks it afresh every time.
func TestBackupAvailabilityIsAskedOnceForAStormOfSockets(t *testing.T) {
	backup := &countedBackup{}
	h := &Hub{Backup: backup, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for range 1000 {
		if !h.backupAnswers("portal-1", false) {
			t.Fatal("backup operators reported absent")
		}
	}
	if n := backup.asked.Load(); n != 1 {
		t.Fatalf("1,000 connecting sockets asked %d times, want once", n)
	}
	h.backupAnswers("portal-2", false)
	for range 3 {
		h.backupAnswers("portal-1", true)
	}
	if n := backup.asked.Load(); n != 5 {
		t.Fatalf("asked %d times, want 5: once more for another portal, three times fresh", n)
	}
}
