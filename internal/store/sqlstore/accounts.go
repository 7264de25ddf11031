package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/portico/portico/internal/domain"
)

const accountColumns = `id, kind, name, key, parent_id, external_id, allowed_origins, settings, locked, created_at`

const accountByIDQuery = `SELECT ` + accountColumns + ` FROM accounts WHERE id = ?`

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
	return s.cachedAccount(ctx, "id:"+id, accountByIDQuery, id)
}

func (s *Store) AccountByKey(ctx context.Context, key string) (*domain.Account, error) {
	return s.cachedAccount(ctx, "key:"+key, `SELECT `+accountColumns+` FROM accounts WHERE key = ?`, key)
}

func (s *Store) AdvertiserByExternalID(ctx context.Context, portalID, externalID string) (*domain.Account, error) {
	return s.scanAccount(s.queryRow(ctx, s.read,
		`SELECT `+accountColumns+` FROM accounts WHERE parent_id = ? AND external_id = ?`, portalID, externalID))
}

func (s *Store) scanAccount(row *sql.Row) (*domain.Account, error) {
	r, err := scanAccountRow(row)
	if err != nil {
		return nil, err
	}
	return r.account()
}

// accountRow is an account as the database holds it, its lists still JSON.
type accountRow struct {
	id, kind, name, key       string
	parent, external          sql.NullString
	origins, settings, locked string
	created                   int64
}

func scanAccountRow(row *sql.Row) (accountRow, error) {
	var r accountRow
	err := row.Scan(&r.id, &r.kind, &r.name, &r.key, &r.parent, &r.external, &r.origins, &r.settings, &r.locked, &r.created)
	return r, notFound(err)
}

// account decodes the row into a new Account, which the caller may change.
func (r accountRow) account() (*domain.Account, error) {
	a := domain.Account{ID: r.id, Kind: domain.AccountKind(r.kind), Name: r.name, Key: r.key,
		ParentID: r.parent.String, ExternalID: r.external.String, CreatedAt: fromMS(r.created)}
	var err error
	if a.AllowedOrigins, err = r.allowedOrigins(); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(r.settings), &a.Settings); err != nil {
		return nil, fmt.Errorf("account %s settings: %w", a.ID, err)
	}
	if err := json.Unmarshal([]byte(r.locked), &a.Locked); err != nil {
		return nil, fmt.Errorf("account %s locked: %w", a.ID, err)
	}
	return &a, nil
}

func (r accountRow) allowedOrigins() ([]string, error) {
	var origins []string
	if err := json.Unmarshal([]byte(r.origins), &origins); err != nil {
		return nil, fmt.Errorf("account %s origins: %w", r.id, err)
	}
	return origins, nil
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
