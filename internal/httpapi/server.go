// Package httpapi is Portico's HTTP edge: the REST API under /api/v1, the WebSocket upgrades,
// and the embedded widget, console and demo pages. It validates input, maps domain errors to
// JSON errors in one place, and leaves every decision to the services.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live"
	"github.com/portico/portico/internal/visitors"
)

// Store is what the handlers read directly, outside the services.
type Store interface {
	Ping(ctx context.Context) error
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	VisitorByID(ctx context.Context, id string) (*domain.Visitor, error)
	PagesOfLatestVisit(ctx context.Context, visitorID string, limit int) ([]domain.PageView, error)
	SetOperatorStatus(ctx context.Context, id string, status domain.OperatorStatus) error
	CreateOfflineMessage(ctx context.Context, m *domain.OfflineMessage) error
}

// Deps are the parts the API is built from, wired by the composition root.
type Deps struct {
	Store         Store
	Auth          *auth.Service
	Conversations *conversations.Service
	Visitors      *visitors.Service
	Hub           *live.Hub
	Publisher     *live.Publisher
	Static        http.Handler // widget, console and demo pages; may be nil
	Metrics       http.Handler // Prometheus /metrics; may be nil
	Log           *slog.Logger
	SecureCookies bool // set when the public URL is https
	Version       string
}

type api struct {
	Deps
}

// New returns the whole HTTP handler.
func New(d Deps) http.Handler {
	a := &api{Deps: d}
	mux := http.NewServeMux()

	for _, rt := range a.routes() {
		mux.Handle(rt.pattern(), rt.handler)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErrorCode(w, http.StatusNotFound, "not_found", "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics)
	}
	if d.Static != nil {
		mux.Handle("/", d.Static)
	}

	var h http.Handler = mux
	h = securityHeaders(h)
	h = logRequests(d.Log)(h)
	h = recoverPanics(d.Log)(h)
	return h
}

// route is one endpoint. The table is the single list of what the API serves, so the OpenAPI
// test can hold the document to it.
type route struct {
	method, path string
	handler      http.Handler
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

func (a *api) routes() []route {
	h := func(f http.HandlerFunc) http.Handler { return f }
	return []route{
		{"GET", "/healthz", h(a.healthz)},
		{"GET", "/readyz", h(a.readyz)},
		{"GET", "/api/v1/openapi.json", h(serveOpenAPI)},

		{"POST", "/api/v1/auth/login", h(a.login)},
		{"POST", "/api/v1/auth/logout", a.operator(a.logout)},
		{"GET", "/api/v1/me", a.operator(a.me)},
		{"PATCH", "/api/v1/me", a.operator(a.updateMe)},

		{"GET", "/api/v1/conversations", a.operator(a.listConversations)},
		{"GET", "/api/v1/conversations/{id}", a.operator(a.getConversation)},
		{"POST", "/api/v1/conversations/{id}/claim", a.operator(a.claimConversation)},
		{"POST", "/api/v1/conversations/{id}/close", a.operator(a.closeConversation)},
		{"POST", "/api/v1/conversations/{id}/messages", a.operator(a.operatorSend)},
		{"GET", "/api/v1/conversations/{id}/messages", a.operator(a.operatorMessages)},
		{"GET", "/api/v1/visitors/{id}", a.operator(a.getVisitor)},
		{"GET", "/api/v1/ws", a.operator(a.operatorSocket)},

		{"OPTIONS", "/api/v1/widget/", h(a.widgetPreflight)},
		{"POST", "/api/v1/widget/visits", a.widgetCORS(h(a.widgetVisit))},
		{"POST", "/api/v1/widget/conversations", a.visitor(a.widgetStart)},
		{"GET", "/api/v1/widget/conversations", a.visitor(a.widgetConversations)},
		{"POST", "/api/v1/widget/conversations/{id}/messages", a.visitor(a.widgetSend)},
		{"GET", "/api/v1/widget/conversations/{id}/messages", a.visitor(a.widgetMessages)},
		{"POST", "/api/v1/widget/offline-messages", a.visitor(a.widgetOfflineMessage)},
		{"GET", "/api/v1/widget/ws", h(a.visitorSocket)},
	}
}

func (a *api) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": a.Version})
}

func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	if err := a.Store.Ping(r.Context()); err != nil {
		a.Log.Warn("not ready", "err", err)
		writeErrorCode(w, http.StatusServiceUnavailable, "not_ready", "the database does not answer")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (a *api) now() time.Time { return time.Now().UTC() }
