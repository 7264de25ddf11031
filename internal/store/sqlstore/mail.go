package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// ---- categories ----

const categoryColumns = `id, account_id, name, email, created_at`

func (s *Store) CreateCategory(ctx context.Context, c *domain.Category) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO categories (`+categoryColumns+`) VALUES (?, ?, ?, ?, ?)`,
		c.ID, c.AccountID, c.Name, c.Email, ms(c.CreatedAt))
	if s.dialect.IsUniqueViolation(err) {
		return fmt.Errorf("a category named %q already exists: %w", c.Name, domain.ErrConflict)
	}
	return err
}

func (s *Store) CategoryByID(ctx context.Context, id string) (*domain.Category, error) {
	return scanCategory(s.queryRow(ctx, s.read, `SELECT `+categoryColumns+` FROM categories WHERE id = ?`, id))
}

func (s *Store) ListCategories(ctx context.Context, accountID string) ([]domain.Category, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+categoryColumns+` FROM categories WHERE account_id = ? ORDER BY name, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Category{}
	for rows.Next() {
		c, err := scanCategory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

func (s *Store) UpdateCategory(ctx context.Context, c *domain.Category) error {
	err := s.updateOne(ctx, `UPDATE categories SET name = ?, email = ? WHERE id = ? AND account_id = ?`, c.Name, c.Email, c.ID, c.AccountID)
	if s.dialect.IsUniqueViolation(err) {
		return fmt.Errorf("a category named %q already exists: %w", c.Name, domain.ErrConflict)
	}
	return err
}

// DeleteCategory removes a category. Closed chats keep its id; mail already queued for it keeps
// its address and name.
func (s *Store) DeleteCategory(ctx context.Context, accountID, id string) error {
	return s.updateOne(ctx, `DELETE FROM categories WHERE id = ? AND account_id = ?`, id, accountID)
}

func scanCategory(row scanner) (*domain.Category, error) {
	var c domain.Category
	var created int64
	if err := row.Scan(&c.ID, &c.AccountID, &c.Name, &c.Email, &created); err != nil {
		return nil, notFound(err)
	}
	c.CreatedAt = fromMS(created)
	return &c, nil
}

// ---- who receives what ----

func (s *Store) ConversationOperators(ctx context.Context, conversationID string) ([]domain.Operator, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+operatorColumns+` FROM operators WHERE deleted_at IS NULL AND id IN (
			SELECT operator_id FROM conversation_participants WHERE conversation_id = ?
			UNION SELECT owner_id FROM conversations WHERE id = ? AND owner_id IS NOT NULL)
		ORDER BY name, id`, conversationID, conversationID)
	if err != nil {
		return nil, err
	}
	return scanOperators(rows)
}

func scanOperators(rows *sql.Rows) ([]domain.Operator, error) {
	defer rows.Close()
	var out []domain.Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

func (s *Store) OfflineRecipientIDs(ctx context.Context, accountID string) ([]string, error) {
	rows, err := s.query(ctx, s.read, `SELECT id FROM operators
		WHERE account_id = ? AND receives_offline_messages = 1 AND deleted_at IS NULL ORDER BY name, id`, accountID)
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

func (s *Store) SetOfflineRecipients(ctx context.Context, accountID string, operatorIDs []string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := s.exec(ctx, tx, `UPDATE operators SET receives_offline_messages = 0 WHERE account_id = ?`, accountID); err != nil {
			return err
		}
		for _, id := range operatorIDs {
			res, err := s.exec(ctx, tx, `UPDATE operators SET receives_offline_messages = 1
				WHERE id = ? AND account_id = ? AND deleted_at IS NULL`, id, accountID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return fmt.Errorf("operator %s: %w", id, domain.ErrNotFound)
			}
		}
		return nil
	})
}

func (s *Store) OfflineMessageByID(ctx context.Context, id string) (*domain.OfflineMessage, error) {
	var m domain.OfflineMessage
	var visitor sql.NullString
	var at int64
	err := s.queryRow(ctx, s.read, `SELECT id, account_id, visitor_id, name, email, body, created_at FROM offline_messages WHERE id = ?`, id).
		Scan(&m.ID, &m.AccountID, &visitor, &m.Name, &m.Email, &m.Body, &at)
	if err != nil {
		return nil, notFound(err)
	}
	m.VisitorID, m.CreatedAt = visitor.String, fromMS(at)
	return &m, nil
}

// ---- the outbox ----

const outboxColumns = `id, kind, account_id, recipient, conversation_id, offline_message_id, params,
	attempts, next_attempt_at, last_error, sent_at, failed_at, created_at`

// insertMails queues mails inside the transaction of the change that causes them.
func (s *Store) insertMails(ctx context.Context, tx *sql.Tx, mails []domain.OutboxMail) error {
	for _, m := range mails {
		params, err := json.Marshal(m.Params)
		if err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, `INSERT INTO outbox (id, kind, account_id, recipient, conversation_id, offline_message_id, params,
				attempts, next_attempt_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, '', ?)`,
			m.ID, string(m.Kind), m.AccountID, m.Recipient, nullString(m.ConversationID), nullString(m.OfflineMessageID),
			string(params), ms(m.NextAttemptAt), ms(m.CreatedAt))
		if err != nil {
			return fmt.Errorf("queue mail: %w", err)
		}
	}
	return nil
}

func (s *Store) EnqueueVisitorTranscript(ctx context.Context, m domain.OutboxMail, visitorID string, now time.Time, limits store.TranscriptLimits) error {
	since := ms(now.Add(-limits.Window))
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// Touching the visitor's row takes its lock, so one visitor's requests count one by one.
		if _, err := s.exec(ctx, tx, `UPDATE visitors SET last_seen_at = last_seen_at WHERE id = ?`, visitorID); err != nil {
			return err
		}
		var byVisitor, byRecipient int
		err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM outbox o JOIN conversations c ON c.id = o.conversation_id
			WHERE o.kind = ? AND c.visitor_id = ? AND o.created_at > ?`, string(domain.MailTranscriptVisitor), visitorID, since).Scan(&byVisitor)
		if err != nil {
			return err
		}
		err = s.queryRow(ctx, tx, `SELECT COUNT(*) FROM outbox WHERE lower(recipient) = lower(CAST(? AS TEXT)) AND kind = ? AND created_at > ?`,
			m.Recipient, string(domain.MailTranscriptVisitor), since).Scan(&byRecipient)
		if err != nil {
			return err
		}
		if byVisitor >= limits.PerVisitor || byRecipient >= limits.PerRecipient {
			return domain.ErrRateLimited
		}
		return s.insertMails(ctx, tx, []domain.OutboxMail{m})
	})
}

func (s *Store) DueMail(ctx context.Context, now time.Time, limit int) ([]domain.OutboxMail, error) {
	return s.mails(ctx, `SELECT `+outboxColumns+` FROM outbox
		WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`, ms(now), limit)
}

func (s *Store) ConversationMail(ctx context.Context, conversationID string) ([]domain.OutboxMail, error) {
	return s.mails(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE conversation_id = ? ORDER BY created_at, id`, conversationID)
}

func (s *Store) mails(ctx context.Context, query string, args ...any) ([]domain.OutboxMail, error) {
	rows, err := s.query(ctx, s.read, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []domain.OutboxMail
	for rows.Next() {
		m, err := scanMail(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

func (s *Store) ClaimMail(ctx context.Context, id string, due, lease time.Time) (bool, error) {
	res, err := s.exec(ctx, s.write, `UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1
		WHERE id = ? AND next_attempt_at = ? AND sent_at IS NULL AND failed_at IS NULL`, ms(lease), id, ms(due))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s *Store) MailSent(ctx context.Context, id string, at time.Time) error {
	return s.updateOne(ctx, `UPDATE outbox SET sent_at = ?, last_error = '' WHERE id = ?`, ms(at), id)
}

func (s *Store) MailFailed(ctx context.Context, id string, at, next time.Time, lastError string, giveUp bool) error {
	if giveUp {
		return s.updateOne(ctx, `UPDATE outbox SET failed_at = ?, last_error = ? WHERE id = ?`, ms(at), lastError, id)
	}
	return s.updateOne(ctx, `UPDATE outbox SET next_attempt_at = ?, last_error = ? WHERE id = ?`, ms(next), lastError, id)
}

func (s *Store) MailByID(ctx context.Context, id string) (*domain.OutboxMail, error) {
	return scanMail(s.queryRow(ctx, s.read, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
}

func (s *Store) OutboxDepth(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, s.read, `SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL`).Scan(&n)
	return n, err
}

func scanMail(row scanner) (*domain.OutboxMail, error) {
	var m domain.OutboxMail
	var kind, params string
	var conv, offline sql.NullString
	var next, created int64
	var sent, failed sql.NullInt64
	err := row.Scan(&m.ID, &kind, &m.AccountID, &m.Recipient, &conv, &offline, &params,
		&m.Attempts, &next, &m.LastError, &sent, &failed, &created)
	if err != nil {
		return nil, notFound(err)
	}
	m.Kind = domain.MailKind(kind)
	m.ConversationID, m.OfflineMessageID = conv.String, offline.String
	m.NextAttemptAt, m.CreatedAt = fromMS(next), fromMS(created)
	m.SentAt, m.FailedAt = fromNullMS(sent), fromNullMS(failed)
	if err := json.Unmarshal([]byte(params), &m.Params); err != nil {
		return nil, fmt.Errorf("outbox %s params: %w", m.ID, err)
	}
	return &m, nil
}
