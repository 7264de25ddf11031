package sqlstore

import "context"

// IndexWaitingMessages lets the tests move one chunk of the search queue themselves.
func (s *Store) IndexWaitingMessages(ctx context.Context, limit int) (int, error) {
	return s.indexWaitingMessages(ctx, limit)
}
