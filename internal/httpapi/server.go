// Package httpapi is Portico's HTTP edge: the REST API under /api/v1, the WebSocket upgrades,
// and the embedded widget, console and demo pages. It validates input, maps domain errors to
// JSON errors in one place, and leaves every decision to the services.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/history"
	"github.com/portico/portico/internal/live"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/operators"
	"github.com/portico/portico/internal/portal"
	"github.com/portico/portico/internal/portalauth"
	"github.com/portico/portico/internal/rooms"
	"github.com/portico/portico/internal/routing"
	"github.com/portico/portico/internal/visitors"
)

// Store is what the handlers read directly, outside the services.
type Store interface {
	Ping(ctx context.Context) error
	AccountByID(ctx context.Context, id string) (*domain.Account, error)
	AccountOrigins(ctx context.Context, id string) ([]string, error)
	VisitorByID(ctx context.Context, id string) (*domain.Visitor, error)
	SamePerson(ctx context.Context, id string) ([]string, error)
	SetOperatorStatus(ctx context.Context, id string, status domain.OperatorStatus) error
}

// Deps are the parts the API is built from, wired by the composition root.
type Deps struct {
	Store         Store
	Auth          *auth.Service
	Conversations *conversations.Service
	Visitors      *visitors.Service
	Operators     *operators.Service
	Routing       *routing.Service
	Hub           *live.Hub
	Publisher     *live.Publisher
	Static        http.Handler // widget, console and demo pages; may be nil
	Metrics       http.Handler // Prometheus /metrics; may be nil
	// ObserveRequest, when set, is given the route, status and handler time of every request
	// but the WebSocket upgrades.
	ObserveRequest func(route string, status int, took time.Duration)
	Log            *slog.Logger
	SecureCookies  bool // set when the public URL is https
	Version        string
	// Mail holds categories and offline messages; MailConfigured says whether a mail server is set.
	Mail           *mail.Service
	MailConfigured bool
	// Participation transfers chats, invites colleagues and lets them leave.
	Participation *conversations.Participation
	Rooms         *rooms.Service      // colleague chat
	History       *history.Service    // chat history search and export
	PortalAuth    *portalauth.Service // sign-in through a portal's own accounts
	Portal        *portal.Service     // widget settings and locks, listing agents, backup operators
	Live          *visitors.Live      // the live visitor list, invitations, proactive rules, identity
	// ClientIPHeader names the header a reverse proxy puts the visitor's address in; empty: the
	// connection's own address.
	ClientIPHeader string
}

type api struct {
	Deps
	logins       *loginThrottle // failed sign-ins per client address
	proxyWarning sync.Once      // warnOfUnreadProxyHeader
}

// New returns the whole HTTP handler.
func New(d Deps) http.Handler {
	a := &api{Deps: d, logins: newLoginThrottle()}
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
	h = compressResponses(h)
	h = securityHeaders(h)
	h = logRequests(d.Log, d.ObserveRequest)(h)
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
		{"POST", "/api/v1/conversations/{id}/messages", http.HandlerFunc(a.operatorSend)},
		{"GET", "/api/v1/conversations/{id}/messages", a.operator(a.operatorMessages)},
		{"GET", "/api/v1/visitors", a.operator(a.listVisitors)},
		{"GET", "/api/v1/visitors/{id}", a.operator(a.getVisitor)},
		{"POST", "/api/v1/visitors/{id}/invite", a.operator(a.inviteVisitor)},
		{"GET", "/api/v1/invitations/stats", a.operator(a.invitationStats)},
		{"GET", "/api/v1/proactive-rules", a.operator(a.listProactiveRules)},
		{"POST", "/api/v1/proactive-rules", a.operator(a.createProactiveRule)},
		{"PATCH", "/api/v1/proactive-rules/{id}", a.operator(a.updateProactiveRule)},
		{"DELETE", "/api/v1/proactive-rules/{id}", a.operator(a.deleteProactiveRule)},
		{"GET", "/api/v1/ws", a.operator(a.operatorSocket)},

		{"POST", "/api/v1/conversations/{id}/transfer", a.operator(a.transferConversation)},
		{"GET", "/api/v1/conversations/{id}/transfers", a.operator(a.listTransfers)},
		{"POST", "/api/v1/conversations/{id}/invite", a.operator(a.inviteToConversation)},
		{"POST", "/api/v1/conversations/{id}/leave", a.operator(a.leaveConversation)},
		{"GET", "/api/v1/conversations/{id}/export", a.operator(a.exportConversation)},
		{"GET", "/api/v1/history", a.operator(a.searchHistory)},
		{"GET", "/api/v1/rooms", a.operator(a.listRooms)},
		{"POST", "/api/v1/rooms", a.operator(a.createRoom)},
		{"GET", "/api/v1/rooms/{id}", a.operator(a.getRoom)},
		{"GET", "/api/v1/rooms/{id}/messages", a.operator(a.roomMessages)},
		{"POST", "/api/v1/rooms/{id}/messages", a.operator(a.sendRoomMessage)},
		{"POST", "/api/v1/rooms/{id}/read", a.operator(a.markRoomRead)},
		{"POST", "/api/v1/rooms/{id}/members", a.operator(a.addRoomMember)},
		{"PATCH", "/api/v1/rooms/{id}/members/{operator_id}", a.operator(a.updateRoomMember)},
		{"DELETE", "/api/v1/rooms/{id}/members/{operator_id}", a.operator(a.removeRoomMember)},
		{"POST", "/api/v1/rooms/{id}/leave", a.operator(a.leaveRoom)},

		{"GET", "/api/v1/operators", a.operator(a.listOperators)},
		{"POST", "/api/v1/operators", a.operator(a.createOperator)},
		{"PATCH", "/api/v1/operators/{id}", a.operator(a.updateOperator)},
		{"DELETE", "/api/v1/operators/{id}", a.operator(a.deleteOperator)},
		{"GET", "/api/v1/usage", a.operator(a.usage)},
		{"POST", "/api/v1/me/photo", a.operator(a.uploadPhoto)},
		{"DELETE", "/api/v1/me/photo", a.operator(a.deletePhoto)},
		{"GET", "/api/v1/photos/{id}", h(a.servePhoto)},
		{"GET", "/api/v1/canned-responses", a.operator(a.listCanned)},
		{"POST", "/api/v1/canned-responses", a.operator(a.createCanned)},
		{"PATCH", "/api/v1/canned-responses/{id}", a.operator(a.updateCanned)},
		{"DELETE", "/api/v1/canned-responses/{id}", a.operator(a.deleteCanned)},
		{"GET", "/api/v1/routing-rules", a.operator(a.listRoutingRules)},
		{"POST", "/api/v1/routing-rules", a.operator(a.createRoutingRule)},
		{"PATCH", "/api/v1/routing-rules/{id}", a.operator(a.updateRoutingRule)},
		{"DELETE", "/api/v1/routing-rules/{id}", a.operator(a.deleteRoutingRule)},

		{"OPTIONS", "/api/v1/widget/", h(a.widgetPreflight)},
		{"POST", "/api/v1/widget/visits", a.widgetCORS(h(a.widgetVisit))},
		{"POST", "/api/v1/widget/conversations", a.visitor(a.widgetStart)},
		{"GET", "/api/v1/widget/conversations", a.visitor(a.widgetConversations)},
		{"POST", "/api/v1/widget/conversations/{id}/messages", a.visitorByID(a.widgetSend)},
		{"GET", "/api/v1/widget/conversations/{id}/messages", a.visitorIn(a.widgetMessages)},
		{"POST", "/api/v1/widget/offline-messages", a.visitor(a.widgetOfflineMessage)},
		{"POST", "/api/v1/widget/identify", a.visitor(a.widgetIdentify)},
		{"POST", "/api/v1/widget/invitations", a.visitor(a.widgetShowProactive)},
		{"POST", "/api/v1/widget/invitations/{id}/accept", a.visitor(a.widgetAcceptInvitation)},
		{"POST", "/api/v1/widget/invitations/{id}/decline", a.visitor(a.widgetDeclineInvitation)},
		{"GET", "/api/v1/widget/ws", h(a.visitorSocket)},

		{"GET", "/api/v1/system", a.operator(a.system)},
		{"GET", "/api/v1/categories", a.operator(a.listCategories)},
		{"POST", "/api/v1/categories", a.operator(a.createCategory)},
		{"PATCH", "/api/v1/categories/{id}", a.operator(a.updateCategory)},
		{"DELETE", "/api/v1/categories/{id}", a.operator(a.deleteCategory)},
		{"GET", "/api/v1/offline-messages", a.operator(a.listOfflineMessages)},
		{"GET", "/api/v1/offline-messages/recipients", a.operator(a.getOfflineRecipients)},
		{"PUT", "/api/v1/offline-messages/recipients", a.operator(a.setOfflineRecipients)},
		{"POST", "/api/v1/widget/conversations/{id}/transcript", a.visitor(a.widgetTranscript)},

		{"POST", "/api/v1/auth/token", h(a.portalTokenLogin)},
		{"GET", "/api/v1/portal/{key}/login-info", h(a.portalLoginInfo)},
		{"GET", "/api/v1/portal/external-auth", a.operator(a.getExternalAuth)},
		{"PUT", "/api/v1/portal/external-auth", a.operator(a.putExternalAuth)},
		{"GET", "/api/v1/portal/external-auth/health", a.operator(a.externalAuthHealth)},

		{"GET", "/api/v1/settings", a.operator(a.getSettings)},
		{"PATCH", "/api/v1/settings", a.operator(a.patchSettings)},
		{"GET", "/api/v1/listings", a.operator(a.listListings)},
		{"PUT", "/api/v1/listings/{listing_id}/operators", a.operator(a.setListingOperators)},
		{"GET", "/api/v1/portal/backup", a.operator(a.getPortalBackup)},
		{"PUT", "/api/v1/portal/backup", a.operator(a.putPortalBackup)},
		{"GET", "/api/v1/portal/advertisers", a.operator(a.listAdvertisers)},
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
