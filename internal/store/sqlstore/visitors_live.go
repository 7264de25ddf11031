package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// liveVisitorChunk bounds the IN lists of LiveVisitors (SQLite allows 32,766 parameters, but
// a plan over a few hundred ids is as quick and keeps the statement cache useful).
const liveVisitorChunk = 500

// LiveVisitors reads the visitors with their latest visit and their open chat.
func (s *Store) LiveVisitors(ctx context.Context, ids []string) ([]domain.LiveVisitor, error) {
	out := make([]domain.LiveVisitor, 0, len(ids))
	for start := 0; start < len(ids); start += liveVisitorChunk {
		chunk := ids[start:min(start+liveVisitorChunk, len(ids))]
		got, err := s.liveVisitors(ctx, chunk)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func (s *Store) liveVisitors(ctx context.Context, ids []string) ([]domain.LiveVisitor, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	// A lone visitor (a page view, a refresh: the busy case) is one prepared statement; a list is
	// padded to a fixed size so that every chunk of it is the same other statement.
	size := 1
	if len(ids) > 1 {
		size = liveVisitorChunk
	}
	in := placeholders(size)
	for len(args) < size {
		args = append(args, "")
	}
	// Visits and chats count for the person: this visitor and those found to be the same. The
	// visitors and their open chats are two reads sent together.
	var out []domain.LiveVisitor
	var chats []visitorChat
	err := s.readSteps(ctx, []Step{
		{Query: liveVisitorsQuery(in), Args: args, Scan: func(scan func(...any) error) error {
			lv, err := scanLiveVisitor(scan)
			out = append(out, lv)
			return err
		}},
		openChatsStep(in, args, &chats),
	})
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(out))
	for i := range out {
		byID[out[i].ID] = i
	}
	for _, c := range chats {
		if i, ok := byID[c.visitorID]; ok {
			out[i].Chat = c.chat // the newest open one wins
		}
	}
	return out, nil
}

func scanLiveVisitor(scan func(dest ...any) error) (domain.LiveVisitor, error) {
	var lv domain.LiveVisitor
	var started, since sql.NullInt64
	var pageCount sql.NullInt64
	var referrer, language, kind, name, campaign, medium, device, os, browser, country, code, city, url, title, ip, pageAccount sql.NullString
	if err := scan(&lv.ID, &lv.AccountID, &lv.Name, &lv.Email, &lv.Visits, &lv.Chats,
		&started, &pageCount, &referrer, &language, &kind, &name, &campaign, &medium,
		&device, &os, &browser, &country, &code, &city, &url, &title, &since, &ip, &pageAccount); err != nil {
		return lv, err
	}
	if started.Valid {
		lv.Visit = &domain.VisitInfo{
			StartedAt: fromMS(started.Int64), PageCount: int(pageCount.Int64),
			Referrer: referrer.String, Language: language.String, IP: ip.String,
			Source: domain.VisitSource{Kind: kind.String, Name: name.String, Campaign: campaign.String, Medium: medium.String},
			Device: domain.Device{Kind: device.String, OS: os.String, Browser: browser.String},
		}
		if country.String != "" || city.String != "" {
			lv.Visit.Location = &domain.Location{Country: country.String, CountryCode: code.String, City: city.String}
		}
		if url.String != "" {
			lv.Page = &domain.CurrentPage{URL: url.String, Title: title.String, Since: fromMS(since.Int64)}
		}
		lv.PageAccountID = pageAccount.String
	}
	return lv, nil
}

type visitorChat struct {
	visitorID string
	chat      *domain.VisitorChat
}

// openChatsStep reads the visitors' open conversations, oldest first, and who answers them.
func openChatsStep(in string, args []any, into *[]visitorChat) Step {
	return Step{Query: `SELECT c.visitor_id, c.id, c.status, COALESCE(o.id, ''), COALESCE(o.name, '')
		FROM conversations c LEFT JOIN operators o ON o.id = c.owner_id
		WHERE c.status <> 'closed' AND c.visitor_id IN (` + in + `) ORDER BY c.created_at`, Args: args,
		Scan: func(scan func(...any) error) error {
			var opID, opName string
			c := visitorChat{chat: &domain.VisitorChat{Operators: []domain.Person{}}}
			if err := scan(&c.visitorID, &c.chat.ConversationID, &c.chat.Status, &opID, &opName); err != nil {
				return err
			}
			if opID != "" {
				c.chat.Operators = append(c.chat.Operators, domain.Person{ID: opID, Name: opName})
			}
			*into = append(*into, c)
			return nil
		}}
}

func (s *Store) VisitorByEmail(ctx context.Context, accountID, email, exceptID string) (*domain.Visitor, error) {
	return s.scanVisitor(ctx, s.queryRow(ctx, s.read, `SELECT `+visitorColumns+` FROM visitors v
		WHERE v.account_id = ? AND v.email = ? AND v.id <> ? AND v.merged_into = '' ORDER BY v.created_at LIMIT 1`,
		accountID, email, exceptID))
}

// liveVisitorsQuery reads the visitors whose ids are the placeholders in, with their latest visit.
func liveVisitorsQuery(in string) string {
	return `SELECT v.id, v.account_id, v.name, v.email,
		` + visitsOfPerson + `, ` + conversationsOfPerson + `,
		t.started_at, t.page_count, t.referrer, t.language, t.source_kind, t.source_name, t.campaign, t.medium,
		t.device_kind, t.os, t.browser, t.country, t.country_code, t.city, t.page_url, t.page_title, t.page_since, t.ip, t.page_account_id
		FROM visitors v LEFT JOIN visits t ON t.id = (SELECT id FROM visits WHERE visitor_id = v.id ORDER BY started_at DESC LIMIT 1)
		WHERE v.id IN (` + in + `)`
}

// visitsOfPerson and conversationsOfPerson count, inside a query over visitors v, the visits and
// the conversations of the visitors that are the same person as v (samePerson), with one index
// lookup for each of those visitors. As COUNT(*) … WHERE visitor_id IN (samePerson), PostgreSQL
// without fresh statistics (a table that grew since its last analyze) hashed the whole table
// once for each visitor of a list: 100–700 ms a list of live visitors in the bench's connect
// phase, which took the cores from every other request.
var (
	visitsOfPerson        = countOfPerson("visits")
	conversationsOfPerson = countOfPerson("conversations")
)

func countOfPerson(table string) string {
	const person = `CASE WHEN v.merged_into <> '' THEN v.merged_into ELSE v.id END`
	return `CAST((SELECT COUNT(*) FROM ` + table + ` x WHERE x.visitor_id = ` + person + `)
		+ (SELECT COALESCE(SUM((SELECT COUNT(*) FROM ` + table + ` x WHERE x.visitor_id = p.id)), 0) FROM visitors p
			WHERE p.merged_into <> '' AND p.merged_into = ` + person + `) AS BIGINT)`
}

// samePerson selects, inside a query over visitors v, the ids of the visitors that are the same
// person as v: the earliest one and every visitor linked to it. Two index lookups: with an OR,
// and with merged_into empty for nearly every visitor, PostgreSQL scanned visitors and visits in
// full for each visitor (seconds for a list of live visitors).
const samePerson = `SELECT p.id FROM visitors p WHERE p.id = CASE WHEN v.merged_into <> '' THEN v.merged_into ELSE v.id END
	UNION ALL SELECT p.id FROM visitors p WHERE p.merged_into <> '' AND p.merged_into = CASE WHEN v.merged_into <> '' THEN v.merged_into ELSE v.id END`

// linkVisitorStatements point from, and those linked to it, at into. The first one's test that
// merged_into is not empty always holds for a visitor's id, but lets it find the linked visitors
// through the partial index visitors_linked, the only index of merged_into: one over every
// visitor would take an entry for each new one, nearly all empty.
var linkVisitorStatements = []string{
	`UPDATE visitors SET merged_into = ? WHERE merged_into = ? AND merged_into <> ''`,
	`UPDATE visitors SET merged_into = ? WHERE id = ?`,
}

// LinkVisitor records that visitor from is the same person as visitor into (and so are the
// visitors linked to from before). Nothing moves: each keeps its token, visits and chats.
func (s *Store) LinkVisitor(ctx context.Context, from, into string) error {
	if from == into {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, q := range linkVisitorStatements {
			if _, err := s.exec(ctx, tx, q, into, from); err != nil {
				return err
			}
		}
		return nil
	})
}

// SamePerson returns the ids of the visitors that are the same person as id, id included.
func (s *Store) SamePerson(ctx context.Context, id string) ([]string, error) {
	rows, err := s.query(ctx, s.read, `SELECT id FROM visitors WHERE id IN (SELECT other.id FROM visitors v, visitors other
		WHERE v.id = ? AND other.id IN (`+samePerson+`))`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var other string
		if err := rows.Scan(&other); err != nil {
			return nil, err
		}
		ids = append(ids, other)
	}
	if len(ids) == 0 {
		ids = []string{id}
	}
	return ids, rows.Err()
}

// pageViewDeleteBatch keeps each retention delete short, so page views and chats are not held up.
const pageViewDeleteBatch = 5000

func (s *Store) DeletePageViewsBefore(ctx context.Context, t time.Time) (int64, error) {
	var total int64
	for {
		res, err := s.exec(ctx, s.write, `DELETE FROM page_views WHERE id IN (SELECT id FROM page_views WHERE viewed_at < ? LIMIT ?)`,
			ms(t), pageViewDeleteBatch)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < pageViewDeleteBatch || ctx.Err() != nil {
			return total, ctx.Err()
		}
	}
}

const invitationColumns = `i.id, i.account_id, i.visitor_id, i.kind, i.rule_id, i.operator_id, i.message, i.status,
	i.conversation_id, i.created_at, i.answered_at, COALESCE(o.name, ''), COALESCE(o.photo_url, '')`

func (s *Store) CreateInvitation(ctx context.Context, inv *domain.Invitation) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO invitations (id, account_id, visitor_id, kind, rule_id, operator_id, message, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, inv.AccountID, inv.VisitorID, inv.Kind, inv.RuleID, inv.OperatorID, inv.Message, inv.Status, ms(inv.CreatedAt))
	return err
}

func (s *Store) InvitationByID(ctx context.Context, id string) (*domain.Invitation, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+invitationColumns+` FROM invitations i LEFT JOIN operators o ON o.id = i.operator_id WHERE i.id = ?`, id)
	if err != nil {
		return nil, err
	}
	list, err := scanInvitations(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return &list[0], nil
}

func (s *Store) AnswerInvitation(ctx context.Context, id string, status domain.InvitationStatus, conversationID string, at time.Time) (*domain.Invitation, error) {
	res, err := s.exec(ctx, s.write, `UPDATE invitations SET status = ?, conversation_id = ?, answered_at = ? WHERE id = ? AND status = 'shown'`,
		status, conversationID, ms(at), id)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, err
	} else if n == 0 {
		if _, err := s.InvitationByID(ctx, id); err != nil {
			return nil, err
		}
		return nil, domain.ErrConflict
	}
	return s.InvitationByID(ctx, id)
}

func (s *Store) ListInvitations(ctx context.Context, visitorID string, limit int) ([]domain.Invitation, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+invitationColumns+` FROM invitations i LEFT JOIN operators o ON o.id = i.operator_id
		WHERE i.visitor_id = ? ORDER BY i.created_at DESC LIMIT ?`, visitorID, limit)
	if err != nil {
		return nil, err
	}
	return scanInvitations(rows)
}

func scanInvitations(rows *sql.Rows) ([]domain.Invitation, error) {
	defer rows.Close()
	out := []domain.Invitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows.Scan)
		if err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	return out, rows.Err()
}

// scanInvitation reads one row of invitationColumns.
func scanInvitation(scan func(...any) error) (domain.Invitation, error) {
	var inv domain.Invitation
	var created, answered int64
	var opName, photo string
	if err := scan(&inv.ID, &inv.AccountID, &inv.VisitorID, &inv.Kind, &inv.RuleID, &inv.OperatorID, &inv.Message,
		&inv.Status, &inv.ConversationID, &created, &answered, &opName, &photo); err != nil {
		return inv, err
	}
	inv.CreatedAt = fromMS(created)
	if answered > 0 {
		t := fromMS(answered)
		inv.AnsweredAt = &t
	}
	if inv.OperatorID != "" {
		inv.Operator = &domain.Person{ID: inv.OperatorID, Name: opName, PhotoURL: photo}
	}
	return inv, nil
}

func (s *Store) InvitationStats(ctx context.Context, accountID string, since time.Time) (*domain.InvitationStats, error) {
	rows, err := s.query(ctx, s.read, `SELECT kind, rule_id, status, COUNT(*) FROM invitations
		WHERE account_id = ? AND created_at >= ? GROUP BY kind, rule_id, status ORDER BY rule_id`, accountID, ms(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	stats := &domain.InvitationStats{Rules: []domain.RuleStats{}}
	rules := map[string]*domain.InvitationCounts{}
	var order []string
	for rows.Next() {
		var kind domain.InvitationKind
		var ruleID string
		var status domain.InvitationStatus
		var n int
		if err := rows.Scan(&kind, &ruleID, &status, &n); err != nil {
			return nil, err
		}
		totals := &stats.Operator
		if kind == domain.InvitationByProactive {
			totals = &stats.Proactive
			if rules[ruleID] == nil {
				rules[ruleID] = &domain.InvitationCounts{}
				order = append(order, ruleID)
			}
			rules[ruleID].Add(status, n)
		}
		totals.Add(status, n)
	}
	for _, id := range order {
		stats.Rules = append(stats.Rules, domain.RuleStats{RuleID: id, InvitationCounts: *rules[id]})
	}
	return stats, rows.Err()
}

const proactiveColumns = `id, account_id, pattern, after_seconds, after_pages, greeting, enabled, created_at`

func (s *Store) ListProactiveRules(ctx context.Context, accountID string) ([]domain.ProactiveRule, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+proactiveColumns+` FROM proactive_rules WHERE account_id = ? ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.ProactiveRule{}
	for rows.Next() {
		var r domain.ProactiveRule
		var enabled int
		var created int64
		if err := rows.Scan(&r.ID, &r.AccountID, &r.Pattern, &r.AfterSeconds, &r.AfterPages, &r.Greeting, &enabled, &created); err != nil {
			return nil, err
		}
		r.Enabled, r.CreatedAt = enabled != 0, fromMS(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Store) CreateProactiveRule(ctx context.Context, r *domain.ProactiveRule) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO proactive_rules (`+proactiveColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.AccountID, r.Pattern, r.AfterSeconds, r.AfterPages, r.Greeting, boolInt(r.Enabled), ms(r.CreatedAt))
	return err
}

func (s *Store) UpdateProactiveRule(ctx context.Context, r *domain.ProactiveRule) error {
	return s.updateOne(ctx, `UPDATE proactive_rules SET pattern = ?, after_seconds = ?, after_pages = ?, greeting = ?, enabled = ?
		WHERE id = ? AND account_id = ?`, r.Pattern, r.AfterSeconds, r.AfterPages, r.Greeting, boolInt(r.Enabled), r.ID, r.AccountID)
}

func (s *Store) DeleteProactiveRule(ctx context.Context, accountID, id string) error {
	return s.updateOne(ctx, `DELETE FROM proactive_rules WHERE id = ? AND account_id = ?`, id, accountID)
}

var _ store.VisitorStore = (*Store)(nil)
