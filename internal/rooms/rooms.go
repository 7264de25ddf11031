// Package rooms is colleague chat: direct and group rooms between operators of one account,
// with room admins, messages that wait for whoever is offline, and unread counts.
package rooms

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
)

// Limits, documented in docs/api.md.
const (
	MaxNameChars = 100
	MaxMembers   = 100
	MaxPage      = 1000
)

// Store is the part of the store rooms need.
type Store interface {
	OperatorByID(ctx context.Context, id string) (*domain.Operator, error)
	CreateRoom(ctx context.Context, r *domain.Room) error
	DirectRoom(ctx context.Context, operatorID, otherID string) (*domain.Room, error)
	RoomFor(ctx context.Context, roomID, operatorID string) (*domain.Room, error)
	ListRooms(ctx context.Context, operatorID string) ([]domain.Room, error)
	AddRoomMember(ctx context.Context, roomID, operatorID string, admin bool, at time.Time) error
	SetRoomAdmin(ctx context.Context, roomID, operatorID string, admin bool) error
	RemoveRoomMember(ctx context.Context, roomID, operatorID string) error
	AppendRoomMessage(ctx context.Context, m *domain.RoomMessage) (*domain.RoomMessage, bool, error)
	RoomMessagesAfter(ctx context.Context, roomID string, afterSeq int64, limit int) ([]domain.RoomMessage, error)
	MarkRoomRead(ctx context.Context, roomID, operatorID string, seq int64) error
}

// Notifier announces committed changes to the room's members.
type Notifier interface {
	RoomMessageAdded(ctx context.Context, r *domain.Room, m *domain.RoomMessage) error
	RoomChanged(ctx context.Context, r *domain.Room, event string, by *domain.Person, alsoTo ...string) error
}

type Service struct {
	store  Store
	notify Notifier
	log    *slog.Logger
	now    func() time.Time
}

func NewService(s Store, n Notifier, log *slog.Logger) *Service {
	return &Service{store: s, notify: n, log: log, now: time.Now}
}

// List returns the operator's rooms with their unread counts, the most recently active first.
func (s *Service) List(ctx context.Context, op *domain.Operator) ([]domain.Room, error) {
	return s.store.ListRooms(ctx, op.ID)
}

// Get returns a room the operator is a member of; any other is ErrNotFound, so ids cannot be probed.
func (s *Service) Get(ctx context.Context, op *domain.Operator, id string) (*domain.Room, error) {
	if id == "" || len(id) > 64 {
		return nil, domain.ErrNotFound
	}
	return s.store.RoomFor(ctx, id, op.ID)
}

// CreateInput is a new room: with a name it is a group, without one and with one colleague it
// is the direct room between the two.
type CreateInput struct {
	Name      string
	MemberIDs []string
}

// Create opens a room. Asking for a direct room that exists returns it, with created false.
// The creator of a group is its admin.
func (s *Service) Create(ctx context.Context, op *domain.Operator, in CreateInput) (*domain.Room, bool, error) {
	name, err := cleanName(in.Name)
	if err != nil {
		return nil, false, err
	}
	var others []string
	for _, id := range in.MemberIDs {
		if id = strings.TrimSpace(id); id != op.ID && !slices.Contains(others, id) {
			others = append(others, id)
		}
	}
	if len(others) == 0 {
		return nil, false, domain.Invalid("invalid_field", "member_ids", "member_ids must name at least one colleague")
	}
	if len(others) > MaxMembers-1 {
		return nil, false, domain.Invalid("invalid_field", "member_ids", "a room has at most %d members", MaxMembers)
	}
	members := []domain.RoomMember{{ID: op.ID, Name: op.Name, PhotoURL: op.PhotoURL, Admin: name != ""}}
	for _, id := range others {
		o, err := s.colleague(ctx, op.AccountID, id)
		if err != nil {
			return nil, false, err
		}
		members = append(members, domain.RoomMember{ID: o.ID, Name: o.Name, PhotoURL: o.PhotoURL})
	}
	kind := domain.RoomGroup
	if name == "" {
		if len(others) != 1 {
			return nil, false, domain.Invalid("invalid_field", "name", "a room with more than one colleague needs a name")
		}
		kind = domain.RoomDirect
		if r, err := s.store.DirectRoom(ctx, op.ID, others[0]); err == nil {
			return r, false, nil
		} else if !errors.Is(err, domain.ErrNotFound) {
			return nil, false, err
		}
	}
	r := &domain.Room{ID: domain.NewID(), AccountID: op.AccountID, Kind: kind, Name: name, Members: members,
		CreatedBy: op.ID, CreatedAt: s.now().UTC()}
	err = s.store.CreateRoom(ctx, r)
	if kind == domain.RoomDirect && errors.Is(err, domain.ErrConflict) {
		// The colleague opened it at the same moment.
		r, err := s.store.DirectRoom(ctx, op.ID, others[0])
		return r, false, err
	}
	if err != nil {
		return nil, false, err
	}
	stored, err := s.store.RoomFor(ctx, r.ID, op.ID)
	if err != nil {
		return nil, false, err
	}
	s.announce(s.notify.RoomChanged(ctx, stored, "created", person(op)), "created", r.ID)
	s.log.Info("room created", "room_id", r.ID, "account_id", r.AccountID, "kind", r.Kind, "members", len(members))
	return stored, true, nil
}

// AddMember lets a room admin add a colleague (as an admin too, if asked).
func (s *Service) AddMember(ctx context.Context, op *domain.Operator, roomID, operatorID string, admin bool) (*domain.Room, error) {
	r, err := s.managed(ctx, op, roomID)
	if err != nil {
		return nil, err
	}
	o, err := s.colleague(ctx, r.AccountID, operatorID)
	if err != nil {
		return nil, err
	}
	if r.IsMember(o.ID) {
		return r, nil
	}
	if len(r.Members) >= MaxMembers {
		return nil, domain.Invalid("room_full", "operator_id", "a room has at most %d members", MaxMembers)
	}
	if err := s.store.AddRoomMember(ctx, r.ID, o.ID, admin, s.now().UTC()); err != nil {
		return nil, err
	}
	return s.changed(ctx, op, r.ID)
}

// SetAdmin lets a room admin make a member an admin, or not; a group keeps at least one.
func (s *Service) SetAdmin(ctx context.Context, op *domain.Operator, roomID, operatorID string, admin bool) (*domain.Room, error) {
	r, err := s.managed(ctx, op, roomID)
	if err != nil {
		return nil, err
	}
	m := r.Member(operatorID)
	if m == nil {
		return nil, domain.ErrNotFound
	}
	if m.Admin == admin {
		return r, nil
	}
	if !admin && admins(r) == 1 {
		return nil, errors.Join(domain.ErrConflict, errors.New("a group keeps at least one admin: make someone else an admin first"))
	}
	if err := s.store.SetRoomAdmin(ctx, r.ID, operatorID, admin); err != nil {
		return nil, err
	}
	return s.changed(ctx, op, r.ID)
}

// RemoveMember lets a room admin take a member out; removing yourself is leaving.
func (s *Service) RemoveMember(ctx context.Context, op *domain.Operator, roomID, operatorID string) error {
	if operatorID == op.ID {
		return s.Leave(ctx, op, roomID)
	}
	r, err := s.managed(ctx, op, roomID)
	if err != nil {
		return err
	}
	if !r.IsMember(operatorID) {
		return domain.ErrNotFound
	}
	if err := s.store.RemoveRoomMember(ctx, r.ID, operatorID); err != nil {
		return err
	}
	updated, err := s.store.RoomFor(ctx, r.ID, op.ID)
	if err != nil {
		return err
	}
	s.announce(s.notify.RoomChanged(ctx, updated, "members", person(op), operatorID), "members", r.ID)
	return nil
}

// Leave takes the operator out of a group. A direct room cannot be left.
func (s *Service) Leave(ctx context.Context, op *domain.Operator, roomID string) error {
	r, err := s.Get(ctx, op, roomID)
	if err != nil {
		return err
	}
	if r.Kind == domain.RoomDirect {
		return domain.Invalid("direct_room", "", "a direct room cannot be left or changed")
	}
	if err := s.store.RemoveRoomMember(ctx, r.ID, op.ID); err != nil {
		return err
	}
	// Tell those who remain (as one of them sees the room now: someone may have become
	// admin) and the one who left.
	for _, m := range r.Members {
		if m.ID == op.ID {
			continue
		}
		updated, err := s.store.RoomFor(ctx, r.ID, m.ID)
		if err != nil {
			return err
		}
		s.announce(s.notify.RoomChanged(ctx, updated, "members", person(op), op.ID), "members", r.ID)
		return nil
	}
	r.Members = nil
	s.announce(s.notify.RoomChanged(ctx, r, "members", person(op), op.ID), "members", r.ID)
	return nil
}

// Send stores a message in a room the operator is a member of, then delivers it to the members
// who are online; the others find it, counted as unread, when they come back.
func (s *Service) Send(ctx context.Context, op *domain.Operator, roomID, body, clientMsgID string) (*domain.RoomMessage, bool, error) {
	r, err := s.Get(ctx, op, roomID)
	if err != nil {
		return nil, false, err
	}
	body, err = conversations.CleanBody(body)
	if err != nil {
		return nil, false, err
	}
	if err := conversations.CheckClientMsgID(clientMsgID); err != nil {
		return nil, false, err
	}
	m := &domain.RoomMessage{ID: domain.NewID(), RoomID: r.ID, Author: domain.Author{Type: domain.AuthorOperator, ID: op.ID, Name: op.Name},
		Body: body, ClientMsgID: clientMsgID, CreatedAt: s.now().UTC()}
	stored, created, err := s.store.AppendRoomMessage(ctx, m)
	if err != nil {
		return nil, false, err
	}
	stored.Author.PhotoURL = op.PhotoURL
	if created {
		s.announce(s.notify.RoomMessageAdded(ctx, r, stored), "room_message", r.ID)
	}
	return stored, created, nil
}

// Messages returns a room's messages after seq, for its members.
func (s *Service) Messages(ctx context.Context, op *domain.Operator, roomID string, after int64) ([]domain.RoomMessage, error) {
	if _, err := s.Get(ctx, op, roomID); err != nil {
		return nil, err
	}
	return s.store.RoomMessagesAfter(ctx, roomID, after, MaxPage)
}

// MarkRead records how far the operator has read, and returns the room with its unread count.
func (s *Service) MarkRead(ctx context.Context, op *domain.Operator, roomID string, seq int64) (*domain.Room, error) {
	if seq < 0 {
		return nil, domain.Invalid("invalid_field", "seq", "seq must be a whole number ≥ 0")
	}
	if _, err := s.Get(ctx, op, roomID); err != nil {
		return nil, err
	}
	if err := s.store.MarkRoomRead(ctx, roomID, op.ID, seq); err != nil {
		return nil, err
	}
	return s.store.RoomFor(ctx, roomID, op.ID)
}

// managed returns a group the operator may manage: members who are not room admins get
// ErrForbidden, non-members ErrNotFound.
func (s *Service) managed(ctx context.Context, op *domain.Operator, roomID string) (*domain.Room, error) {
	r, err := s.Get(ctx, op, roomID)
	if err != nil {
		return nil, err
	}
	if r.Kind == domain.RoomDirect {
		return nil, domain.Invalid("direct_room", "", "a direct room cannot be left or changed")
	}
	if m := r.Member(op.ID); m == nil || !m.Admin {
		return nil, errors.Join(domain.ErrForbidden, errors.New("only the room's admins may manage its members"))
	}
	return r, nil
}

func (s *Service) changed(ctx context.Context, op *domain.Operator, roomID string) (*domain.Room, error) {
	r, err := s.store.RoomFor(ctx, roomID, op.ID)
	if err != nil {
		return nil, err
	}
	s.announce(s.notify.RoomChanged(ctx, r, "members", person(op)), "members", roomID)
	return r, nil
}

// colleague finds an operator of the account who is not deleted; anyone else is refused alike.
func (s *Service) colleague(ctx context.Context, accountID, id string) (*domain.Operator, error) {
	unknown := domain.Invalid("unknown_operator", "operator_id", "no colleague of your account has the id %q", truncate(id, 64))
	if id == "" || len(id) > 64 {
		return nil, unknown
	}
	o, err := s.store.OperatorByID(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, unknown
	}
	if err != nil {
		return nil, err
	}
	if o.AccountID != accountID {
		return nil, unknown
	}
	return o, nil
}

// announce logs a live event that could not be published: the change is committed and
// members catch up from the store.
func (s *Service) announce(err error, what, roomID string) {
	if err != nil {
		s.log.Warn("live event not published", "event", what, "room_id", roomID, "err", err)
	}
}

func cleanName(name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", domain.Invalid("invalid_field", "name", "the name is not valid UTF-8")
	}
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n > MaxNameChars {
		return "", domain.Invalid("invalid_field", "name", "the name has %d characters; the limit is %d", n, MaxNameChars)
	}
	return name, nil
}

func admins(r *domain.Room) int {
	n := 0
	for _, m := range r.Members {
		if m.Admin {
			n++
		}
	}
	return n
}

func person(op *domain.Operator) *domain.Person {
	return &domain.Person{ID: op.ID, Name: op.Name, PhotoURL: op.PhotoURL}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
