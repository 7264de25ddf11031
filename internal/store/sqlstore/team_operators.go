package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// lockAccount takes the account row's lock for the rest of the transaction (a no-op update
// does it in both databases), so that changes to the account's admins are made one at a time:
// two admins demoting each other at once cannot leave the account with none.
func (s *Store) lockAccount(ctx context.Context, tx *sql.Tx, accountID string) error {
	_, err := s.exec(ctx, tx, `UPDATE accounts SET name = name WHERE id = ?`, accountID)
	return err
}

// keepsAnAdmin refuses to take the admin role from operatorID when no other admin is left.
func (s *Store) keepsAnAdmin(ctx context.Context, tx *sql.Tx, accountID, operatorID string) error {
	var others int
	err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM operators WHERE account_id = ? AND role = 'admin' AND deleted_at IS NULL AND id <> ?`,
		accountID, operatorID).Scan(&others)
	if err != nil {
		return err
	}
	if others == 0 {
		return domain.ErrLastAdmin
	}
	return nil
}

func (s *Store) UpdateOperator(ctx context.Context, o *domain.Operator) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockAccount(ctx, tx, o.AccountID); err != nil {
			return err
		}
		var role string
		err := s.queryRow(ctx, tx, `SELECT role FROM operators WHERE id = ? AND account_id = ? AND deleted_at IS NULL`, o.ID, o.AccountID).Scan(&role)
		if err != nil {
			return notFound(err)
		}
		if role == string(domain.RoleAdmin) && o.Role != domain.RoleAdmin {
			if err := s.keepsAnAdmin(ctx, tx, o.AccountID, o.ID); err != nil {
				return err
			}
		}
		_, err = s.exec(ctx, tx, `UPDATE operators SET email = ?, name = ?, role = ? WHERE id = ?`,
			strings.ToLower(o.Email), o.Name, string(o.Role), o.ID)
		if s.dialect.IsUniqueViolation(err) {
			return fmt.Errorf("an operator with e-mail %s already exists: %w", o.Email, domain.ErrConflict)
		}
		return err
	})
}

func (s *Store) UpdateOperatorProfile(ctx context.Context, o *domain.Operator) error {
	return s.updateOne(ctx, `UPDATE operators SET name = ?, phone = ?, transcript_email = ?, notify_colleague_pickup = ?, alert_sound = ?
		WHERE id = ? AND deleted_at IS NULL`,
		o.Name, o.Phone, o.TranscriptEmail, boolInt(o.NotifyColleaguePickup), boolInt(o.AlertSound), o.ID)
}

// deletedEmail is what a deleted operator's address becomes: unique, not an address anyone
// can sign in with, and the real one is free for a new operator.
func deletedEmail(id string) string { return "deleted-" + id + "@deleted.invalid" }

func (s *Store) DeleteOperator(ctx context.Context, id string, at time.Time) (*store.OperatorRemoval, error) {
	out := &store.OperatorRemoval{}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var accountID, role string
		err := s.queryRow(ctx, tx, `SELECT account_id, role FROM operators WHERE id = ? AND deleted_at IS NULL`, id).Scan(&accountID, &role)
		if err != nil {
			return notFound(err)
		}
		if err := s.lockAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if role == string(domain.RoleAdmin) {
			if err := s.keepsAnAdmin(ctx, tx, accountID, id); err != nil {
				return err
			}
		}
		if out.SessionHashes, err = s.column(ctx, tx, `SELECT token_hash FROM sessions WHERE operator_id = ?`, id); err != nil {
			return err
		}
		if out.Reopened, err = s.column(ctx, tx, `SELECT id FROM conversations WHERE owner_id = ? AND status = 'active' ORDER BY id`, id); err != nil {
			return err
		}
		for _, q := range []struct {
			query string
			args  []any
		}{
			{`DELETE FROM sessions WHERE operator_id = ?`, []any{id}},
			{`UPDATE conversations SET status = 'waiting', owner_id = NULL, claimed_at = NULL WHERE owner_id = ? AND status = 'active'`, []any{id}},
			{`UPDATE conversation_participants SET left_at = ? WHERE operator_id = ? AND left_at IS NULL`, []any{ms(at), id}},
			// A chat routed to them alone is open to everyone again, rather than to no one.
			{`DELETE FROM conversation_routes WHERE operator_id = ?`, []any{id}},
			{`DELETE FROM routing_rule_operators WHERE operator_id = ?`, []any{id}},
			{`DELETE FROM canned_responses WHERE operator_id = ?`, []any{id}},
			{`UPDATE operators SET deleted_at = ?, email = ?, status = 'offline' WHERE id = ?`, []any{ms(at), deletedEmail(id), id}},
		} {
			if _, err := s.exec(ctx, tx, q.query, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) DeleteOperatorSessions(ctx context.Context, operatorID, keep string) ([]string, error) {
	var hashes []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		hashes, err = s.column(ctx, tx, `SELECT token_hash FROM sessions WHERE operator_id = ? AND token_hash <> ?`, operatorID, keep)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `DELETE FROM sessions WHERE operator_id = ? AND token_hash <> ?`, operatorID, keep)
		return err
	})
	return hashes, err
}

func (s *Store) OperatorSessions(ctx context.Context, operatorID string) ([]string, error) {
	return s.column(ctx, s.read, `SELECT token_hash FROM sessions WHERE operator_id = ? ORDER BY token_hash`, operatorID)
}

// column runs a query of one text column.
func (s *Store) column(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := s.query(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func (s *Store) RecordOperatorActivity(ctx context.Context, operatorID, accountID, month string) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO operator_activity (operator_id, account_id, month) VALUES (?, ?, ?)
		ON CONFLICT (operator_id, month) DO NOTHING`, operatorID, accountID, month)
	return err
}

func (s *Store) OperatorUsage(ctx context.Context, accountID, fromMonth string) ([]domain.UsageMonth, error) {
	rows, err := s.query(ctx, s.read, `SELECT a.month, o.id, o.name, o.role, o.status, o.photo_url FROM operator_activity a
		JOIN operators o ON o.id = a.operator_id
		WHERE a.account_id = ? AND a.month >= ? ORDER BY a.month, o.name, o.id`, accountID, fromMonth)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.UsageMonth{}
	for rows.Next() {
		var month, role, status string
		var c domain.Colleague
		if err := rows.Scan(&month, &c.ID, &c.Name, &role, &status, &c.PhotoURL); err != nil {
			return nil, err
		}
		c.Role, c.Status = domain.Role(role), domain.OperatorStatus(status)
		if n := len(out); n == 0 || out[n-1].Month != month {
			out = append(out, domain.UsageMonth{Month: month, Operators: []domain.Colleague{}})
		}
		last := &out[len(out)-1]
		last.Operators = append(last.Operators, c)
		last.ActiveOperators++
	}
	return out, rows.Err()
}

func (s *Store) SaveOperatorPhoto(ctx context.Context, p *domain.Photo, url string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE operators SET photo_url = ? WHERE id = ? AND deleted_at IS NULL`, url, p.OperatorID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return domain.ErrNotFound
		}
		// Photo URLs are cached for a year, so a new photo gets a new id and the old one goes.
		if _, err := s.exec(ctx, tx, `DELETE FROM operator_photos WHERE operator_id = ?`, p.OperatorID); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO operator_photos (id, operator_id, content_type, data, created_at) VALUES (?, ?, ?, ?, ?)`,
			p.ID, p.OperatorID, p.ContentType, p.Data, ms(p.CreatedAt))
		return err
	})
}

func (s *Store) DeleteOperatorPhoto(ctx context.Context, operatorID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM operator_photos WHERE operator_id = ?`, operatorID); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `UPDATE operators SET photo_url = '' WHERE id = ?`, operatorID)
		return err
	})
}

func (s *Store) PhotoByID(ctx context.Context, id string) (*domain.Photo, error) {
	var p domain.Photo
	var at int64
	err := s.queryRow(ctx, s.read, `SELECT id, operator_id, content_type, data, created_at FROM operator_photos WHERE id = ?`, id).
		Scan(&p.ID, &p.OperatorID, &p.ContentType, &p.Data, &at)
	if err != nil {
		return nil, notFound(err)
	}
	p.CreatedAt = fromMS(at)
	return &p, nil
}
