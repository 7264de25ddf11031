package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/internal/domain"
)

func (s *Store) TransferConversation(ctx context.Context, t *domain.Transfer, notes []*domain.Message) (*domain.Conversation, []domain.Message, error) {
	var fromID string
	if t.From != nil {
		fromID = t.From.ID
	}
	var added []domain.Message
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The owner is compared as well as the status: of two transfers at once, one wins and
		// the other finds the owner changed rather than silently undoing the first.
		res, err := s.exec(ctx, tx, `UPDATE conversations SET owner_id = ? WHERE id = ? AND status = 'active' AND owner_id = ?`,
			t.To.ID, t.ConversationID, fromID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return s.transferRefusal(ctx, tx, t.ConversationID)
		}
		if err := s.joinParticipant(ctx, tx, t.ConversationID, t.To.ID, t.CreatedAt); err != nil {
			return err
		}
		if fromID != "" && fromID != t.To.ID {
			if _, err := s.exec(ctx, tx, `UPDATE conversation_participants SET left_at = ? WHERE conversation_id = ? AND operator_id = ? AND left_at IS NULL`,
				ms(t.CreatedAt), t.ConversationID, fromID); err != nil {
				return err
			}
		}
		_, err = s.exec(ctx, tx, `INSERT INTO conversation_transfers (id, conversation_id, from_operator_id, to_operator_id, by_operator_id, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.ConversationID, nullString(fromID), t.To.ID, t.By.ID, t.Note, ms(t.CreatedAt))
		if err != nil {
			return fmt.Errorf("insert transfer: %w", err)
		}
		added, err = s.appendNotes(ctx, tx, t.ConversationID, notes)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	c, err := s.ConversationByID(ctx, t.ConversationID)
	return c, added, err
}

// transferRefusal explains why a transfer touched no row.
func (s *Store) transferRefusal(ctx context.Context, q querier, id string) error {
	var status string
	if err := s.queryRow(ctx, q, `SELECT status FROM conversations WHERE id = ?`, id).Scan(&status); err != nil {
		return notFound(err)
	}
	switch domain.ConversationStatus(status) {
	case domain.ConversationClosed:
		return domain.ErrClosed
	case domain.ConversationWaiting:
		return fmt.Errorf("the chat is waiting: claim it first: %w", domain.ErrConflict)
	}
	return fmt.Errorf("the chat has changed hands meanwhile: %w", domain.ErrConflict)
}

// joinParticipant makes the operator take part. Someone already present keeps the time they
// joined (it decides who takes over when the owner leaves); someone coming back starts anew.
func (s *Store) joinParticipant(ctx context.Context, tx *sql.Tx, conversationID, operatorID string, at time.Time) error {
	_, err := s.exec(ctx, tx, `INSERT INTO conversation_participants (conversation_id, operator_id, joined_at) VALUES (?, ?, ?)
		ON CONFLICT (conversation_id, operator_id) DO UPDATE SET
			joined_at = CASE WHEN conversation_participants.left_at IS NULL THEN conversation_participants.joined_at ELSE excluded.joined_at END,
			left_at = NULL`,
		conversationID, operatorID, ms(at))
	return err
}

// appendNotes stores system messages; one stored before (the same client id) is not repeated.
func (s *Store) appendNotes(ctx context.Context, tx *sql.Tx, conversationID string, notes []*domain.Message) ([]domain.Message, error) {
	var added []domain.Message
	for _, m := range notes {
		if m == nil {
			continue
		}
		m.ConversationID = conversationID
		stored, created, err := s.appendMessage(ctx, tx, m)
		if err != nil {
			return nil, err
		}
		if created {
			added = append(added, *stored)
		}
	}
	return added, nil
}

// lockConversation takes the conversation row's lock for the rest of the transaction and returns its
// status and owner.
func (s *Store) lockConversation(ctx context.Context, tx *sql.Tx, id string) (domain.ConversationStatus, string, error) {
	var status string
	var owner sql.NullString
	err := s.queryRow(ctx, tx, `UPDATE conversations SET status = status WHERE id = ? RETURNING status, owner_id`, id).Scan(&status, &owner)
	if err != nil {
		return "", "", notFound(err)
	}
	return domain.ConversationStatus(status), owner.String, nil
}

func (s *Store) takesPart(ctx context.Context, q querier, conversationID, operatorID string) (bool, error) {
	var n int
	err := s.queryRow(ctx, q, `SELECT COUNT(*) FROM conversation_participants WHERE conversation_id = ? AND operator_id = ? AND left_at IS NULL`,
		conversationID, operatorID).Scan(&n)
	return n > 0, err
}

func (s *Store) AddParticipant(ctx context.Context, conversationID, operatorID string, at time.Time, note *domain.Message) (*domain.Conversation, []domain.Message, error) {
	var added []domain.Message
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		status, _, err := s.lockConversation(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		switch status {
		case domain.ConversationClosed:
			return domain.ErrClosed
		case domain.ConversationWaiting:
			return fmt.Errorf("the chat is waiting: claim it first: %w", domain.ErrConflict)
		}
		present, err := s.takesPart(ctx, tx, conversationID, operatorID)
		if err != nil || present {
			return err
		}
		if err := s.joinParticipant(ctx, tx, conversationID, operatorID, at); err != nil {
			return err
		}
		added, err = s.appendNotes(ctx, tx, conversationID, []*domain.Message{note})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	c, err := s.ConversationByID(ctx, conversationID)
	return c, added, err
}

func (s *Store) RemoveParticipant(ctx context.Context, conversationID, operatorID string, at time.Time, note *domain.Message) (*domain.Conversation, []domain.Message, error) {
	var added []domain.Message
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		status, owner, err := s.lockConversation(ctx, tx, conversationID)
		if err != nil {
			return err
		}
		if status == domain.ConversationClosed {
			return domain.ErrClosed
		}
		present, err := s.takesPart(ctx, tx, conversationID, operatorID)
		if err != nil {
			return err
		}
		if !present {
			return errors.Join(domain.ErrForbidden, errors.New("you do not take part in this chat"))
		}
		if _, err := s.exec(ctx, tx, `UPDATE conversation_participants SET left_at = ? WHERE conversation_id = ? AND operator_id = ?`,
			ms(at), conversationID, operatorID); err != nil {
			return err
		}
		if owner == operatorID {
			if err := s.passOwnership(ctx, tx, conversationID); err != nil {
				return err
			}
		}
		added, err = s.appendNotes(ctx, tx, conversationID, []*domain.Message{note})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	c, err := s.ConversationByID(ctx, conversationID)
	return c, added, err
}

// passOwnership gives the chat to the operator who has been in it longest, or, with nobody
// left, puts it back in the queue for anyone to claim.
func (s *Store) passOwnership(ctx context.Context, tx *sql.Tx, conversationID string) error {
	var next string
	err := s.queryRow(ctx, tx, `SELECT operator_id FROM conversation_participants WHERE conversation_id = ? AND left_at IS NULL
		ORDER BY joined_at, operator_id LIMIT 1`, conversationID).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = s.exec(ctx, tx, `UPDATE conversations SET status = 'waiting', owner_id = NULL, claimed_at = NULL WHERE id = ?`, conversationID)
		return err
	}
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, tx, `UPDATE conversations SET owner_id = ? WHERE id = ?`, next, conversationID)
	return err
}

func (s *Store) OperatorTookPart(ctx context.Context, conversationID, operatorID string) (bool, error) {
	var n int
	err := s.queryRow(ctx, s.read, `SELECT COUNT(*) FROM conversation_participants WHERE conversation_id = ? AND operator_id = ?`,
		conversationID, operatorID).Scan(&n)
	return n > 0, err
}

func (s *Store) ListTransfers(ctx context.Context, conversationID string) ([]domain.Transfer, error) {
	rows, err := s.query(ctx, s.read, `SELECT t.id, t.conversation_id, t.from_operator_id, COALESCE(f.name, ''), COALESCE(f.photo_url, ''),
			t.to_operator_id, o.name, o.photo_url, t.by_operator_id, b.name, b.photo_url, t.note, t.created_at
		FROM conversation_transfers t
		LEFT JOIN operators f ON f.id = t.from_operator_id
		JOIN operators o ON o.id = t.to_operator_id
		JOIN operators b ON b.id = t.by_operator_id
		WHERE t.conversation_id = ? ORDER BY t.created_at, t.id`, conversationID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Transfer{}
	for rows.Next() {
		var t domain.Transfer
		var from sql.NullString
		var fromName, fromPhoto string
		var at int64
		if err := rows.Scan(&t.ID, &t.ConversationID, &from, &fromName, &fromPhoto, &t.To.ID, &t.To.Name, &t.To.PhotoURL,
			&t.By.ID, &t.By.Name, &t.By.PhotoURL, &t.Note, &at); err != nil {
			return nil, err
		}
		if from.Valid {
			t.From = &domain.Person{ID: from.String, Name: fromName, PhotoURL: fromPhoto}
		}
		t.CreatedAt = fromMS(at)
		out = append(out, t)
	}
	return out, rows.Err()
}
