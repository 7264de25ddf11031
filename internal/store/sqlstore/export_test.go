package sqlstore

import "context"

// IndexWaitingMessages lets the tests index a chunk of the waiting messages themselves.
func (s *Store) IndexWaitingMessages(ctx context.Context, limit int) (int, error) {
	return s.indexWaitingMessages(ctx, limit)
}
