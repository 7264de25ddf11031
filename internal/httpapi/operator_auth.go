package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

const (
	sessionCookie = "portico_session"
	csrfCookie    = "portico_csrf"
	csrfHeader    = "X-CSRF-Token"
)

type operatorHandler func(w http.ResponseWriter, r *http.Request, op *domain.Operator)

// operator authenticates an operator by bearer token (API clients) or by the console's session
// cookie, which must come with the session's CSRF token on anything that changes state.
func (a *api) operator(h operatorHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, op, ok := a.signedIn(w, r)
		if ok {
			h(w, r, op)
		}
	})
}

// signedIn authenticates the request's token (bearer, the operator socket's query, or the session
// cookie) and, for a cookie, checks the CSRF token of anything that changes state. It answers the
// request itself when either fails; else it returns the request with the operator in its context.
func (a *api) signedIn(w http.ResponseWriter, r *http.Request) (*http.Request, *domain.Operator, bool) {
	token, fromCookie := operatorToken(r)
	op, sess, err := a.Auth.Authenticate(r.Context(), token)
	if err != nil {
		writeError(w, r, a.Log, err)
		return r, nil, false
	}
	if fromCookie && isUnsafe(r.Method) && !sess.CSRFMatches(r.Header.Get(csrfHeader)) {
		writeCSRFFailed(w)
		return r, nil, false
	}
	ctx := context.WithValue(r.Context(), operatorKey, op)
	ctx = context.WithValue(ctx, sessionKey, token)
	return r.WithContext(ctx), op, true
}

// operatorToken is the request's session token: the bearer token, the operator socket's query,
// or the console's session cookie (fromCookie).
func operatorToken(r *http.Request) (token string, fromCookie bool) {
	token = bearerToken(r)
	if token == "" && r.URL.Path == "/api/v1/ws" {
		token = r.URL.Query().Get("token")
	}
	if token == "" {
		if c, err := r.Cookie(sessionCookie); err == nil {
			token, fromCookie = c.Value, true
		}
	}
	return token, fromCookie
}

// sessionProof is what a state-changing request shows for its session, for a write that checks
// the session itself (store.SessionProof; the service sets the time).
func sessionProof(r *http.Request) (store.SessionProof, error) {
	token, fromCookie := operatorToken(r)
	if token == "" {
		return store.SessionProof{}, domain.ErrUnauthorized
	}
	return store.SessionProof{TokenHash: auth.HashToken(token), CheckCSRF: fromCookie, CSRFToken: r.Header.Get(csrfHeader)}, nil
}

const csrfFailedMessage = "the X-CSRF-Token header is missing or wrong"

func writeCSRFFailed(w http.ResponseWriter) {
	writeErrorCode(w, http.StatusForbidden, "csrf_failed", csrfFailedMessage)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// Portal and Username sign a portal's operator in with the portal's own accounts (portal_auth.go).
	Portal   string `json:"portal"`
	Username string `json:"username"`
}

type loginResponse struct {
	Token     string           `json:"token"`
	CSRFToken string           `json:"csrf_token"`
	Operator  *domain.Operator `json:"operator"`
}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if a.refuseThrottledLogin(w, r) {
		return
	}
	if req.Portal != "" {
		a.portalLogin(w, r, req)
		return
	}
	if req.Email == "" || req.Password == "" || len(req.Email) > 254 || len(req.Password) > 1024 {
		writeErrorCode(w, http.StatusUnauthorized, "wrong_credentials", "wrong e-mail or password")
		return
	}
	login, err := a.Auth.Login(r.Context(), req.Email, req.Password)
	if errors.Is(err, auth.ErrWrongCredentials) {
		a.signInFailed(r)
	}
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	// Signing in means being ready to answer; the console offers "away" for the opposite.
	if login.Operator.Status == domain.StatusOffline {
		if err := a.Store.SetOperatorStatus(r.Context(), login.Operator.ID, domain.StatusOnline); err != nil {
			writeError(w, r, a.Log, err)
			return
		}
		login.Operator.Status = domain.StatusOnline
	}
	a.Operators.OperatorActive(r.Context(), login.Operator)
	a.setSessionCookies(w, login.Token, login.CSRFToken, login.ExpiresAt)
	a.Log.Info("operator signed in", "operator_id", login.Operator.ID, "account_id", login.Operator.AccountID)
	writeJSON(w, http.StatusOK, loginResponse{Token: login.Token, CSRFToken: login.CSRFToken, Operator: login.Operator})
}

func (a *api) setSessionCookies(w http.ResponseWriter, token, csrf string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: a.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", Expires: expires,
		Secure: a.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (a *api) logout(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	token, _ := r.Context().Value(sessionKey).(string)
	portalID, portalToken, viaPortal := a.PortalAuth.PortalToken(r.Context(), auth.HashToken(token))
	if err := a.Auth.Logout(r.Context(), token); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	a.Hub.EndSession(auth.HashToken(token))
	a.setSessionCookies(w, "", "", time.Unix(0, 0))
	if viaPortal {
		// LogOut is sent after the answer: the connection must not carry the client's next request meanwhile.
		w.Header().Set("Connection", "close")
	}
	w.WriteHeader(http.StatusNoContent)
	if viaPortal {
		a.portalLogOut(w, r, portalID, portalToken)
	}
}

func (a *api) me(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	writeJSON(w, http.StatusOK, map[string]any{"operator": op})
}

type updateMeRequest struct {
	Status *domain.OperatorStatus `json:"status"`
	// The profile (team_profile.go): nil leaves a field as it is.
	Name                  *string `json:"name"`
	Phone                 *string `json:"phone"`
	TranscriptEmail       *string `json:"transcript_email"`
	NotifyColleaguePickup *bool   `json:"notify_colleague_pickup"`
	AlertSound            *bool   `json:"alert_sound"`
	// NewPassword changes the password when CurrentPassword is right.
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (a *api) updateMe(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	var req updateMeRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if req.Status != nil && !req.Status.Valid() {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "status", "status must be online, away or offline"))
		return
	}
	op, ok := a.updateProfile(w, r, op, req)
	if !ok {
		return
	}
	if req.Status != nil {
		if err := a.Store.SetOperatorStatus(r.Context(), op.ID, *req.Status); err != nil {
			writeError(w, r, a.Log, err)
			return
		}
		op.Status = *req.Status
		a.Hub.SetOperatorStatus(op)
		if err := a.Publisher.OperatorChanged(r.Context(), op); err != nil {
			a.Log.Warn("operator status not published", "operator_id", op.ID, "err", err)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"operator": op})
}

func (a *api) operatorSocket(w http.ResponseWriter, r *http.Request, op *domain.Operator) {
	token, _ := r.Context().Value(sessionKey).(string)
	a.Hub.ServeOperator(w, r, op, auth.HashToken(token))
}
