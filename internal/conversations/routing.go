package conversations

import (
	"context"

	"github.com/portico/portico/internal/domain"
)

// Router picks the operators a new conversation goes to from the account's routing rules and
// the page the visitor is on. No operators means no rule matched: everyone may take it.
type Router interface {
	Route(ctx context.Context, accountID, visitorID string) ([]string, error)
}

// PortalRouter routes a portal advertiser's chats: to the listing's responsible operators, or
// to the portal's backup operators when nobody of the advertiser can answer. Nil: the account's
// routing rules decide.
type PortalRouter interface {
	Route(ctx context.Context, target *domain.Account, listing *domain.Listing) ([]string, error)
}

// ActivityRecorder notes that an operator was active, for the monthly count of seats.
type ActivityRecorder interface {
	OperatorActive(ctx context.Context, op *domain.Operator)
}

// route asks the Router, when there is one, whom a new conversation goes to.
func (s *Service) route(ctx context.Context, accountID, visitorID string) ([]string, error) {
	if s.Router == nil {
		return nil, nil
	}
	return s.Router.Route(ctx, accountID, visitorID)
}

func (s *Service) operatorActive(ctx context.Context, op *domain.Operator) {
	if s.Activity != nil {
		s.Activity.OperatorActive(ctx, op)
	}
}
