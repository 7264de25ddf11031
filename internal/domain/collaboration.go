package domain

import "time"

// Transfer records that a conversation changed hands: who had it, who has it now, who moved it
// and the note left for the new owner (never shown to the visitor).
type Transfer struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	From           *Person   `json:"from"`
	To             Person    `json:"to"`
	By             Person    `json:"by"`
	Note           string    `json:"note"`
	CreatedAt      time.Time `json:"created_at"`
}

// RoomKind tells a conversation between two colleagues from a named group.
type RoomKind string

const (
	RoomDirect RoomKind = "direct"
	RoomGroup  RoomKind = "group"
)

// Room is a chat between operators of one account. Members see it; nobody else does, not even
// the account's admins. LastReadSeq and Unread are the caller's own.
type Room struct {
	ID          string       `json:"id"`
	AccountID   string       `json:"account_id"`
	Kind        RoomKind     `json:"kind"`
	Name        string       `json:"name"`
	Members     []RoomMember `json:"members"`
	CreatedBy   string       `json:"created_by"`
	CreatedAt   time.Time    `json:"created_at"`
	LastSeq     int64        `json:"last_seq"`
	LastReadSeq int64        `json:"last_read_seq"`
	Unread      int          `json:"unread"`
	LastMessage *RoomMessage `json:"last_message"`
}

// IsMember reports whether the operator belongs to the room.
func (r *Room) IsMember(operatorID string) bool {
	return r.Member(operatorID) != nil
}

// Member returns the operator's membership, or nil.
func (r *Room) Member(operatorID string) *RoomMember {
	for i := range r.Members {
		if r.Members[i].ID == operatorID {
			return &r.Members[i]
		}
	}
	return nil
}

// MemberIDs lists the members' operator ids.
func (r *Room) MemberIDs() []string {
	ids := make([]string, len(r.Members))
	for i, m := range r.Members {
		ids[i] = m.ID
	}
	return ids
}

// RoomMember is an operator in a room; room admins add and remove members.
type RoomMember struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	PhotoURL string `json:"photo_url"`
	Admin    bool   `json:"admin"`
}

// RoomMessage is one message in a room. Like a chat message it has a gap-free seq per room
// and is stored once per author and client_msg_id.
type RoomMessage struct {
	ID          string    `json:"id"`
	RoomID      string    `json:"room_id"`
	Seq         int64     `json:"seq"`
	Author      Author    `json:"author"`
	Body        string    `json:"body"`
	ClientMsgID string    `json:"client_msg_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// HistoryResult is one closed conversation found in the chat history, with a piece of the
// message that matched (or of its first message, when no text was searched for).
type HistoryResult struct {
	Conversation Conversation `json:"conversation"`
	Snippet      string       `json:"snippet"`
}
