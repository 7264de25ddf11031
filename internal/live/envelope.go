package live

import (
	"encoding/json"
	"slices"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live/ws"
)

// envelope is what travels on an account topic: the frame, encoded once by the publisher, and
// who among the account's operators may receive it. Every node filters by the same rule.
type envelope struct {
	Audience audience        `json:"a"`
	Frame    json.RawMessage `json:"f,omitempty"`
	// Frames, instead of Frame: several frames for the same audience, written to each socket
	// together (the coalesced visitor list).
	Frames []json.RawMessage `json:"fs,omitempty"`
	// Sent is when the event was published (Unix nanoseconds), for the delivery latency metric.
	Sent int64 `json:"t,omitempty"`
}

type audience struct {
	// Everyone: every operator of the account (a waiting chat, or news that a chat was taken).
	Everyone bool `json:"e,omitempty"`
	// Admins: the account's admins, who see all of its chats.
	Admins bool `json:"ad,omitempty"`
	// Operators: these operators (the owner and the invited).
	Operators []string `json:"o,omitempty"`
	// Except: not to this connection's operator (they made the change and already know).
	Except string `json:"x,omitempty"`
}

// wire is the envelope's frames as they go on every socket, encoded once.
func (e *envelope) wire() []byte {
	if len(e.Frames) == 0 {
		return ws.TextFrame(e.Frame)
	}
	return textFrames(e.Frames)
}

// textFrames encodes frames one after the other, for a socket to take in one write.
func textFrames(frames []json.RawMessage) []byte {
	size := 0
	for _, f := range frames {
		size += len(f) + ws.MaxHeaderLen
	}
	out := make([]byte, 0, size)
	for _, f := range frames {
		out = ws.AppendFrame(out, ws.OpText, f)
	}
	return out
}

func (a audience) includes(op *domain.Operator) bool {
	if op.ID == a.Except {
		return false
	}
	return a.Everyone || (a.Admins && op.Role == domain.RoleAdmin) || slices.Contains(a.Operators, op.ID)
}

// conversationAudience is who may follow a conversation: its owner and participants, the admins,
// and, while it waits for someone to pick it up, everyone — or, when a routing rule gave it to
// some operators, those.
func conversationAudience(c *domain.Conversation) audience {
	waiting := c.Status == domain.ConversationWaiting
	a := audience{Admins: true, Everyone: waiting && len(c.RoutedTo) == 0}
	if waiting {
		a.Operators = append(a.Operators, c.RoutedTo...)
	}
	if c.OwnerID != "" {
		a.Operators = append(a.Operators, c.OwnerID)
	}
	for _, p := range c.Participants {
		if p.ID != c.OwnerID {
			a.Operators = append(a.Operators, p.ID)
		}
	}
	return a
}

// Frames, as documented in docs/protocol.md.
type (
	helloFrame struct {
		Type             string `json:"type"`
		HeartbeatSeconds int    `json:"heartbeat_seconds"`
		OperatorID       string `json:"operator_id,omitempty"`
		VisitorID        string `json:"visitor_id,omitempty"`
	}
	messageFrame struct {
		Type    string          `json:"type"`
		Message *domain.Message `json:"message"`
	}
	conversationFrame struct {
		Type         string               `json:"type"`
		Event        string               `json:"event"`
		Conversation *domain.Conversation `json:"conversation"`
		By           *domain.Person       `json:"by,omitempty"`
	}
	typingFrame struct {
		Type           string        `json:"type"`
		ConversationID string        `json:"conversation_id"`
		Typing         bool          `json:"typing"`
		Author         domain.Author `json:"author"`
	}
	presenceFrame struct {
		Type      string `json:"type"`
		VisitorID string `json:"visitor_id,omitempty"`
		Online    bool   `json:"online"`
		// Advertiser names the portal advertiser (its external id) whose availability changed.
		Advertiser *string `json:"advertiser,omitempty"`
	}
	simpleFrame struct {
		Type string `json:"type"`
	}
)

func mustEncode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Frames are built from our own types; failing to encode one is a programming error.
		panic(err)
	}
	return b
}
