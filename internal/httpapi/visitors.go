package httpapi

import (
	"net/http"

	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/visitors"
)

func (a *api) listVisitors(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if r.URL.Query().Get("online") != "true" {
		writeErrorCode(w, http.StatusBadRequest, "invalid_query", "list the visitors on the website now with ?online=true; earlier visitors are in the chat history")
		return
	}
	list, err := a.Live.Online(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"visitors": list})
}

type inviteVisitorRequest struct {
	Message string `json:"message"`
}

func (a *api) inviteVisitor(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req inviteVisitorRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	inv, err := a.Live.Invite(r.Context(), op, r.PathValue("id"), req.Message)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"invitation": inv})
}

func (a *api) invitationStats(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	stats, err := a.Live.Stats(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, stats)
}

func (a *api) listProactiveRules(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Live.ListRules(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"proactive_rules": list})
}

type proactiveRuleRequest struct {
	Pattern      *string `json:"pattern"`
	AfterSeconds *int    `json:"after_seconds"`
	AfterPages   *int    `json:"after_pages"`
	Greeting     *string `json:"greeting"`
	Enabled      *bool   `json:"enabled"`
}

func (req proactiveRuleRequest) input() visitors.ProactiveRuleInput {
	return visitors.ProactiveRuleInput{Pattern: req.Pattern, AfterSeconds: req.AfterSeconds, AfterPages: req.AfterPages, Greeting: req.Greeting, Enabled: req.Enabled}
}

func (a *api) createProactiveRule(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req proactiveRuleRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	rule, err := a.Live.CreateRule(r.Context(), op, req.input())
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"proactive_rule": rule})
}

func (a *api) updateProactiveRule(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req proactiveRuleRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	rule, err := a.Live.UpdateRule(r.Context(), op, r.PathValue("id"), req.input())
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"proactive_rule": rule})
}

func (a *api) deleteProactiveRule(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if err := a.Live.DeleteRule(r.Context(), op, r.PathValue("id")); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type identifyRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func (a *api) widgetIdentify(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	var req identifyRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	name, email, err := conversations.CleanIdentity(req.Name, req.Email)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	id, err := a.Live.Identify(r.Context(), v, name, email)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"visitor_id": id})
}

type showProactiveRequest struct {
	RuleID string `json:"rule_id"`
}

func (a *api) widgetShowProactive(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	var req showProactiveRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	inv, err := a.Live.ShowProactive(r.Context(), v, req.RuleID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"invitation": inv})
}

type acceptRequest struct {
	Message *sendRequest `json:"message"`
}

func (a *api) widgetAcceptInvitation(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	var req acceptRequest
	if err := decodeOptional(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	var body, cmid string
	if req.Message != nil {
		body, cmid = req.Message.Body, req.Message.ClientMsgID
	}
	c, err := a.Live.Accept(r.Context(), v, r.PathValue("id"), body, cmid)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"conversation": c})
}

func (a *api) widgetDeclineInvitation(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	inv, err := a.Live.Decline(r.Context(), v, r.PathValue("id"))
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitation": inv})
}
