package sqlstore

import (
	"context"
	"database/sql"

	"github.com/portico/portico/internal/domain"
)

func (s *Store) CreateRoutingRule(ctx context.Context, r *domain.RoutingRule) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockAccount(ctx, tx, r.AccountID); err != nil {
			return err
		}
		if err := s.queryRow(ctx, tx, `SELECT COALESCE(MAX(position), 0) + 1 FROM routing_rules WHERE account_id = ?`, r.AccountID).Scan(&r.Position); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, `INSERT INTO routing_rules (id, account_id, pattern, position, created_at) VALUES (?, ?, ?, ?, ?)`,
			r.ID, r.AccountID, r.Pattern, r.Position, ms(r.CreatedAt)); err != nil {
			return err
		}
		return s.setRuleOperators(ctx, tx, r)
	})
}

func (s *Store) UpdateRoutingRule(ctx context.Context, r *domain.RoutingRule) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE routing_rules SET pattern = ? WHERE id = ?`, r.Pattern, r.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return domain.ErrNotFound
		}
		if _, err := s.exec(ctx, tx, `DELETE FROM routing_rule_operators WHERE rule_id = ?`, r.ID); err != nil {
			return err
		}
		return s.setRuleOperators(ctx, tx, r)
	})
}

func (s *Store) setRuleOperators(ctx context.Context, tx *sql.Tx, r *domain.RoutingRule) error {
	for i, id := range r.OperatorIDs {
		if _, err := s.exec(ctx, tx, `INSERT INTO routing_rule_operators (rule_id, operator_id, position) VALUES (?, ?, ?)`, r.ID, id, i); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) DeleteRoutingRule(ctx context.Context, id string) error {
	return s.updateOne(ctx, `DELETE FROM routing_rules WHERE id = ?`, id)
}

func (s *Store) RoutingRuleByID(ctx context.Context, id string) (*domain.RoutingRule, error) {
	list, err := s.routingRules(ctx, `r.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return &list[0], nil
}

func (s *Store) ListRoutingRules(ctx context.Context, accountID string) ([]domain.RoutingRule, error) {
	return s.routingRules(ctx, `r.account_id = ?`, accountID)
}

// routingRules reads rules and their operators in one query, in the order rules are tried.
func (s *Store) routingRules(ctx context.Context, where string, arg any) ([]domain.RoutingRule, error) {
	rows, err := s.query(ctx, s.read, `SELECT r.id, r.account_id, r.pattern, r.position, r.created_at, COALESCE(o.operator_id, '')
		FROM routing_rules r LEFT JOIN routing_rule_operators o ON o.rule_id = r.id
		WHERE `+where+` ORDER BY r.position, r.id, o.position`, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.RoutingRule{}
	for rows.Next() {
		var r domain.RoutingRule
		var created int64
		var operatorID string
		if err := rows.Scan(&r.ID, &r.AccountID, &r.Pattern, &r.Position, &created, &operatorID); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != r.ID {
			r.CreatedAt, r.OperatorIDs = fromMS(created), []string{}
			out = append(out, r)
		}
		if operatorID != "" {
			last := &out[len(out)-1]
			last.OperatorIDs = append(last.OperatorIDs, operatorID)
		}
	}
	return out, rows.Err()
}

// insertRoutes records the operators a new conversation was routed to, in its creating transaction.
func (s *Store) insertRoutes(ctx context.Context, tx *sql.Tx, c *domain.Conversation) error {
	for _, id := range c.RoutedTo {
		if _, err := s.exec(ctx, tx, `INSERT INTO conversation_routes (conversation_id, operator_id) VALUES (?, ?)`, c.ID, id); err != nil {
			return err
		}
	}
	return nil
}

type route struct{ conversationID, operatorID string }

// routesStep reads the operators the conversations ids were routed to.
func routesStep(ids []any, into *[]route) Step {
	return Step{Query: `SELECT conversation_id, operator_id FROM conversation_routes
		WHERE conversation_id IN (` + placeholders(len(ids)) + `) ORDER BY operator_id`, Args: ids,
		Scan: func(scan func(...any) error) error {
			var r route
			err := scan(&r.conversationID, &r.operatorID)
			*into = append(*into, r)
			return err
		}}
}

// attachRoutes fills in RoutedTo.
func attachRoutes(list []domain.Conversation, routes []route) {
	index := make(map[string]int, len(list))
	for i := range list {
		list[i].RoutedTo = []string{}
		index[list[i].ID] = i
	}
	for _, r := range routes {
		if i, ok := index[r.conversationID]; ok {
			list[i].RoutedTo = append(list[i].RoutedTo, r.operatorID)
		}
	}
}
