package httpapi

import (
	"net/http"

	"github.com/portico/portico/internal/domain"
)

func (a *api) listRoutingRules(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Routing.List(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"routing_rules": list})
}

type routingRuleRequest struct {
	Pattern     *string   `json:"pattern"`
	OperatorIDs *[]string `json:"operator_ids"`
}

func (a *api) createRoutingRule(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req routingRuleRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	var pattern string
	var ids []string
	if req.Pattern != nil {
		pattern = *req.Pattern
	}
	if req.OperatorIDs != nil {
		ids = *req.OperatorIDs
	}
	rule, err := a.Routing.Create(r.Context(), op, pattern, ids)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"routing_rule": rule})
}

func (a *api) updateRoutingRule(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req routingRuleRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	rule, err := a.Routing.Update(r.Context(), op, r.PathValue("id"), req.Pattern, req.OperatorIDs)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"routing_rule": rule})
}

func (a *api) deleteRoutingRule(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	if err := a.Routing.Delete(r.Context(), op, r.PathValue("id")); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
