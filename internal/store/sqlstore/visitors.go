package sqlstore

import (
	"context"
	"database/sql"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

const visitorColumns = `v.id, v.account_id, v.token_hash, v.name, v.email, v.created_at, v.last_seen_at,
	(SELECT COUNT(*) FROM visits WHERE visitor_id = v.id)`

func (s *Store) CreateVisitor(ctx context.Context, v *domain.Visitor) error {
	step := createVisitorStep(v)
	_, err := s.exec(ctx, s.write, step.Query, step.Args...)
	return err
}

func createVisitorStep(v *domain.Visitor) Step {
	return Step{Query: `INSERT INTO visitors (id, account_id, token_hash, name, email, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		Args: []any{v.ID, v.AccountID, v.TokenHash, v.Name, v.Email, ms(v.CreatedAt), ms(v.LastSeenAt)}}
}

// VisitorByTokenHash authenticates a visitor's request: it runs on every widget call, so it
// reads the visitor's own row only (no visit count, no current page).
func (s *Store) VisitorByTokenHash(ctx context.Context, tokenHash string) (*domain.Visitor, error) {
	ctx, db := s.byKey(ctx)
	v, err := scanTokenVisitor(s.queryRow(ctx, db, visitorByTokenQuery, tokenHash).Scan)
	if err != nil {
		return nil, notFound(err)
	}
	return v, nil
}

const visitorByTokenQuery = `SELECT id, account_id, token_hash, name, email, created_at, last_seen_at
	FROM visitors WHERE token_hash = ?`

// scanTokenVisitor reads one row of visitorByTokenQuery.
func scanTokenVisitor(scan func(...any) error) (*domain.Visitor, error) {
	var v domain.Visitor
	var created, seen int64
	if err := scan(&v.ID, &v.AccountID, &v.TokenHash, &v.Name, &v.Email, &created, &seen); err != nil {
		return nil, err
	}
	v.CreatedAt, v.LastSeenAt = fromMS(created), fromMS(seen)
	return &v, nil
}

// ReturningVisitor reads the visitor and its latest invitation in one round trip where the
// backend pipelines: a returning visitor's page view otherwise made two reads, one after the
// other, for the widget to show an invitation still waiting.
func (s *Store) ReturningVisitor(ctx context.Context, tokenHash string) (*domain.Visitor, *domain.Invitation, error) {
	var v *domain.Visitor
	var latest *domain.Invitation
	ctx, db := s.byKey(ctx)
	err := s.readStepsOn(ctx, db, []Step{
		{Query: visitorByTokenQuery, Args: []any{tokenHash}, Scan: func(scan func(...any) error) (err error) {
			v, err = scanTokenVisitor(scan)
			return err
		}},
		latestInvitationStep(latestInvitationByTokenQuery, tokenHash, &latest),
	})
	if err != nil {
		return nil, nil, err
	}
	if v == nil {
		return nil, nil, domain.ErrNotFound
	}
	return v, latest, nil
}

// latestInvitationByTokenQuery and latestInvitationQuery read a visitor's latest invitation, by
// the visitor's token hash or id.
const (
	latestInvitationByTokenQuery = `SELECT ` + invitationColumns + ` FROM invitations i LEFT JOIN operators o ON o.id = i.operator_id
		WHERE i.visitor_id = (SELECT id FROM visitors WHERE token_hash = ?) ORDER BY i.created_at DESC LIMIT 1`
	latestInvitationQuery = `SELECT ` + invitationColumns + ` FROM invitations i LEFT JOIN operators o ON o.id = i.operator_id
		WHERE i.visitor_id = ? ORDER BY i.created_at DESC LIMIT 1`
)

func latestInvitationStep(query, key string, latest **domain.Invitation) Step {
	return Step{Query: query, Args: []any{key},
		Scan: func(scan func(...any) error) error {
			inv, err := scanInvitation(scan)
			*latest = &inv
			return err
		},
		Reset: func() { *latest = nil }}
}

// RecordReturningPageView stores a page view of a stored visitor, committed before it returns,
// and reads the visitor's latest invitation after it in the same round trip: a page view of a
// visitor the node knows then reads nothing before its write.
func (s *Store) RecordReturningPageView(ctx context.Context, in store.PageViewInput) (*domain.Invitation, error) {
	var latest *domain.Invitation
	steps := append(pageViewSteps(in), latestInvitationStep(latestInvitationQuery, in.VisitorID, &latest))
	if err := s.inGroup(ctx, in.VisitorID, steps); err != nil {
		return nil, err
	}
	return latest, nil
}

func (s *Store) VisitorByID(ctx context.Context, id string) (*domain.Visitor, error) {
	return s.scanVisitor(ctx, s.queryRow(ctx, s.read, `SELECT `+visitorColumns+` FROM visitors v WHERE v.id = ?`, id))
}

func (s *Store) scanVisitor(ctx context.Context, row *sql.Row) (*domain.Visitor, error) {
	var v domain.Visitor
	var created, seen int64
	if err := row.Scan(&v.ID, &v.AccountID, &v.TokenHash, &v.Name, &v.Email, &created, &seen, &v.Visits); err != nil {
		return nil, notFound(err)
	}
	v.CreatedAt, v.LastSeenAt = fromMS(created), fromMS(seen)
	pages, err := s.PagesOfLatestVisit(ctx, v.ID, 1)
	if err != nil {
		return nil, err
	}
	if len(pages) > 0 {
		v.CurrentPage = &pages[0]
	}
	return &v, nil
}

func (s *Store) SetVisitorIdentity(ctx context.Context, id, name, email string) error {
	return s.updateOne(ctx, `UPDATE visitors SET name = CASE WHEN ? = '' THEN name ELSE ? END,
		email = CASE WHEN ? = '' THEN email ELSE ? END WHERE id = ?`, name, name, email, email, id)
}

// pageViewSteps store the visitor when the page view brings a new one, and add the page to the
// visitor's current visit, or start a visit when the last one has been quiet for longer than
// store.VisitGap. The visit keeps its latest page and count,
// so that the live visitor list needs no scan of page views. The current visit is found by the
// SQL of each statement, so that the statements go to the database together.
func pageViewSteps(in store.PageViewInput) []Step {
	at, since := ms(in.At), ms(in.At.Add(-store.VisitGap))
	vi := in.Visit
	var loc domain.Location
	if vi.Location != nil {
		loc = *vi.Location
	}
	var steps []Step
	if in.NewVisitor != nil {
		steps = append(steps, createVisitorStep(in.NewVisitor))
	}
	return append(steps, []Step{
		{Query: `UPDATE visits SET last_at = ?, page_count = page_count + 1, page_url = ?, page_title = ?, page_since = ?, page_account_id = ?
			WHERE id = (SELECT id FROM visits WHERE visitor_id = ? AND last_at > ? ORDER BY started_at DESC LIMIT 1)`,
			Args: []any{at, in.URL, in.Title, at, in.PageAccountID, in.VisitorID, since}},
		{Query: `INSERT INTO visits (id, visitor_id, account_id, started_at, last_at, user_agent, language,
			ip, referrer, source_kind, source_name, campaign, medium, device_kind, os, browser, country, country_code, city,
			page_count, page_url, page_title, page_since, page_account_id)
			SELECT ?, ?, ?, CAST(? AS BIGINT), CAST(? AS BIGINT), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, CAST(? AS BIGINT), ?
			WHERE NOT EXISTS (SELECT 1 FROM visits WHERE visitor_id = ? AND last_at > ?)`,
			Args: []any{domain.NewID(), in.VisitorID, in.AccountID, at, at, in.UserAgent, in.Language,
				vi.IP, in.Referrer, vi.Source.Kind, vi.Source.Name, vi.Source.Campaign, vi.Source.Medium,
				vi.Device.Kind, vi.Device.OS, vi.Device.Browser, loc.Country, loc.CountryCode, loc.City,
				in.URL, in.Title, at, in.PageAccountID, in.VisitorID, since}},
		{Query: `INSERT INTO page_views (id, visit_id, visitor_id, url, title, referrer, viewed_at)
			SELECT ?, id, visitor_id, ?, ?, ?, CAST(? AS BIGINT) FROM visits WHERE visitor_id = ? AND last_at > ? ORDER BY started_at DESC LIMIT 1`,
			Args: []any{domain.NewID(), in.URL, in.Title, in.Referrer, at, in.VisitorID, since}},
		{Query: `UPDATE visitors SET last_seen_at = ? WHERE id = ?`, Args: []any{at, in.VisitorID}},
	}...)
}

// PagesOfLatestVisit returns the pages of the visitor's most recent visit, newest first.
func (s *Store) PagesOfLatestVisit(ctx context.Context, visitorID string, limit int) ([]domain.PageView, error) {
	rows, err := s.query(ctx, s.read, `SELECT p.id, p.visit_id, p.url, p.title, p.referrer, p.viewed_at FROM page_views p
		WHERE p.visit_id = (SELECT id FROM visits WHERE visitor_id = ? ORDER BY started_at DESC LIMIT 1)
		ORDER BY p.viewed_at DESC, p.id DESC LIMIT ?`, visitorID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.PageView
	for rows.Next() {
		p := domain.PageView{VisitorID: visitorID}
		var at int64
		if err := rows.Scan(&p.ID, &p.VisitID, &p.URL, &p.Title, &p.Referrer, &at); err != nil {
			return nil, err
		}
		p.ViewedAt = fromMS(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpsertListing registers a listing the first time it is seen and keeps its title and URL fresh.
func (s *Store) UpsertListing(ctx context.Context, l *domain.Listing) error {
	return s.queryRow(ctx, s.write, `INSERT INTO listings (id, account_id, external_id, title, url) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (account_id, external_id) DO UPDATE SET
			title = CASE WHEN excluded.title = '' THEN listings.title ELSE excluded.title END,
			url = CASE WHEN excluded.url = '' THEN listings.url ELSE excluded.url END
		RETURNING id, title, url`, domain.NewID(), l.AccountID, l.ExternalID, l.Title, l.URL).Scan(&l.ID, &l.Title, &l.URL)
}

func (s *Store) CreateOfflineMessage(ctx context.Context, m *domain.OfflineMessage, mails []domain.OutboxMail) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO offline_messages (id, account_id, visitor_id, name, email, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.AccountID, nullString(m.VisitorID), m.Name, m.Email, m.Body, ms(m.CreatedAt))
		if err != nil {
			return err
		}
		return s.insertMails(ctx, tx, mails)
	})
}

func (s *Store) ListOfflineMessages(ctx context.Context, accountID string, limit int) ([]domain.OfflineMessage, error) {
	rows, err := s.query(ctx, s.read, `SELECT id, account_id, visitor_id, name, email, body, created_at FROM offline_messages
		WHERE account_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.OfflineMessage
	for rows.Next() {
		var m domain.OfflineMessage
		var visitor sql.NullString
		var at int64
		if err := rows.Scan(&m.ID, &m.AccountID, &visitor, &m.Name, &m.Email, &m.Body, &at); err != nil {
			return nil, err
		}
		m.VisitorID, m.CreatedAt = visitor.String, fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}
