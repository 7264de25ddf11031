// Package app is Portico's composition root: it wires configuration, store, bus, services and
// the HTTP edge together, and owns every long-running goroutine until shutdown.
package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/bus/nats"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/conversations"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/history"
	"github.com/portico/portico/internal/httpapi"
	"github.com/portico/portico/internal/live"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/metrics"
	"github.com/portico/portico/internal/operators"
	"github.com/portico/portico/internal/portal"
	"github.com/portico/portico/internal/portalauth"
	"github.com/portico/portico/internal/rawsock"
	"github.com/portico/portico/internal/rooms"
	"github.com/portico/portico/internal/routing"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/postgres"
	"github.com/portico/portico/internal/store/sqlite"
	"github.com/portico/portico/internal/store/sqlstore"
	"github.com/portico/portico/internal/visitors"
	"github.com/portico/portico/internal/visitors/enrich"
	"github.com/portico/portico/web"
)

// Version is set at build time with -ldflags "-X github.com/portico/portico/internal/app.Version=…".
var Version = "dev"

type App struct {
	Config        *config.Config
	Log           *slog.Logger
	Store         store.Store
	Bus           bus.Bus
	Hub           *live.Hub
	Auth          *auth.Service
	Conversations *conversations.Service
	Visitors      *visitors.Service
	Operators     *operators.Service
	Routing       *routing.Service
	Publisher     *live.Publisher
	Metrics       *metrics.Metrics
	// MailWorker sends the outbox; Mail holds categories and offline messages.
	MailWorker *mail.Worker
	Mail       *mail.Service
	// Participation, Rooms and History are working together: transfers and invitations,
	// colleague chat, and the searchable chat history.
	Participation *conversations.Participation
	Rooms         *rooms.Service
	History       *history.Service
	// Live is the console's visitor list, invitations and proactive rules.
	Live *visitors.Live
	// PortalAuth signs portals' operators in through the portals' own servers.
	PortalAuth *portalauth.Service
	// Portal holds widget settings and locks, listing agents and backup operators.
	Portal *portal.Service
}

// OpenStore opens the configured database and brings its schema up to date.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	var s *sqlstore.Store
	var err error
	if cfg.DatabaseURL != "" {
		s, err = postgres.Open(ctx, cfg.DatabaseURL, cfg.DatabasePool)
	} else {
		s, err = sqlite.Open(ctx, cfg.Data)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return s, nil
}

// New builds an App on an open store.
func New(cfg *config.Config, s store.Store, log *slog.Logger) (*App, error) {
	node := nodeName()
	mailWorker, mailService, err := newMail(cfg, s, log)
	if err != nil {
		return nil, err
	}
	var b bus.Bus = bus.NewMemory()
	m := metrics.New()
	if cfg.NATS.URL != "" {
		nb, err := nats.Connect(cfg.NATS, node, log)
		if err != nil {
			return nil, err
		}
		b = nb
		m.Gauge("portico_bus_connected", "1 while this node reaches the other nodes over NATS, else 0.", nil,
			func() float64 {
				if nb.Connected() {
					return 1
				}
				return 0
			})
	}
	if timed, ok := s.(interface {
		Observe(func(kind string, start time.Time))
	}); ok {
		timed.Observe(m.ObserveDB)
	}
	if pooled, ok := s.(interface{ Pools() map[string]*sql.DB }); ok {
		for name, db := range pooled.Pools() {
			m.DBPool(name, db)
		}
	}
	pub := live.NewPublisher(b, s, log)
	convs := conversations.NewService(s, pub, log)
	convs.Metrics = m
	hub := live.NewHub(b, pub, convs, s, log, node)
	hub.Metrics = m
	hub.AnswerError = httpapi.ErrorAnswer
	convs.MailQueued = mailWorker.Wake
	outboxDepth(m, s)
	team := operators.NewService(s, hub, pub, log)
	router := routing.NewService(s, log)
	convs.Router, convs.Activity = router, team
	m.Gauge("portico_connections", "Open WebSocket connections on this node.", prometheus.Labels{"kind": "operator"},
		func() float64 { ops, _ := hub.ConnectionCounts(); return float64(ops) })
	m.Gauge("portico_connections", "Open WebSocket connections on this node.", prometheus.Labels{"kind": "visitor"},
		func() float64 { _, visitors := hub.ConnectionCounts(); return float64(visitors) })
	authService := auth.NewService(s)
	portalAuth := portalauth.NewService(s, authService, portalauth.NewClient(cfg.Dev), log)
	portalAuth.MailQueued = mailWorker.Wake
	portalService := portal.NewService(s, hub)
	convs.Portal = portalService
	visitorService := visitors.NewService(s, hub, log)
	visitorService.Backup = hub
	hub.Backup = portalService
	if visitorService.Geo, err = openGeoIP(cfg.GeoIPDB); err != nil {
		return nil, err
	}
	visitorService.AnonymizeIP, visitorService.RespectDNT = cfg.AnonymizeIP, cfg.RespectDNT
	liveVisitors := visitors.NewLive(s, hub, pub, convs, log)
	visitorService.Live = liveVisitors
	convs.Identity = liveVisitors
	hub.VisitorEvents = liveVisitors
	if cfg.VisitorLeaveAfter > 0 {
		hub.LeaveAfter = cfg.VisitorLeaveAfter
	}
	pub.ConversationHook = func(ctx context.Context, c *domain.Conversation) { liveVisitors.Refresh(ctx, c.VisitorID) }
	return &App{
		PortalAuth:    portalAuth,
		Config:        cfg,
		Log:           log,
		Store:         s,
		Bus:           b,
		Hub:           hub,
		Auth:          authService,
		Conversations: convs,
		Visitors:      visitorService,
		Portal:        portalService,
		Operators:     team,
		Routing:       router,
		Publisher:     pub,
		Metrics:       m,
		MailWorker:    mailWorker,
		Mail:          mailService,
		Participation: conversations.NewParticipation(convs, s, pub),
		Rooms:         rooms.NewService(s, pub, log),
		History:       history.NewService(s, convs),
		Live:          liveVisitors,
	}, nil
}

// openGeoIP opens the visitors' location database, if one is configured.
func openGeoIP(path string) (*enrich.GeoIP, error) {
	if path == "" {
		return nil, nil
	}
	g, err := enrich.OpenGeoIP(path)
	if err != nil {
		return nil, fmt.Errorf("--geoip-db: %w", err)
	}
	return g, nil
}

// Handler is the whole HTTP surface; demo pages are served when demo is not nil.
func (a *App) Handler(demo http.Handler) http.Handler {
	return httpapi.New(httpapi.Deps{
		Store:          a.Store,
		Auth:           a.Auth,
		Conversations:  a.Conversations,
		Visitors:       a.Visitors,
		Operators:      a.Operators,
		Routing:        a.Routing,
		Hub:            a.Hub,
		Publisher:      a.Publisher,
		Static:         httpapi.Static(web.Dist(), demo),
		Metrics:        a.Metrics.Handler(),
		ObserveRequest: a.Metrics.ObserveRequest,
		Log:            a.Log,
		SecureCookies:  strings.HasPrefix(a.Config.PublicURL, "https://"),
		Version:        Version,
		Mail:           a.Mail,
		MailConfigured: a.MailWorker.Configured(),
		Participation:  a.Participation,
		Rooms:          a.Rooms,
		History:        a.History,
		PortalAuth:     a.PortalAuth,
		Portal:         a.Portal,
		Live:           a.Live,
		ClientIPHeader: a.Config.ClientIPHeader,
	})
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down within the configured time:
// it stops accepting, tells live clients to reconnect elsewhere and lets requests finish.
func (a *App) Serve(ctx context.Context, ln net.Listener, handler http.Handler) error {
	silent := &silentConns{since: map[net.Conn]time.Time{}}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		ConnState:         silent.track,
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.Hub.Run(gctx) })
	g.Go(func() error { return a.MailWorker.Run(gctx) })
	g.Go(func() error { return visitors.PrunePageViews(gctx, a.Store, a.Config.PageViewRetention, a.Log) })
	g.Go(func() error {
		if err := srv.Serve(rawsock.Listen(ln)); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
		defer cancel()
		a.Log.Info("shutting down", "deadline", a.Config.ShutdownTimeout)
		a.Hub.Shutdown(sctx)
		// The other nodes' consoles hear at once that this node's visitors went offline.
		a.Publisher.Flush(sctx)
		stop := silent.closeDuringShutdown(min(5*time.Second, a.Config.ShutdownTimeout/2))
		defer stop()
		return srv.Shutdown(sctx)
	})
	return g.Wait()
}

// silentConns are the connections on which no request has begun: a browser's preconnect, an
// HTTP client's spare dial. http.Server.Shutdown waits up to 5 s for such a connection, in case
// a request is on its way, so with a shutdown deadline of 5 s or less one of them failed the
// shutdown.
type silentConns struct {
	mu    sync.Mutex
	since map[net.Conn]time.Time
}

func (s *silentConns) track(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state == http.StateNew {
		s.since[c] = time.Now()
	} else {
		delete(s.since, c)
	}
}

// closeDuringShutdown closes, until stop is called, each silent connection once it has been
// open for grace: a request that has not begun by then is not worth holding the shutdown for.
func (s *silentConns) closeDuringShutdown(grace time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(max(grace/10, time.Millisecond))
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				s.mu.Lock()
				for c, since := range s.since {
					if now.Sub(since) >= grace {
						c.Close()
						delete(s.since, c)
					}
				}
				s.mu.Unlock()
			}
		}
	}()
	return func() { close(done) }
}

// nodeName tells this process apart from the other nodes on the bus.
func nodeName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), domain.NewSecret(4))
}

func (a *App) Close() error {
	return errors.Join(a.Bus.Close(), a.Store.Close(), a.Visitors.Geo.Close())
}
