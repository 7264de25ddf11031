package conversations

import (
	"context"
	"slices"
	"strings"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// withBackupChats adds, for a portal's operator who does not see its advertisers' chats (an
// agent), the advertisers' chats routed to them as a backup operator or taken by them.
func (s *Service) withBackupChats(ctx context.Context, op *domain.Operator, list []domain.Conversation, status domain.ConversationStatus) ([]domain.Conversation, error) {
	if op.Role == domain.RoleAdmin {
		return list, nil
	}
	acc, err := s.store.AccountByID(ctx, op.AccountID)
	if err != nil || acc.Kind != domain.KindPortal {
		return list, err
	}
	more, err := s.store.ListConversations(ctx, store.ConversationFilter{AdvertisersOf: acc.ID, Status: status, RoutedTo: op.ID})
	if err != nil || len(more) == 0 {
		return list, err
	}
	list = append(list, more...)
	slices.SortStableFunc(list, func(a, b domain.Conversation) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return list, nil
}
