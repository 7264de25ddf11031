package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
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

func (s *Store) ListListings(ctx context.Context, accountIDs []string, advertisersOf string) ([]domain.PortalListing, error) {
	if len(accountIDs) == 0 && advertisersOf == "" {
		return []domain.PortalListing{}, nil
	}
	var args []any
	where := accountsWhere("l.account_id", accountIDs, advertisersOf, &args)
	steps, listings := listingReads(where, args, "l.account_id, l.title, l.id")
	if err := s.readSteps(ctx, steps); err != nil {
		return nil, err
	}
	return listings(), nil
}

// listingReads are the reads of the listings (l, their account a) that match where, in order, and of their
// responsible operators, to send together whatever their number; once they ran, listings
// returns the listings with their operators.
func listingReads(where string, args []any, order string) (steps []Step, listings func() []domain.PortalListing) {
	out := []domain.PortalListing{}
	type agent struct{ listing, operator string }
	var agents []agent
	steps = []Step{
		{Query: `SELECT l.id, l.account_id, l.external_id, l.title, l.url FROM listings l JOIN accounts a ON a.id = l.account_id WHERE ` + where + ` ORDER BY ` + order,
			Args: args, Scan: func(scan func(...any) error) error {
				out = append(out, domain.PortalListing{OperatorIDs: []string{}})
				l := &out[len(out)-1]
				return scan(&l.ID, &l.AdvertiserID, &l.ExternalID, &l.Title, &l.URL)
			}},
		{Query: `SELECT lo.listing_id, lo.operator_id FROM listing_operators lo JOIN listings l ON l.id = lo.listing_id
			JOIN accounts a ON a.id = l.account_id WHERE ` + where + ` ORDER BY lo.operator_id`,
			Args: args, Scan: func(scan func(...any) error) error {
				agents = append(agents, agent{})
				a := &agents[len(agents)-1]
				return scan(&a.listing, &a.operator)
			}},
	}
	return steps, func() []domain.PortalListing {
		byID := make(map[string]int, len(out))
		for i := range out {
			byID[out[i].ID] = i
		}
		for _, a := range agents {
			if i, ok := byID[a.listing]; ok {
				out[i].OperatorIDs = append(out[i].OperatorIDs, a.operator)
			}
		}
		return out
	}
}

// likeEscaper escapes what LIKE would take for wildcards, with \ as the escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (s *Store) PortalAdvertisers(ctx context.Context, f store.AdvertiserFilter) ([]store.PortalAdvertiser, error) {
	where := []string{"parent_id = ?"}
	args := []any{f.PortalID}
	if q := strings.ToLower(strings.TrimSpace(f.Query)); q != "" {
		pattern := "%" + likeEscaper.Replace(q) + "%"
		where = append(where, `(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(external_id) LIKE ? ESCAPE '\')`)
		args = append(args, pattern, pattern)
	}
	if f.After != nil {
		where = append(where, "(LOWER(name) > ? OR (LOWER(name) = ? AND id > ?))")
		args = append(args, f.After.SortName, f.After.SortName, f.After.ID)
	}
	args = append(args, f.Limit)
	var out []store.PortalAdvertiser
	err := s.readSteps(ctx, []Step{{
		Query: `SELECT id, name, COALESCE(external_id, ''), LOWER(name) FROM accounts WHERE ` + strings.Join(where, " AND ") + ` ORDER BY LOWER(name), id LIMIT ?`,
		Args:  args,
		Scan: func(scan func(...any) error) error {
			out = append(out, store.PortalAdvertiser{Operators: []domain.Operator{}, Listings: []domain.PortalListing{}})
			a := &out[len(out)-1]
			return scan(&a.ID, &a.Name, &a.ExternalID, &a.SortName)
		},
	}})
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]any, len(out))
	byID := make(map[string]int, len(out))
	for i, a := range out {
		ids[i], byID[a.ID] = a.ID, i
	}
	in := placeholders(len(ids))
	steps, listings := listingReads("l.account_id IN ("+in+")", ids, "l.title, l.id")
	steps = append(steps, Step{
		Query: `SELECT ` + operatorColumns + ` FROM operators WHERE account_id IN (` + in + `) AND deleted_at IS NULL ORDER BY name, id`,
		Args:  ids,
		Scan: func(scan func(...any) error) error {
			o, err := scanOperator(scanFunc(scan))
			if err == nil {
				a := &out[byID[o.AccountID]]
				a.Operators = append(a.Operators, *o)
			}
			return err
		},
	})
	if err := s.readSteps(ctx, steps); err != nil {
		return nil, err
	}
	for _, l := range listings() {
		a := &out[byID[l.AdvertiserID]]
		a.Listings = append(a.Listings, l)
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
