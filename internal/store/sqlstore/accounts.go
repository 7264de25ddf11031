package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/portico/portico/internal/domain"
)

const accountColumns = `id, kind, name, key, parent_id, external_id, allowed_origins, settings, locked, created_at`

func (s *Store) CreateAccount(ctx context.Context, a *domain.Account) error {
	origins, _ := json.Marshal(nonNil(a.AllowedOrigins))
	settings, _ := json.Marshal(nonNilMap(a.Settings))
	locked, _ := json.Marshal(nonNil(a.Locked))
	_, err := s.exec(ctx, s.write, `INSERT INTO accounts (`+accountColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, string(a.Kind), a.Name, a.Key, nullString(a.ParentID), nullString(a.ExternalID),
		string(origins), string(settings), string(locked), ms(a.CreatedAt))
	if s.dialect.IsUniqueViolation(err) {
		return fmt.Errorf("account key or external id already used: %w", domain.ErrConflict)
	}
	return err
}

func (s *Store) AccountByID(ctx context.Context, id string) (*domain.Account, error) {
	return s.scanAccount(s.queryRow(ctx, s.read, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
}

func (s *Store) AccountByKey(ctx context.Context, key string) (*domain.Account, error) {
	return s.scanAccount(s.queryRow(ctx, s.read, `SELECT `+accountColumns+` FROM accounts WHERE key = ?`, key))
}

func (s *Store) AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error) {
	return s.scanAccount(s.queryRow(ctx, s.read,
		`SELECT `+accountColumns+` FROM accounts WHERE parent_id = ? AND external_id = ?`, portalID, externalID))
}

func (s *Store) ChildAccountIDs(ctx context.Context, parentID string) ([]string, error) {
	rows, err := s.query(ctx, s.read, `SELECT id FROM accounts WHERE parent_id = ? ORDER BY id`, parentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Store) scanAccount(row *sql.Row) (*domain.Account, error) {
	var a domain.Account
	var kind, origins, settings, locked string
	var parent, external sql.NullString
	var created int64
	err := row.Scan(&a.ID, &kind, &a.Name, &a.Key, &parent, &external, &origins, &settings, &locked, &created)
	if err != nil {
		return nil, notFound(err)
	}
	a.Kind = domain.AccountKind(kind)
	a.ParentID, a.ExternalID = parent.String, external.String
	a.CreatedAt = fromMS(created)
	if err := json.Unmarshal([]byte(origins), &a.AllowedOrigins); err != nil {
		return nil, fmt.Errorf("account %s origins: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(settings), &a.Settings); err != nil {
		return nil, fmt.Errorf("account %s settings: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(locked), &a.Locked); err != nil {
		return nil, fmt.Errorf("account %s locked: %w", a.ID, err)
	}
	return &a, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
