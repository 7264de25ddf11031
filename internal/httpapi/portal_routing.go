package httpapi

import (
	"net/http"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/portal"
)

func (a *api) getSettings(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	v, err := a.Portal.Settings(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

type settingsPatchRequest struct {
	Settings map[string]any `json:"settings"`
	Locked   *[]string      `json:"locked"`
}

func (a *api) patchSettings(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req settingsPatchRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	v, err := a.Portal.UpdateSettings(r.Context(), op, portal.SettingsPatch{Settings: req.Settings, Locked: req.Locked})
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *api) listListings(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	list, err := a.Portal.Listings(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"listings": list})
}

type listingOperatorsRequest struct {
	OperatorIDs []string `json:"operator_ids"`
}

func (a *api) setListingOperators(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req listingOperatorsRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	l, err := a.Portal.SetListingOperators(r.Context(), op, r.PathValue("listing_id"), req.OperatorIDs)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"listing": l})
}

func (a *api) getPortalBackup(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	b, err := a.Portal.Backup(r.Context(), op)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"backup": b})
}

type portalBackupRequest struct {
	Enabled     *bool    `json:"enabled"`
	OperatorIDs []string `json:"operator_ids"`
}

func (a *api) putPortalBackup(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req portalBackupRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if req.Enabled == nil {
		writeError(w, r, a.Log, domain.Invalid("missing_field", "enabled", "enabled is required"))
		return
	}
	b, err := a.Portal.SetBackup(r.Context(), op, *req.Enabled, req.OperatorIDs)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"backup": b})
}

func (a *api) listAdvertisers(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	q := r.URL.Query()
	page, err := a.Portal.Advertisers(r.Context(), op, portal.AdvertiserQuery{Query: q.Get("q"), Cursor: q.Get("cursor"), Limit: q.Get("limit")})
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}
