package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/internal/domain"
)

// directKey names the one direct room two operators may share, whoever opened it.
func directKey(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + ":" + b
}

func (s *Store) CreateRoom(ctx context.Context, r *domain.Room) error {
	var key sql.NullString
	if r.Kind == domain.RoomDirect {
		if len(r.Members) != 2 {
			return fmt.Errorf("a direct room has two members, not %d", len(r.Members))
		}
		key = nullString(directKey(r.Members[0].ID, r.Members[1].ID))
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := s.exec(ctx, tx, `INSERT INTO rooms (id, account_id, kind, name, direct_key, created_by, last_seq, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
			r.ID, r.AccountID, string(r.Kind), r.Name, key, r.CreatedBy, ms(r.CreatedAt))
		if s.dialect.IsUniqueViolation(err) {
			return fmt.Errorf("these two already have a direct room: %w", domain.ErrConflict)
		}
		if err != nil {
			return err
		}
		for _, m := range r.Members {
			if _, err := s.exec(ctx, tx, `INSERT INTO room_members (room_id, operator_id, is_admin, last_read_seq, joined_at) VALUES (?, ?, ?, 0, ?)`,
				r.ID, m.ID, boolInt(m.Admin), ms(r.CreatedAt)); err != nil {
				return err
			}
		}
		return nil
	})
}

const roomSelect = `SELECT r.id, r.account_id, r.kind, r.name, r.created_by, r.created_at, r.last_seq, me.last_read_seq,
	(SELECT COUNT(*) FROM room_messages x WHERE x.room_id = r.id AND x.seq > me.last_read_seq AND x.author_id <> me.operator_id),
	lm.id, lm.author_id, lm.author_name, lm.body, lm.client_msg_id, lm.created_at
FROM rooms r
JOIN room_members me ON me.room_id = r.id AND me.operator_id = ?
LEFT JOIN room_messages lm ON lm.room_id = r.id AND lm.seq = r.last_seq`

func (s *Store) DirectRoom(ctx context.Context, operatorID, otherID string) (*domain.Room, error) {
	return s.oneRoom(ctx, roomSelect+` WHERE r.direct_key = ?`, operatorID, directKey(operatorID, otherID))
}

func (s *Store) RoomFor(ctx context.Context, roomID, operatorID string) (*domain.Room, error) {
	return s.oneRoom(ctx, roomSelect+` WHERE r.id = ?`, operatorID, roomID)
}

func (s *Store) oneRoom(ctx context.Context, query string, args ...any) (*domain.Room, error) {
	list, err := s.rooms(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return &list[0], nil
}

func (s *Store) ListRooms(ctx context.Context, operatorID string) ([]domain.Room, error) {
	return s.rooms(ctx, roomSelect+` ORDER BY COALESCE(lm.created_at, r.created_at) DESC, r.id DESC LIMIT 500`, operatorID)
}

func (s *Store) rooms(ctx context.Context, query string, args ...any) ([]domain.Room, error) {
	rows, err := s.query(ctx, s.read, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Room{}
	for rows.Next() {
		var r domain.Room
		var kind string
		var created int64
		var lastID, lastAuthor, lastName, lastBody, lastClient sql.NullString
		var lastAt sql.NullInt64
		if err := rows.Scan(&r.ID, &r.AccountID, &kind, &r.Name, &r.CreatedBy, &created, &r.LastSeq, &r.LastReadSeq, &r.Unread,
			&lastID, &lastAuthor, &lastName, &lastBody, &lastClient, &lastAt); err != nil {
			return nil, err
		}
		r.Kind, r.CreatedAt = domain.RoomKind(kind), fromMS(created)
		if lastID.Valid {
			r.LastMessage = &domain.RoomMessage{ID: lastID.String, RoomID: r.ID, Seq: r.LastSeq,
				Author: domain.Author{Type: domain.AuthorOperator, ID: lastAuthor.String, Name: lastName.String},
				Body:   lastBody.String, ClientMsgID: lastClient.String, CreatedAt: fromMS(lastAt.Int64)}
		}
		r.Members = []domain.RoomMember{}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, s.loadRoomMembers(ctx, out)
}

// loadRoomMembers fills in the members of all the rooms in one query, in the order they joined.
// Deleted operators are no longer shown.
func (s *Store) loadRoomMembers(ctx context.Context, list []domain.Room) error {
	if len(list) == 0 {
		return nil
	}
	index := make(map[string]int, len(list))
	args := make([]any, len(list))
	for i, r := range list {
		index[r.ID] = i
		args[i] = r.ID
	}
	rows, err := s.query(ctx, s.read, `SELECT m.room_id, o.id, o.name, o.photo_url, m.is_admin FROM room_members m
		JOIN operators o ON o.id = m.operator_id
		WHERE o.deleted_at IS NULL AND m.room_id IN (`+placeholders(len(list))+`) ORDER BY m.joined_at, o.id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var roomID string
		var m domain.RoomMember
		var admin int
		if err := rows.Scan(&roomID, &m.ID, &m.Name, &m.PhotoURL, &admin); err != nil {
			return err
		}
		m.Admin = admin != 0
		i := index[roomID]
		list[i].Members = append(list[i].Members, m)
	}
	return rows.Err()
}

func (s *Store) AddRoomMember(ctx context.Context, roomID, operatorID string, admin bool, at time.Time) error {
	// A newcomer starts with nothing unread: the history is there to scroll, not to be counted.
	_, err := s.exec(ctx, s.write, `INSERT INTO room_members (room_id, operator_id, is_admin, last_read_seq, joined_at)
		SELECT id, CAST(? AS TEXT), CAST(? AS SMALLINT), last_seq, CAST(? AS BIGINT) FROM rooms WHERE id = ?
		ON CONFLICT (room_id, operator_id) DO NOTHING`, operatorID, boolInt(admin), ms(at), roomID)
	return err
}

func (s *Store) SetRoomAdmin(ctx context.Context, roomID, operatorID string, admin bool) error {
	return s.updateOne(ctx, `UPDATE room_members SET is_admin = ? WHERE room_id = ? AND operator_id = ?`, boolInt(admin), roomID, operatorID)
}

func (s *Store) RemoveRoomMember(ctx context.Context, roomID, operatorID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, `DELETE FROM room_members WHERE room_id = ? AND operator_id = ?`, roomID, operatorID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return domain.ErrNotFound
		}
		// A group keeps someone who can manage it.
		var admins int
		if err := s.queryRow(ctx, tx, `SELECT COUNT(*) FROM room_members WHERE room_id = ? AND is_admin <> 0`, roomID).Scan(&admins); err != nil {
			return err
		}
		if admins > 0 {
			return nil
		}
		_, err = s.exec(ctx, tx, `UPDATE room_members SET is_admin = 1 WHERE room_id = ? AND operator_id = (
			SELECT operator_id FROM room_members WHERE room_id = ? ORDER BY joined_at, operator_id LIMIT 1)
			AND EXISTS (SELECT 1 FROM rooms WHERE id = ? AND kind = 'group')`, roomID, roomID, roomID)
		return err
	})
}

func (s *Store) AppendRoomMessage(ctx context.Context, m *domain.RoomMessage) (*domain.RoomMessage, bool, error) {
	var stored *domain.RoomMessage
	created := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Bumping last_seq first locks the room row, so senders queue and seq stays gap-free
		// (the same scheme as conversation messages).
		var seq int64
		if err := s.queryRow(ctx, tx, `UPDATE rooms SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq`, m.RoomID).Scan(&seq); err != nil {
			return notFound(err)
		}
		original, err := s.roomMessageByClientID(ctx, tx, m)
		if err == nil {
			stored = original
			_, err := s.exec(ctx, tx, `UPDATE rooms SET last_seq = last_seq - 1 WHERE id = ?`, m.RoomID)
			return err
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		res, err := s.exec(ctx, tx, `UPDATE room_members SET last_read_seq = ? WHERE room_id = ? AND operator_id = ?`, seq, m.RoomID, m.Author.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// Removed from the room between the check and the send.
			return domain.ErrNotFound
		}
		m.Seq = seq
		if _, err := s.exec(ctx, tx, `INSERT INTO room_messages (id, room_id, seq, author_id, author_name, body, client_msg_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.RoomID, m.Seq, m.Author.ID, m.Author.Name, m.Body, m.ClientMsgID, ms(m.CreatedAt)); err != nil {
			return fmt.Errorf("insert room message: %w", err)
		}
		stored, created = m, true
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return stored, created, nil
}

const roomMessageColumns = `id, room_id, seq, author_id, author_name, body, client_msg_id, created_at`

func (s *Store) roomMessageByClientID(ctx context.Context, q querier, m *domain.RoomMessage) (*domain.RoomMessage, error) {
	rows, err := s.query(ctx, q, `SELECT `+roomMessageColumns+` FROM room_messages WHERE room_id = ? AND author_id = ? AND client_msg_id = ?`,
		m.RoomID, m.Author.ID, m.ClientMsgID)
	if err != nil {
		return nil, err
	}
	list, err := scanRoomMessages(rows)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, domain.ErrNotFound
	}
	return &list[0], nil
}

func (s *Store) RoomMessagesAfter(ctx context.Context, roomID string, afterSeq int64, limit int) ([]domain.RoomMessage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := s.query(ctx, s.read, `SELECT `+roomMessageColumns+` FROM room_messages WHERE room_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		roomID, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	return scanRoomMessages(rows)
}

func scanRoomMessages(rows *sql.Rows) ([]domain.RoomMessage, error) {
	defer rows.Close()
	out := []domain.RoomMessage{}
	for rows.Next() {
		var m domain.RoomMessage
		var at int64
		if err := rows.Scan(&m.ID, &m.RoomID, &m.Seq, &m.Author.ID, &m.Author.Name, &m.Body, &m.ClientMsgID, &at); err != nil {
			return nil, err
		}
		m.Author.Type, m.CreatedAt = domain.AuthorOperator, fromMS(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Store) MarkRoomRead(ctx context.Context, roomID, operatorID string, seq int64) error {
	res, err := s.exec(ctx, s.write, `UPDATE room_members SET last_read_seq = (
			SELECT CASE WHEN CAST(? AS BIGINT) < r.last_seq THEN CAST(? AS BIGINT) ELSE r.last_seq END FROM rooms r WHERE r.id = room_members.room_id)
		WHERE room_id = ? AND operator_id = ? AND last_read_seq < ?`, seq, seq, roomID, operatorID, seq)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	// Nothing changed: already read that far, or not a member at all.
	var member int
	if err := s.queryRow(ctx, s.write, `SELECT COUNT(*) FROM room_members WHERE room_id = ? AND operator_id = ?`, roomID, operatorID).Scan(&member); err != nil {
		return err
	}
	if member == 0 {
		return domain.ErrNotFound
	}
	return nil
}
