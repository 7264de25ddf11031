package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
)

const operatorColumns = `id, account_id, email, name, role, status, photo_url, password_hash, created_at,
	phone, transcript_email, notify_colleague_pickup, alert_sound`

func (s *Store) CreateOperator(ctx context.Context, o *domain.Operator) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO operators (`+operatorColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.ID, o.AccountID, strings.ToLower(o.Email), o.Name, string(o.Role), string(o.Status), o.PhotoURL, o.PasswordHash, ms(o.CreatedAt),
		o.Phone, o.TranscriptEmail, boolInt(o.NotifyColleaguePickup), boolInt(o.AlertSound))
	if s.dialect.IsUniqueViolation(err) {
		return fmt.Errorf("an operator with e-mail %s already exists: %w", o.Email, domain.ErrConflict)
	}
	return err
}

func (s *Store) OperatorByID(ctx context.Context, id string) (*domain.Operator, error) {
	return scanOperator(s.queryRow(ctx, s.read, `SELECT `+operatorColumns+` FROM operators WHERE id = ? AND deleted_at IS NULL`, id))
}

func (s *Store) OperatorByEmail(ctx context.Context, email string) (*domain.Operator, error) {
	return scanOperator(s.queryRow(ctx, s.read, `SELECT `+operatorColumns+` FROM operators WHERE email = ? AND deleted_at IS NULL`, strings.ToLower(email)))
}

func (s *Store) ListOperators(ctx context.Context, accountID string) ([]domain.Operator, error) {
	rows, err := s.query(ctx, s.read, `SELECT `+operatorColumns+` FROM operators WHERE account_id = ? AND deleted_at IS NULL ORDER BY name, id`, accountID)
	if err != nil {
		return nil, err
	}
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

func (s *Store) SetOperatorStatus(ctx context.Context, id string, status domain.OperatorStatus) error {
	return s.updateOne(ctx, `UPDATE operators SET status = ? WHERE id = ?`, string(status), id)
}

func (s *Store) SetOperatorPassword(ctx context.Context, id, passwordHash string) error {
	return s.updateOne(ctx, `UPDATE operators SET password_hash = ? WHERE id = ?`, passwordHash, id)
}

// updateOne runs an UPDATE that must touch exactly one row; none means the row does not exist.
func (s *Store) updateOne(ctx context.Context, query string, args ...any) error {
	res, err := s.exec(ctx, s.write, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

// scanAfter is row with its first columns going to lead and the rest to whoever scans it: for a
// join that reads a row of one table ahead of another's.
func scanAfter(row scanner, lead ...any) scanner { return leadingScanner{row, lead} }

type leadingScanner struct {
	row  scanner
	lead []any
}

func (l leadingScanner) Scan(dest ...any) error { return l.row.Scan(append(l.lead, dest...)...) }

// sessionOperatorColumns are operatorColumns in a join where operators is aliased o.
var sessionOperatorColumns = func() string {
	cols := strings.Split(operatorColumns, ",")
	for i, c := range cols {
		cols[i] = "o." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

func scanOperator(row scanner) (*domain.Operator, error) {
	var o domain.Operator
	var role, status string
	var created int64
	var notify, sound int
	if err := row.Scan(&o.ID, &o.AccountID, &o.Email, &o.Name, &role, &status, &o.PhotoURL, &o.PasswordHash, &created,
		&o.Phone, &o.TranscriptEmail, &notify, &sound); err != nil {
		return nil, notFound(err)
	}
	o.NotifyColleaguePickup, o.AlertSound = notify != 0, sound != 0
	o.Role, o.Status, o.CreatedAt = domain.Role(role), domain.OperatorStatus(status), fromMS(created)
	return &o, nil
}

func (s *Store) CreateSession(ctx context.Context, sess *domain.Session) error {
	_, err := s.exec(ctx, s.write, `INSERT INTO sessions (token_hash, operator_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		sess.TokenHash, sess.OperatorID, sess.CSRFToken, ms(sess.CreatedAt), ms(sess.ExpiresAt))
	return err
}

// sessionQuery reads a live session and its operator in one statement: it runs for every request
// of the console.
var sessionQuery = `SELECT s.csrf_token, s.created_at, s.expires_at, ` + sessionOperatorColumns + `
	FROM sessions s JOIN operators o ON o.id = s.operator_id
	WHERE s.token_hash = ? AND s.expires_at > ? AND o.deleted_at IS NULL`

// sessionRead is a Step reading sessionQuery's row, if there is one.
type sessionRead struct {
	session  domain.Session
	operator *domain.Operator
}

func sessionStep(tokenHash string, now time.Time, read *sessionRead) Step {
	read.session.TokenHash = tokenHash
	return Step{Query: sessionQuery, Args: []any{tokenHash, ms(now)}, Scan: func(scan func(...any) error) error {
		var created, expires int64
		op, err := scanOperator(scanAfter(scanFunc(scan), &read.session.CSRFToken, &created, &expires))
		if err != nil {
			return err
		}
		read.operator = op
		read.session.OperatorID, read.session.CreatedAt, read.session.ExpiresAt = op.ID, fromMS(created), fromMS(expires)
		return nil
	}}
}

// scanFunc is a Step's scan as a scanner.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

func (s *Store) SessionByTokenHash(ctx context.Context, tokenHash string, now time.Time) (*domain.Session, *domain.Operator, error) {
	var read sessionRead
	ctx, db := s.byKey(ctx)
	if err := s.readStepsOn(ctx, db, []Step{sessionStep(tokenHash, now, &read)}); err != nil {
		return nil, nil, err
	}
	if read.operator == nil {
		return nil, nil, domain.ErrNotFound
	}
	return &read.session, read.operator, nil
}

func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.exec(ctx, s.write, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}
