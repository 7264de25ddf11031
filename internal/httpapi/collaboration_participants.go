package httpapi

import (
	"net/http"

	"github.com/portico/portico/internal/domain"
)

type transferRequest struct {
	OperatorID string `json:"operator_id"`
	Note       string `json:"note"`
}

type transferResponse struct {
	Conversation domain.Conversation `json:"conversation"`
	Transfer     domain.Transfer     `json:"transfer"`
}

func (a *api) transferConversation(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req transferRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, t, err := a.Participation.Transfer(r.Context(), op, r.PathValue("id"), req.OperatorID, req.Note)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, transferResponse{Conversation: *c, Transfer: *t})
}

type inviteRequest struct {
	OperatorID string `json:"operator_id"`
}

func (a *api) inviteToConversation(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req inviteRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, err := a.Participation.Invite(r.Context(), op, r.PathValue("id"), req.OperatorID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": c})
}

func (a *api) leaveConversation(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	c, err := a.Participation.Leave(r.Context(), op, r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation": c})
}

func (a *api) listTransfers(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Participation.Transfers(r.Context(), op, r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"transfers": list})
}
