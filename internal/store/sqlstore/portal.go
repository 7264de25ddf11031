package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/portico/portico/internal/domain"
)

func (s *Store) SetAccountSettings(ctx context.Context, accountID string, settings map[string]any, locked []string) error {
	if settings == nil {
		settings = map[string]any{}
	}
	if locked == nil {
		locked = []string{}
	}
	sj, err := json.Marshal(settings)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	lj, err := json.Marshal(locked)
	if err != nil {
		return fmt.Errorf("locked: %w", err)
	}
	res, err := s.exec(ctx, s.write, `UPDATE accounts SET settings = ?, locked = ? WHERE id = ?`, string(sj), string(lj), accountID)
	s.forgetAccounts()
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

const listingColumns = `id, account_id, external_id, title, url`

func scanListing(sc interface{ Scan(...any) error }) (*domain.PortalListing, error) {
	var l domain.PortalListing
	if err := sc.Scan(&l.ID, &l.AdvertiserID, &l.ExternalID, &l.Title, &l.URL); err != nil {
		return nil, notFound(err)
	}
	l.OperatorIDs = []string{}
	return &l, nil
}

func (s *Store) ListingByID(ctx context.Context, id string) (*domain.PortalListing, error) {
	l, err := scanListing(s.queryRow(ctx, s.read, `SELECT `+listingColumns+` FROM listings WHERE id = ?`, id))
	if err != nil {
		return nil, err
	}
	if l.OperatorIDs, err = s.ListingOperators(ctx, l.ID); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Store) ListingByExternalID(ctx context.Context, accountID, externalID string) (*domain.PortalListing, error) {
	l, err := scanListing(s.queryRow(ctx, s.read, `SELECT `+listingColumns+` FROM listings WHERE account_id = ? AND external_id = ?`, accountID, externalID))
	if err != nil {
		return nil, err
	}
	if l.OperatorIDs, err = s.ListingOperators(ctx, l.ID); err != nil {
		return nil, err
	}
	return l, nil
}

func (s *Store) ListListings(ctx context.Context, accountIDs []string) ([]domain.PortalListing, error) {
	out := []domain.PortalListing{}
	if len(accountIDs) == 0 {
		return out, nil
	}
	args := make([]any, len(accountIDs))
	for i, id := range accountIDs {
		args[i] = id
	}
	rows, err := s.query(ctx, s.read, `SELECT `+listingColumns+` FROM listings WHERE account_id IN (`+placeholders(len(args))+`) ORDER BY account_id, title, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanListing(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	for i := range out {
		if out[i].OperatorIDs, err = s.ListingOperators(ctx, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) SetListingOperators(ctx context.Context, listingID string, operatorIDs []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `DELETE FROM listing_operators WHERE listing_id = ?`, listingID); err != nil {
			return err
		}
		for _, id := range operatorIDs {
			if _, err := s.exec(ctx, tx, `INSERT INTO listing_operators (listing_id, operator_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, listingID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) ListingOperators(ctx context.Context, listingID string) ([]string, error) {
	rows, err := s.query(ctx, s.read, `SELECT operator_id FROM listing_operators WHERE listing_id = ? ORDER BY operator_id`, listingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Store) PortalBackup(ctx context.Context, portalID string) (*domain.PortalBackup, error) {
	b := &domain.PortalBackup{AccountID: portalID, OperatorIDs: []string{}}
	var enabled int
	var ids string
	err := s.queryRow(ctx, s.read, `SELECT enabled, operator_ids FROM portal_backup WHERE account_id = ?`, portalID).Scan(&enabled, &ids)
	if err == sql.ErrNoRows {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	b.Enabled = enabled != 0
	if err := json.Unmarshal([]byte(ids), &b.OperatorIDs); err != nil {
		return nil, fmt.Errorf("portal %s backup operators: %w", portalID, err)
	}
	if b.OperatorIDs == nil {
		b.OperatorIDs = []string{}
	}
	return b, nil
}

func (s *Store) SetPortalBackup(ctx context.Context, b *domain.PortalBackup) error {
	ids := b.OperatorIDs
	if ids == nil {
		ids = []string{}
	}
	j, err := json.Marshal(ids)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, s.write, `INSERT INTO portal_backup (account_id, enabled, operator_ids) VALUES (?, ?, ?)
		ON CONFLICT (account_id) DO UPDATE SET enabled = excluded.enabled, operator_ids = excluded.operator_ids`,
		b.AccountID, boolInt(b.Enabled), string(j))
	return err
}
