package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/portico/portico/internal/domain"
)

const cannedColumns = `id, account_id, operator_id, shortcut, title, body, created_at, updated_at`

func (s *Store) CreateCannedResponse(ctx context.Context, c *domain.CannedResponse) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO canned_responses (`+cannedColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.AccountID, c.OperatorID, c.Shortcut, c.Title, c.Body, ms(c.CreatedAt), ms(c.UpdatedAt))
	return cannedConflict(s, c, err)
}

func (s *Store) UpdateCannedResponse(ctx context.Context, c *domain.CannedResponse) error {
	res, err := s.exec(ctx, s.write, `UPDATE canned_responses SET shortcut = ?, title = ?, body = ?, updated_at = ? WHERE id = ?`,
		c.Shortcut, c.Title, c.Body, ms(c.UpdatedAt), c.ID)
	if err := cannedConflict(s, c, err); err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

func cannedConflict(s *Store, c *domain.CannedResponse, err error) error {
	if s.dialect.IsUniqueViolation(err) {
		return fmt.Errorf("the shortcut /%s is already used by another %s canned response: %w", c.Shortcut, c.Scope, domain.ErrConflict)
	}
	return err
}

func (s *Store) DeleteCannedResponse(ctx context.Context, id string) error {
	return s.updateOne(ctx, `DELETE FROM canned_responses WHERE id = ?`, id)
}

func (s *Store) CannedResponseByID(ctx context.Context, id string) (*domain.CannedResponse, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+cannedColumns+` FROM canned_responses WHERE id = ?`, id)
	if err != nil {
		return nil, err
	}
	list, err := scanCanned(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return &list[0], nil
}

func (s *Store) ListCannedResponses(ctx context.Context, accountID, operatorID string) ([]domain.CannedResponse, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+cannedColumns+` FROM canned_responses
		WHERE account_id = ? AND (operator_id = '' OR operator_id = ?)
		ORDER BY CASE WHEN operator_id = '' THEN 1 ELSE 0 END, shortcut, id`, accountID, operatorID)
	if err != nil {
		return nil, err
	}
	return scanCanned(rows)
}

func scanCanned(rows *sql.Rows) ([]domain.CannedResponse, error) {
	defer rows.Close()
	out := []domain.CannedResponse{}
	for rows.Next() {
		var c domain.CannedResponse
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.AccountID, &c.OperatorID, &c.Shortcut, &c.Title, &c.Body, &created, &updated); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = fromMS(created), fromMS(updated)
		c.Scope = domain.CannedAccount
		if c.OperatorID != "" {
			c.Scope = domain.CannedPersonal
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
