package httpapi

import (
	"net/http"
	"strings"

	"github.com/portico/portico/internal/domain"
)

// The mail endpoints: categories, offline messages and who receives them, the visitor's
// transcript, and whether mail is configured at all.

type systemResponse struct {
	// MailConfigured is false when no mail server is configured: mail is kept in the outbox
	// and sent once one is.
	MailConfigured bool `json:"mail_configured"`
}

func (a *api) system(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	writeJSON(w, http.StatusOK, systemResponse{MailConfigured: a.MailConfigured})
}

type categoryRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type categoryPatch struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
}

func (a *api) listCategories(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Mail.Categories(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": list})
}

func (a *api) createCategory(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req categoryRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, err := a.Mail.CreateCategory(r.Context(), op, req.Name, req.Email)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"category": c})
}

func (a *api) updateCategory(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req categoryPatch
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, err := a.Mail.UpdateCategory(r.Context(), op, r.PathValue("id"), req.Name, req.Email)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"category": c})
}

func (a *api) deleteCategory(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if err := a.Mail.DeleteCategory(r.Context(), op, r.PathValue("id")); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) listOfflineMessages(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Mail.OfflineMessages(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"offline_messages": list})
}

type recipientsRequest struct {
	OperatorIDs []string `json:"operator_ids"`
}

func (a *api) getOfflineRecipients(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	rec, err := a.Mail.OfflineRecipients(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (a *api) setOfflineRecipients(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req recipientsRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if req.OperatorIDs == nil {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "operator_ids", "operator_ids is required (an empty list means the admins)"))
		return
	}
	rec, err := a.Mail.SetOfflineRecipients(r.Context(), op, req.OperatorIDs)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

type transcriptRequest struct {
	Email string `json:"email"`
}

func (a *api) widgetTranscript(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	var req transcriptRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if err := a.Conversations.RequestTranscript(r.Context(), v, r.PathValue("id"), req.Email); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"transcript": map[string]string{"email": strings.TrimSpace(req.Email)}})
}
