package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
)

func (a *api) listConversations(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	status := domain.ConversationStatus(r.URL.Query().Get("status"))
	if status != "" && !status.Valid() {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "status", "status must be waiting, active or closed"))
		return
	}
	list, err := a.Conversations.List(r.Context(), op, status)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": nonNilConversations(list)})
}

func (a *api) getConversation(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	c, err := a.Conversations.ForOperator(r.Context(), op, r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": c})
}

func (a *api) claimConversation(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	c, err := a.Conversations.Claim(r.Context(), op, r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": c})
}

type closeRequest struct {
	CategoryID string `json:"category_id"`
}

func (a *api) closeConversation(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req closeRequest
	if err := decodeOptional(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, err := a.Conversations.Close(r.Context(), op, r.PathValue("id"), req.CategoryID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": c})
}

type sendRequest struct {
	Body        string `json:"body"`
	ClientMsgID string `json:"client_msg_id"`
}

// operatorSend stores an operator's message. It reads nothing before: the write checks the
// session, its CSRF token and the operator's part in the chat itself (one round trip).
func (a *api) operatorSend(w http.ResponseWriter, r *http.Request) {
	proof, err := sessionProof(r)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	var req sendRequest
	if err := decode(w, r, &req); err != nil {
		// The write checks the session, and a body that cannot be read never gets to it: the
		// session is read here, so that a request with neither answers 401 as on every other
		// route, and only a signed-in operator learns what is wrong with the body.
		if _, _, ok := a.signedIn(w, r); ok {
			writeError(w, r, a.Log, err)
		}
		return
	}
	m, created, err := a.Conversations.OperatorSend(r.Context(), proof, r.PathValue("id"), req.Body, req.ClientMsgID)
	writeSent(w, r, a, m, created, err)
}

// writeSent answers a send: 201 for a new message, 200 with the original for a repeat.
func writeSent(w http.ResponseWriter, r *http.Request, a *api, m *domain.Message, created bool, err error) {
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, sentMessage{Message: m})
}

// sentMessage is the answer to a message sent; a struct rather than a map, as the answer to
// every message is.
type sentMessage struct {
	Message *domain.Message `json:"message"`
}

func (a *api) operatorMessages(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	after, err := afterParam(r)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	list, err := a.Conversations.OperatorMessages(r.Context(), op, r.PathValue("id"), after)
	writeMessages(w, r, a, list, err)
}

// writeMessages answers a page of messages; has_more says to ask again after the last seq.
func writeMessages(w http.ResponseWriter, r *http.Request, a *api, list []domain.Message, err error) {
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": list, "has_more": len(list) == conversations.MaxHistoryPage})
}

func afterParam(r *http.Request) (int64, error) {
	v := r.URL.Query().Get("after")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, domain.Invalid("invalid_field", "after", "after must be a whole number ≥ 0 (the last seq you have)")
	}
	return n, nil
}

func nonNilConversations(list []domain.Conversation) []domain.Conversation {
	if list == nil {
		return []domain.Conversation{}
	}
	return list
}

func (a *api) getVisitor(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	v, err := a.Store.VisitorByID(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	tenant, err := a.Conversations.Tenant(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	// One person on several devices has one history.
	same, err := a.Store.SamePerson(r.Context(), v.ID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	theirs, err := a.Conversations.ListByVisitor(r.Context(), op, same...)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	details, err := a.Live.Details(r.Context(), v.ID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	// A visitor is visible to an account they belong to, have chatted with, or (an advertiser)
	// whose listing they are on.
	visible := len(theirs) > 0 || details.Visitor.AnswersHere(op.AccountID)
	if !visible {
		if visible, err = a.Conversations.Holds(r.Context(), tenant, v.AccountID); err != nil {
			writeError(w, r, a.Log, err)
			return
		}
	}
	if !visible {
		writeError(w, r, a.Log, domain.ErrNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"visitor":       visitorJSON{LiveVisitor: details.Visitor, CurrentPage: v.CurrentPage, CreatedAt: v.CreatedAt, LastSeenAt: v.LastSeenAt},
		"pages":         details.Pages,
		"conversations": nonNilConversations(theirs),
		"invitations":   details.Invitations,
	})
}

// visitorJSON is a live visitor with what the chat's side panel has always shown.
type visitorJSON struct {
	domain.LiveVisitor
	CurrentPage *domain.PageView `json:"current_page"`
	CreatedAt   time.Time        `json:"created_at"`
	LastSeenAt  time.Time        `json:"last_seen_at"`
}
