package httpapi

import (
	"errors"
	"net/http"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/operators"
)

func (a *api) listCanned(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Operators.ListCanned(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned_responses": list})
}

type cannedRequest struct {
	Scope    domain.CannedScope `json:"scope"`
	Shortcut *string            `json:"shortcut"`
	Title    *string            `json:"title"`
	Body     *string            `json:"body"`
}

func (req cannedRequest) input() operators.CannedInput {
	return operators.CannedInput{Scope: req.Scope, Shortcut: req.Shortcut, Title: req.Title, Body: req.Body}
}

func (a *api) createCanned(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req cannedRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, err := a.Operators.CreateCanned(r.Context(), op, req.input())
	if err != nil {
		writeCannedError(w, r, a, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"canned_response": c})
}

func (a *api) updateCanned(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req cannedRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, err := a.Operators.UpdateCanned(r.Context(), op, r.PathValue("id"), req.input())
	if err != nil {
		writeCannedError(w, r, a, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"canned_response": c})
}

func (a *api) deleteCanned(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if err := a.Operators.DeleteCanned(r.Context(), op, r.PathValue("id")); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeCannedError(w http.ResponseWriter, r *http.Request, a *api, err error) {
	if errors.Is(err, domain.ErrConflict) {
		writeErrorCode(w, http.StatusConflict, "shortcut_taken", "another canned response of the same scope has this shortcut")
		return
	}
	writeError(w, r, a.Log, err)
}
