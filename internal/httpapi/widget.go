package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/visitors"
)

// The widget runs on the customer's pages, so its requests are cross-origin. A preflight is
// answered for any origin (it carries no credentials); the real request is then checked against
// the account's allowed origins, and only an allowed origin can read the answer.
func (a *api) widgetPreflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

func allowCORS(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Add("Vary", "Origin")
	}
}

// originAllowed checks the page's origin against the account's list. An account with no list
// accepts any origin; a request without an Origin header is not from a browser page.
func originAllowed(allowedOrigins []string, origin string) bool {
	if origin == "" || len(allowedOrigins) == 0 {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	page := u.Scheme + "://" + u.Host
	return slices.ContainsFunc(allowedOrigins, func(allowed string) bool {
		return strings.EqualFold(strings.TrimSuffix(allowed, "/"), page)
	})
}

func writeOriginRefused(w http.ResponseWriter) {
	writeErrorCode(w, http.StatusForbidden, "origin_not_allowed", "this website is not on the account's list of allowed origins")
}

func (a *api) widgetCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allowCORS(w, r)
		next.ServeHTTP(w, r)
	})
}

type visitorHandler func(w http.ResponseWriter, r *http.Request, v *domain.Visitor)

// visitor authenticates a widget request by its visitor token and checks its origin.
func (a *api) visitor(h visitorHandler) http.Handler {
	return a.visitorAs(a.Visitors.Authenticate, h)
}

// visitorByID is visitor for a handler that needs only the visitor's ID and AccountID: the
// token is then mostly resolved without a read (visitors.Service.AuthenticateID).
func (a *api) visitorByID(h visitorHandler) http.Handler {
	return a.visitorAs(a.Visitors.AuthenticateID, h)
}

type visitorAuthenticator func(ctx context.Context, token string) (*domain.Visitor, error)

func (a *api) visitorAs(authenticate visitorAuthenticator, h visitorHandler) http.Handler {
	return a.widgetCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := a.authenticateVisitor(w, r, authenticate, bearerToken(r))
		if !ok {
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), visitorKey, v)), v)
	}))
}

type visitorInHandler func(w http.ResponseWriter, r *http.Request, v *domain.Visitor, c *domain.Conversation)

// visitorIn is visitor for a request about the conversation of the path's {id}, whose access
// it reads with the visitor: c is nil when there is no such conversation, and whether it is the
// visitor's is for the handler to check.
func (a *api) visitorIn(h visitorInHandler) http.Handler {
	return a.widgetCORS(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, c, err := a.Visitors.AuthenticateIn(r.Context(), bearerToken(r), r.PathValue("id"))
		if err != nil {
			writeError(w, r, a.Log, err)
			return
		}
		if !a.visitorOriginAllowed(w, r, v) {
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), visitorKey, v)), v, c)
	}))
}

func (a *api) authenticateVisitor(w http.ResponseWriter, r *http.Request, authenticate visitorAuthenticator, token string) (*domain.Visitor, bool) {
	v, err := authenticate(r.Context(), token)
	if err != nil {
		writeError(w, r, a.Log, err)
		return nil, false
	}
	return v, a.visitorOriginAllowed(w, r, v)
}

// visitorOriginAllowed checks that the request comes from a page of the visitor's account, and
// answers it when not.
func (a *api) visitorOriginAllowed(w http.ResponseWriter, r *http.Request, v *domain.Visitor) bool {
	origins, err := a.Store.AccountOrigins(r.Context(), v.AccountID)
	if err != nil {
		writeError(w, r, a.Log, err)
		return false
	}
	if !originAllowed(origins, r.Header.Get("Origin")) {
		writeOriginRefused(w)
		return false
	}
	return true
}

type visitRequest struct {
	Account      string       `json:"account"`
	VisitorToken string       `json:"visitor_token"`
	Page         pageJSON     `json:"page"`
	Advertiser   string       `json:"advertiser"`
	Listing      *listingJSON `json:"listing"`
}

type pageJSON struct {
	URL      string `json:"url"`
	Title    string `json:"title"`
	Referrer string `json:"referrer"`
}

type listingJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

func (l *listingJSON) domain() *domain.Listing {
	if l == nil {
		return nil
	}
	return &domain.Listing{ExternalID: l.ID, Title: l.Title, URL: l.URL}
}

func (a *api) widgetVisit(w http.ResponseWriter, r *http.Request) {
	var req visitRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	acc, err := a.Visitors.Account(r.Context(), req.Account)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if !originAllowed(acc.AllowedOrigins, r.Header.Get("Origin")) {
		writeOriginRefused(w)
		return
	}
	res, err := a.Visitors.Visit(r.Context(), visitors.VisitInput{
		AccountKey:   req.Account,
		VisitorToken: req.VisitorToken,
		Page:         visitors.Page{URL: req.Page.URL, Title: req.Page.Title, Referrer: req.Page.Referrer},
		Advertiser:   req.Advertiser,
		Listing:      req.Listing.domain(),
		UserAgent:    r.UserAgent(),
		Language:     r.Header.Get("Accept-Language"),
		ClientIP:     a.clientIP(r),
		DoNotTrack:   r.Header.Get("DNT") == "1" || r.Header.Get("Sec-GPC") == "1",
	})
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"visitor_token": res.VisitorToken,
		"visitor_id":    res.Visitor.ID,
		"online":        res.Online,
		"settings":      res.Settings,
		"proactive":     res.Proactive,
		"invitation":    res.Invitation,
	})
}

type startRequest struct {
	Advertiser string       `json:"advertiser"`
	Listing    *listingJSON `json:"listing"`
	Name       string       `json:"name"`
	Email      string       `json:"email"`
	Message    sendRequest  `json:"message"`
}

func (a *api) widgetStart(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	var req startRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	c, m, created, err := a.Conversations.Start(r.Context(), v, conversations.StartInput{
		Advertiser: req.Advertiser, Listing: req.Listing.domain(),
		Name: req.Name, Email: req.Email,
		Body: req.Message.Body, ClientMsgID: req.Message.ClientMsgID,
	})
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{"conversation": c, "message": m})
}

func (a *api) widgetConversations(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	list, err := a.Conversations.VisitorConversations(r.Context(), v)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": nonNilConversations(list)})
}

func (a *api) widgetSend(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	var req sendRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	m, created, err := a.Conversations.VisitorSend(r.Context(), v, r.PathValue("id"), req.Body, req.ClientMsgID)
	writeSent(w, r, a, m, created, err)
}

func (a *api) widgetMessages(w http.ResponseWriter, r *http.Request, v *domain.Visitor, c *domain.Conversation) {
	after, err := afterParam(r)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	list, err := a.Conversations.VisitorMessages(r.Context(), v, c, after)
	writeMessages(w, r, a, list, err)
}

type offlineRequest struct {
	Name       string `json:"name"`
	Email      string `json:"email"`
	Body       string `json:"body"`
	Advertiser string `json:"advertiser"`
}

// widgetOfflineMessage stores what a visitor leaves when nobody is online and, in the same
// transaction, queues it by e-mail to the account's chosen recipients (or its admins).
func (a *api) widgetOfflineMessage(w http.ResponseWriter, r *http.Request, v *domain.Visitor) {
	var req offlineRequest
	if err := decode(w, r, &req); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	body, err := conversations.CleanBody(req.Body)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	name, email, err := conversations.CleanIdentity(req.Name, req.Email)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	if email == "" {
		writeError(w, r, a.Log, domain.Invalid("invalid_field", "email", "an e-mail address is needed so that we can answer"))
		return
	}
	accountID, err := a.Conversations.AnsweringAccount(r.Context(), v, req.Advertiser)
	if err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	m := &domain.OfflineMessage{ID: domain.NewID(), AccountID: accountID, VisitorID: v.ID, Name: name, Email: email, Body: body, CreatedAt: a.now()}
	if err := a.Mail.LeaveOfflineMessage(r.Context(), m); err != nil {
		writeError(w, r, a.Log, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"offline_message": map[string]string{"id": m.ID}})
}

func (a *api) visitorSocket(w http.ResponseWriter, r *http.Request) {
	// Browsers cannot set headers on a WebSocket, so the page passes its token in the URL;
	// other clients may use the Authorization header.
	token := r.URL.Query().Get("token")
	if token == "" {
		token = bearerToken(r)
	}
	v, ok := a.authenticateVisitor(w, r, a.Visitors.AuthenticateID, token)
	if !ok {
		return
	}
	a.Hub.ServeVisitor(w, r, v)
}

// clientIP is the visitor's address: the connection's, or behind a proxy the one it reports.
// Of a list (X-Forwarded-For) the last entry is the one the proxy itself added; earlier ones
// come from the client and could be anything.
func (a *api) clientIP(r *http.Request) string {
	if a.ClientIPHeader != "" {
		if v := r.Header.Values(a.ClientIPHeader); len(v) > 0 {
			list := strings.Split(v[len(v)-1], ",")
			return strings.TrimSpace(list[len(list)-1])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
