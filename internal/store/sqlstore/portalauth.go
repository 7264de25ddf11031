package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
)

// ---- a portal's external authentication ----

func (s *Store) PortalAuth(ctx context.Context, portalID string) (*domain.PortalAuth, error) {
	var p domain.PortalAuth
	var enabled, tokens int
	var success sql.NullInt64
	var updated int64
	err := s.queryRow(ctx, s.read, `SELECT portal_id, enabled, url, access_key, admin_email, issues_tokens, last_success_at, updated_at
		FROM portal_auth WHERE portal_id = ?`, portalID).
		Scan(&p.PortalID, &enabled, &p.URL, &p.AccessKey, &p.AdminEmail, &tokens, &success, &updated)
	if err != nil {
		return nil, notFound(err)
	}
	p.Enabled, p.IssuesTokens = enabled != 0, tokens != 0
	p.LastSuccessAt, p.UpdatedAt = fromNullMS(success), fromMS(updated)
	return &p, nil
}

func (s *Store) SavePortalAuth(ctx context.Context, p *domain.PortalAuth) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `UPDATE portal_auth SET enabled = ?, url = ?, access_key = ?, admin_email = ?, updated_at = ?
			WHERE portal_id = ?`, boolInt(p.Enabled), p.URL, p.AccessKey, p.AdminEmail, ms(p.UpdatedAt), p.PortalID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO portal_auth (portal_id, enabled, url, access_key, admin_email, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, p.PortalID, boolInt(p.Enabled), p.URL, p.AccessKey, p.AdminEmail, ms(p.UpdatedAt))
		return err
	})
}

func (s *Store) PortalAuthSucceeded(ctx context.Context, portalID string, at time.Time, issuedToken bool) error {
	_, err := s.exec(ctx, s.write, `UPDATE portal_auth SET last_success_at = ?,
		issues_tokens = CASE WHEN ? = 1 THEN 1 ELSE issues_tokens END WHERE portal_id = ?`, ms(at), boolInt(issuedToken), portalID)
	return err
}

func (s *Store) RecordPortalAuthProblem(ctx context.Context, p *domain.PortalAuthProblem, mail *domain.OutboxMail, window time.Duration) (bool, error) {
	mailed := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		mailed = false
		if mail != nil {
			// Touching the portal's row takes its lock, so concurrent problems count one by one.
			if _, err := s.exec(ctx, tx, `UPDATE portal_auth SET updated_at = updated_at WHERE portal_id = ?`, p.PortalID); err != nil {
				return err
			}
			var recent int
			err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM portal_auth_problems
				WHERE portal_id = ? AND kind = ? AND mailed = 1 AND created_at > ?`, p.PortalID, p.Kind, ms(p.At.Add(-window))).Scan(&recent)
			if err != nil {
				return err
			}
			if recent == 0 {
				if err := s.insertMails(ctx, tx, []domain.OutboxMail{*mail}); err != nil {
					return err
				}
				mailed = true
			}
		}
		_, err := s.exec(ctx, tx, `INSERT INTO portal_auth_problems (id, portal_id, kind, detail, mailed, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, p.ID, p.PortalID, p.Kind, p.Detail, boolInt(mailed), ms(p.At))
		return err
	})
	p.Mailed = mailed
	return mailed, err
}

func (s *Store) PortalAuthProblems(ctx context.Context, portalID string, limit int) ([]domain.PortalAuthProblem, error) {
	rows, err := s.query(ctx, s.read, `SELECT id, portal_id, kind, detail, mailed, created_at FROM portal_auth_problems
		WHERE portal_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, portalID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.PortalAuthProblem{}
	for rows.Next() {
		var p domain.PortalAuthProblem
		var mailed int
		var at int64
		if err := rows.Scan(&p.ID, &p.PortalID, &p.Kind, &p.Detail, &mailed, &at); err != nil {
			return nil, err
		}
		p.Mailed, p.At = mailed != 0, fromMS(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// ---- operators signed in by a portal ----

func (s *Store) OperatorByExternalUsername(ctx context.Context, accountID, username string) (*domain.Operator, error) {
	return scanOperator(s.queryRow(ctx, s.read, `SELECT `+operatorColumns+` FROM operators
		WHERE account_id = ? AND external_username = ? AND deleted_at IS NULL`, accountID, username))
}

func (s *Store) CreateExternalOperator(ctx context.Context, o *domain.Operator, username string) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO operators (`+operatorColumns+`, external_username)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.AccountID, strings.ToLower(o.Email), o.Name, string(o.Role), string(o.Status), o.PhotoURL, o.PasswordHash, ms(o.CreatedAt),
		o.Phone, o.TranscriptEmail, boolInt(o.NotifyColleaguePickup), boolInt(o.AlertSound), username)
	if s.dialect.IsUniqueViolation(err) {
		return fmt.Errorf("operator e-mail or portal user name already used: %w", domain.ErrConflict)
	}
	return err
}

func (s *Store) UpdateExternalOperator(ctx context.Context, o *domain.Operator) error {
	_, err := s.exec(ctx, s.write, `UPDATE operators SET email = ?, role = ?, photo_url = ?, transcript_email = ?
		WHERE id = ? AND deleted_at IS NULL`, strings.ToLower(o.Email), string(o.Role), o.PhotoURL, o.TranscriptEmail, o.ID)
	if s.dialect.IsUniqueViolation(err) {
		return fmt.Errorf("an operator with e-mail %s already exists: %w", o.Email, domain.ErrConflict)
	}
	return err
}

// ---- the portal's token of a session ----

func (s *Store) SetSessionPortalToken(ctx context.Context, tokenHash, portalID, portalToken string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM portal_sessions WHERE token_hash = ?`, tokenHash); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, `INSERT INTO portal_sessions (token_hash, portal_id, portal_token) VALUES (?, ?, ?)`,
			tokenHash, portalID, portalToken)
		return err
	})
}

func (s *Store) SessionPortalToken(ctx context.Context, tokenHash string) (string, string, error) {
	var portalID, token string
	err := s.queryRow(ctx, s.read, `SELECT portal_id, portal_token FROM portal_sessions WHERE token_hash = ?`, tokenHash).Scan(&portalID, &token)
	if err != nil {
		return "", "", notFound(err)
	}
	return portalID, token, nil
}

func (s *Store) ExternalUsernameForToken(ctx context.Context, portalID, identifier, portalToken, email string) (string, error) {
	var name string
	err := s.queryRow(ctx, s.read, `SELECT o.external_username FROM portal_sessions ps
		JOIN sessions se ON se.token_hash = ps.token_hash
		JOIN operators o ON o.id = se.operator_id
		JOIN accounts a ON a.id = o.account_id
		WHERE ps.portal_id = ? AND ps.portal_token = ? AND ps.portal_token <> '' AND a.external_id = ?
		AND o.external_username IS NOT NULL AND o.deleted_at IS NULL LIMIT 1`, portalID, portalToken, identifier).Scan(&name)
	if err == nil || email == "" || !errors.Is(err, sql.ErrNoRows) {
		return name, notFound(err)
	}
	err = s.queryRow(ctx, s.read, `SELECT o.external_username FROM operators o JOIN accounts a ON a.id = o.account_id
		WHERE a.parent_id = ? AND a.external_id = ? AND o.email = ? AND o.external_username IS NOT NULL AND o.deleted_at IS NULL`,
		portalID, identifier, strings.ToLower(email)).Scan(&name)
	return name, notFound(err)
}
