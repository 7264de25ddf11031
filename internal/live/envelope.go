package live

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live/ws"
)

// envelope is what travels on an account topic: the frame, encoded once by the publisher, and
// who among the account's operators may receive it. Every node filters by the same rule. On the
// bus it is laid out by encode; the JSON tags read what nodes before that layout sent.
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

// envelopeVersion is the first byte of an encoded envelope. The JSON that nodes sent before
// starts with '{', so a node tells the two apart and still reads the older nodes' events while
// a cluster is upgraded one node at a time.
const envelopeVersion = 1

// The audience's flags, in an encoded envelope's second byte.
const (
	toEveryone = 1 << iota
	toAdmins
)

// envelopeHeaderLen is the version, the flags and the time sent.
const envelopeHeaderLen = 1 + 1 + 8

// encode lays the envelope out for the bus: the version, the audience's flags, the time sent
// (big-endian), the excepted operator and the count of listed ones, each id as its length and
// bytes, and then the frames as WebSocket frames. A node that receives it reads the audience
// where it lies and writes the frames to its sockets straight from the payload: a message
// costs the nodes no decoding and no copy (as JSON it cost both, on every node).
func (e *envelope) encode() []byte {
	a := &e.Audience
	size := envelopeHeaderLen + binary.MaxVarintLen64*(2+len(a.Operators)) + len(a.Except)
	for _, id := range a.Operators {
		size += len(id)
	}
	frames := e.Frames
	if len(frames) == 0 {
		frames = []json.RawMessage{e.Frame}
	}
	for _, f := range frames {
		size += ws.MaxHeaderLen + len(f)
	}
	out := make([]byte, 0, size)
	var flags byte
	if a.Everyone {
		flags |= toEveryone
	}
	if a.Admins {
		flags |= toAdmins
	}
	out = append(out, envelopeVersion, flags)
	out = binary.BigEndian.AppendUint64(out, uint64(e.Sent))
	out = appendID(out, a.Except)
	out = binary.AppendUvarint(out, uint64(len(a.Operators)))
	for _, id := range a.Operators {
		out = appendID(out, id)
	}
	for _, f := range frames {
		out = ws.AppendFrame(out, ws.OpText, f)
	}
	return out
}

// envelopeLayout is how this node lays out the envelopes it publishes: binary, or JSON while a
// node of an earlier version, which reads only JSON, shares the bus. The cluster sets it from
// what the other nodes say they read, so that a rolling upgrade costs no node its live events.
type envelopeLayout struct{ json atomic.Bool }

func (l *envelopeLayout) encode(e *envelope) []byte {
	if l.json.Load() {
		return mustEncode(e)
	}
	return e.encode()
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

func appendID(out []byte, id string) []byte {
	return append(binary.AppendUvarint(out, uint64(len(id))), id...)
}

// received is an envelope as a node reads it off the bus: its parts are views into the payload,
// which the bus hands over and nobody changes afterwards.
type received struct {
	everyone, admins bool
	// sent is when it was published, in Unix nanoseconds.
	sent   int64
	except []byte
	// operators are the listed operators' ids, each as its length and bytes.
	operators []byte
	// wire is the frames as they go on every socket.
	wire []byte
}

var errBadEnvelope = errors.New("the envelope is cut short")

// decodeEnvelope reads an envelope from the bus, in either layout.
func decodeEnvelope(payload []byte) (received, error) {
	if len(payload) > 0 && payload[0] == '{' {
		var env envelope
		if err := json.Unmarshal(payload, &env); err != nil {
			return received{}, err
		}
		payload = env.encode()
	}
	if len(payload) < envelopeHeaderLen {
		return received{}, errBadEnvelope
	}
	if payload[0] != envelopeVersion {
		return received{}, fmt.Errorf("envelope version %d is not known here", payload[0])
	}
	r := received{
		everyone: payload[1]&toEveryone != 0,
		admins:   payload[1]&toAdmins != 0,
		sent:     int64(binary.BigEndian.Uint64(payload[2:envelopeHeaderLen])),
	}
	var ok bool
	if r.except, payload, ok = cutID(payload[envelopeHeaderLen:]); !ok {
		return received{}, errBadEnvelope
	}
	count, n := binary.Uvarint(payload)
	if n <= 0 {
		return received{}, errBadEnvelope
	}
	operators := payload[n:]
	rest := operators
	for range count {
		if _, rest, ok = cutID(rest); !ok {
			return received{}, errBadEnvelope
		}
	}
	r.operators = operators[:len(operators)-len(rest)]
	r.wire = rest
	return r, nil
}

// cutID splits an id, its length first, from the bytes that follow it.
func cutID(b []byte) (id, rest []byte, ok bool) {
	size, n := binary.Uvarint(b)
	if n <= 0 || size > uint64(len(b)-n) {
		return nil, nil, false
	}
	end := n + int(size)
	return b[n:end], b[end:], true
}

// includes says whether op is in the envelope's audience.
func (r *received) includes(op *domain.Operator) bool {
	if string(r.except) == op.ID {
		return false
	}
	if r.everyone || (r.admins && op.Role == domain.RoleAdmin) {
		return true
	}
	for rest := r.operators; len(rest) > 0; {
		var id []byte
		id, rest, _ = cutID(rest) // decodeEnvelope checked every one
		if string(id) == op.ID {
			return true
		}
	}
	return false
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
		// Send says that the socket takes `send` frames; a client of an older node, whose
		// hello lacks it, sends over REST.
		Send bool `json:"send"`
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
