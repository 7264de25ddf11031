package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/portalauth"
)

// portalLoginResponse is the normal login's answer plus what the console needs for "remember me".
type portalLoginResponse struct {
	Token     string           `json:"token"`
	CSRFToken string           `json:"csrf_token"`
	Operator  *domain.Operator `json:"operator"`
	// RememberMeAvailable is true when the portal issues tokens.
	RememberMeAvailable bool `json:"remember_me_available"`
	// AuthenticationToken is the portal's token to remember; "" means forget any token kept.
	AuthenticationToken string `json:"authentication_token"`
}

type portalErrorBody struct {
	Error portalErrorDetail `json:"error"`
}

type portalErrorDetail struct {
	Code               string                         `json:"code"`
	Message            string                         `json:"message"`
	RemediationOptions []portalauth.RemediationOption `json:"remediation_options,omitempty"`
}

// portalLogin signs a portal's operator in with the portal's user name and password.
func (a *api) portalLogin(w http.ResponseWriter, r *http.Request, req loginRequest) {
	if req.Username == "" || req.Password == "" || len(req.Username) > 200 || len(req.Password) > 1024 || len(req.Portal) > 100 {
		writeErrorCode(w, http.StatusUnauthorized, "wrong_credentials", "Wrong user name or password")
		return
	}
	res, err := a.PortalAuth.Login(r.Context(), req.Portal, req.Username, req.Password)
	a.countPortalRefusal(r, err)
	a.portalSignedIn(w, r, res, err)
}

type tokenLoginRequest struct {
	Portal              string `json:"portal"`
	AuthenticationToken string `json:"authentication_token"`
	FromURL             bool   `json:"from_url"`
}

// portalTokenLogin signs a portal's operator in with a token the portal issued.
func (a *api) portalTokenLogin(w http.ResponseWriter, r *http.Request) {
	var req tokenLoginRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if req.Portal == "" || len(req.Portal) > 100 {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "portal", "portal is the portal's key"))
		return
	}
	// Each attempt is a request to the portal's server: a script trying tokens would send it
	// one per try, so tokens the portal refuses count as failed sign-ins.
	if a.refuseThrottledLogin(w, r) {
		return
	}
	if req.AuthenticationToken == "" || len(req.AuthenticationToken) > 1024 {
		writeErrorCode(w, http.StatusUnauthorized, "wrong_credentials", "The sign-in link or saved sign-in is not valid")
		return
	}
	res, err := a.PortalAuth.LoginWithToken(r.Context(), req.Portal, req.AuthenticationToken, req.FromURL)
	a.countPortalRefusal(r, err)
	a.portalSignedIn(w, r, res, err)
}

// countPortalRefusal counts a sign-in the portal refused for wrong credentials (a password, or a
// token it does not know) as a failed one.
func (a *api) countPortalRefusal(r *http.Request, err error) {
	if le := (*portalauth.LoginError)(nil); errors.As(err, &le) && le.Code == "wrong_credentials" {
		a.signInFailed(r)
	}
}

func (a *api) portalSignedIn(w http.ResponseWriter, r *http.Request, res *portalauth.Result, err error) {
	var le *portalauth.LoginError
	if errors.As(err, &le) {
		status := http.StatusUnauthorized
		if le.Unavailable {
			status = http.StatusBadGateway
		}
		writeJSON(w, status, portalErrorBody{Error: portalErrorDetail{Code: le.Code, Message: le.Message, RemediationOptions: le.Remediation}})
		return
	}
	if errors.Is(err, domain.ErrNotFound) {
		writeErrorCode(w, http.StatusNotFound, "unknown_portal", "no portal with sign-in through its own accounts has this key")
		return
	}
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	login := res.Login
	if login.Operator.Status == domain.StatusOffline {
		if err := a.Store.SetOperatorStatus(r.Context(), login.Operator.ID, domain.StatusOnline); err != nil {
			writeError(w, r, a.Log, err)
			return
		}
		login.Operator.Status = domain.StatusOnline
	}
	a.Operators.OperatorActive(r.Context(), login.Operator)
	a.setSessionCookies(w, login.Token, login.CSRFToken, login.ExpiresAt)
	a.Log.Info("operator signed in through portal", "operator_id", login.Operator.ID, "account_id", login.Operator.AccountID)
	writeJSON(w, http.StatusOK, portalLoginResponse{Token: login.Token, CSRFToken: login.CSRFToken, Operator: login.Operator,
		RememberMeAvailable: res.RememberMe, AuthenticationToken: res.Token})
}

// portalLogOut tells the portal that its operator signed out, after the answer has gone.
func (a *api) portalLogOut(w http.ResponseWriter, r *http.Request, portalID, portalToken string) {
	if err := http.NewResponseController(w).Flush(); err != nil {
		a.Log.Warn("sign-out answer not flushed before LogOut", "err", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), portalauth.RetryWindow+15*time.Second)
	defer cancel()
	a.PortalAuth.LogOut(ctx, portalID, portalToken)
}

type portalLoginInfo struct {
	Name       string `json:"name"`
	LogoURL    string `json:"logo_url"`
	RememberMe bool   `json:"remember_me"`
}

// portalLoginInfo is what the portal's login page shows; public, no secrets.
func (a *api) portalLoginInfo(w http.ResponseWriter, r *http.Request) {
	portal, cfg, err := a.PortalAuth.Portal(r.Context(), r.PathValue("key"))
	if err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			writeErrorCode(w, http.StatusNotFound, "unknown_portal", "no portal with sign-in through its own accounts has this key")
			return
		}
		writeError(w, r, a.Log, err)
		return
	}
	logo, _ := portal.Settings["logo_url"].(string)
	if !httpURL(logo) {
		logo = ""
	}
	writeJSON(w, http.StatusOK, portalLoginInfo{Name: portal.Name, LogoURL: logo, RememberMe: cfg.IssuesTokens})
}

func httpURL(s string) bool {
	return len(s) < 2000 && (len(s) > 8 && s[:8] == "https://" || len(s) > 7 && s[:7] == "http://")
}

type externalAuthRequest struct {
	Enabled    bool    `json:"enabled"`
	URL        string  `json:"url"`
	AccessKey  *string `json:"access_key"`
	AdminEmail string  `json:"admin_email"`
}

type externalAuthResponse struct {
	ExternalAuth *domain.PortalAuth `json:"external_auth"`
	// AccessKeySet says whether an access key is stored; the key itself is never shown.
	AccessKeySet bool `json:"access_key_set"`
}

func (a *api) callerAccount(w http.ResponseWriter, r *http.Request, op *domain.Operator) (*domain.Account, bool) {
	acc, err := a.Store.AccountByID(r.Context(), op.AccountID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return nil, false
	}
	return acc, true
}

func (a *api) getExternalAuth(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	acc, ok := a.callerAccount(w, r, op)
	if !ok {
		return
	}
	cfg, err := a.PortalAuth.Settings(r.Context(), op, acc)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, externalAuthResponse{ExternalAuth: cfg, AccessKeySet: cfg.AccessKey != ""})
}

func (a *api) putExternalAuth(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req externalAuthRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	acc, ok := a.callerAccount(w, r, op)
	if !ok {
		return
	}
	cfg, err := a.PortalAuth.SaveSettings(r.Context(), op, acc, portalauth.Settings{
		Enabled: req.Enabled, URL: req.URL, AccessKey: req.AccessKey, AdminEmail: req.AdminEmail})
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	a.Log.Info("portal external authentication saved", "account_id", acc.ID, "operator_id", op.ID, "enabled", cfg.Enabled)
	writeJSON(w, http.StatusOK, externalAuthResponse{ExternalAuth: cfg, AccessKeySet: cfg.AccessKey != ""})
}

type externalAuthHealth struct {
	LastSuccessAt *time.Time                 `json:"last_success_at"`
	Problems      []domain.PortalAuthProblem `json:"problems"`
}

func (a *api) externalAuthHealth(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	acc, ok := a.callerAccount(w, r, op)
	if !ok {
		return
	}
	h, err := a.PortalAuth.Health(r.Context(), op, acc, 50)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, externalAuthHealth{LastSuccessAt: h.Settings.LastSuccessAt, Problems: h.Problems})
}
