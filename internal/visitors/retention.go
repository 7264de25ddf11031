package visitors

import (
	"context"
	"log/slog"
	"time"
)

// PageViewPruner is the store's part in the retention period.
type PageViewPruner interface {
	DeletePageViewsBefore(ctx context.Context, t time.Time) (int64, error)
}

// pruneEvery is how often expired page views are looked for; the retention period is days, so
// an hour late is nothing, and a restart prunes at once.
const pruneEvery = time.Hour

// PrunePageViews deletes page views older than retention now and every pruneEvery until ctx ends.
func PrunePageViews(ctx context.Context, s PageViewPruner, retention time.Duration, log *slog.Logger) error {
	if retention <= 0 {
		return nil
	}
	tick := time.NewTicker(pruneEvery)
	defer tick.Stop()
	for {
		n, err := s.DeletePageViewsBefore(ctx, time.Now().Add(-retention))
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			log.Warn("expired page views not deleted", "err", err)
		case n > 0:
			log.Info("expired page views deleted", "count", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
