package store

import (
	"context"
	"time"

	"github.com/portico/portico/internal/domain"
)

// HistoryFilter narrows a search of closed conversations. AccountIDs is required: it is the
// tenant wall. Zero values leave a filter out.
type HistoryFilter struct {
	AccountIDs []string
	// AdvertisersOf adds the conversations of every advertiser of this portal.
	AdvertisersOf string
	// TookPartIn limits the search to conversations this operator took part in (agents).
	TookPartIn string
	// OperatorID: conversations this operator took part in (a filter the caller chose).
	OperatorID string
	CategoryID string
	VisitorID  string
	// From and To bound the time the conversation started, both inclusive.
	From, To time.Time
	// Words must all appear in one of the conversation's messages (full-text, case-insensitive).
	Words []string
	// After continues a previous page: conversations older than this one.
	After *HistoryCursor
	Limit int
}

// HistoryCursor is the position of the last conversation of a page (newest first).
type HistoryCursor struct {
	CreatedAt time.Time
	ID        string
}

// HistoryHit is a conversation found in the history and the body of the message that matched
// (with no words: its first message).
type HistoryHit struct {
	Conversation domain.Conversation
	Match        string
}

// CollaborationStore is the part of the store behind working together: transfers and
// invitations, colleague rooms and the searchable chat history.
type CollaborationStore interface {
	// TransferConversation makes t.To the owner of an active conversation whose owner is still
	// t.From: t.To takes part from now on, t.From leaves; the transfer and the system messages
	// are stored in the same transaction. A closed conversation is domain.ErrClosed; one that is
	// waiting or has changed hands meanwhile is domain.ErrConflict.
	TransferConversation(ctx context.Context, t *domain.Transfer, notes []*domain.Message) (*domain.Conversation, []domain.Message, error)
	// AddParticipant lets an operator take part in an active conversation and stores note (a
	// system message) with it. An operator who already takes part is left alone: no message.
	AddParticipant(ctx context.Context, conversationID, operatorID string, at time.Time, note *domain.Message) (*domain.Conversation, []domain.Message, error)
	// RemoveParticipant ends an operator's part in an active conversation and stores note. An
	// owner who leaves hands the chat to the operator present longest; when nobody is left the
	// conversation waits again. Someone who does not take part is domain.ErrForbidden.
	RemoveParticipant(ctx context.Context, conversationID, operatorID string, at time.Time, note *domain.Message) (*domain.Conversation, []domain.Message, error)
	// OperatorTookPart reports whether the operator ever took part in the conversation.
	OperatorTookPart(ctx context.Context, conversationID, operatorID string) (bool, error)
	// ListTransfers returns a conversation's transfers, oldest first.
	ListTransfers(ctx context.Context, conversationID string) ([]domain.Transfer, error)

	// CreateRoom stores a room with its members. A second direct room between the same two
	// operators is domain.ErrConflict.
	CreateRoom(ctx context.Context, r *domain.Room) error
	// DirectRoom finds the direct room between two operators, as the first sees it.
	DirectRoom(ctx context.Context, operatorID, otherID string) (*domain.Room, error)
	// RoomFor returns a room as its member sees it (with their unread count); a room the
	// operator is not a member of is domain.ErrNotFound.
	RoomFor(ctx context.Context, roomID, operatorID string) (*domain.Room, error)
	// ListRooms returns the operator's rooms, the most recently active first.
	ListRooms(ctx context.Context, operatorID string) ([]domain.Room, error)
	// AddRoomMember adds an operator (again) to a room; a member already there keeps their place.
	AddRoomMember(ctx context.Context, roomID, operatorID string, admin bool, at time.Time) error
	// SetRoomAdmin makes a member a room admin or not; not a member is domain.ErrNotFound.
	SetRoomAdmin(ctx context.Context, roomID, operatorID string, admin bool) error
	// RemoveRoomMember takes an operator out of a room. When no admin is left the member who
	// has been there longest becomes one.
	RemoveRoomMember(ctx context.Context, roomID, operatorID string) error
	// AppendRoomMessage gives the message the room's next seq, unless its author already sent
	// one with its ClientMsgID: then the original comes back with created=false. The author
	// has read the room up to their own message.
	AppendRoomMessage(ctx context.Context, m *domain.RoomMessage) (stored *domain.RoomMessage, created bool, err error)
	RoomMessagesAfter(ctx context.Context, roomID string, afterSeq int64, limit int) ([]domain.RoomMessage, error)
	// MarkRoomRead records that the member has read the room up to seq (never backwards).
	MarkRoomRead(ctx context.Context, roomID, operatorID string, seq int64) error

	// SearchHistory returns closed conversations matching f, newest first.
	SearchHistory(ctx context.Context, f HistoryFilter) ([]HistoryHit, error)
}
