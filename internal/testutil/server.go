package testutil

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/app"
	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// Server is the whole Portico HTTP surface on a loopback port, over a real store.
type Server struct {
	t     testing.TB
	URL   string
	App   *app.App
	Store store.Store
	http  *httptest.Server

	stop      func()
	closeOnce sync.Once
}

type serverOptions struct {
	store   store.Store
	demo    bool
	natsURL string
	smtpURL string
	mail    func(*mail.Worker)
	config  []func(*config.Config)
}

type Option func(*serverOptions)

// WithStore runs the server on the given store instead of a fresh SQLite one.
func WithStore(s store.Store) Option { return func(o *serverOptions) { o.store = s } }

// WithNATS connects the node to a NATS server, as one of several nodes.
func WithNATS(url string) Option { return func(o *serverOptions) { o.natsURL = url } }

// WithConfig changes the node's configuration before it starts.
func WithConfig(change func(*config.Config)) Option {
	return func(o *serverOptions) { o.config = append(o.config, change) }
}

// WithDemo serves the demo pages at /demo/ (the caller seeds the demo data).
func WithDemo() Option { return func(o *serverOptions) { o.demo = true } }

func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var o serverOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.store == nil {
		o.store = OpenSQLite(t)
	}
	logs := &testWriter{t: t}
	// Registered first, so it runs last: a socket's goroutine that outlives the test (hijacked
	// connections are not waited for) must not write to a finished test's log.
	t.Cleanup(logs.finish)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	cfg := &config.Config{Addr: srv.Listener.Addr().String(), PublicURL: base, NATS: config.NATS{URL: o.natsURL}, SMTPURL: o.smtpURL, ShutdownTimeout: 5 * time.Second}
	for _, change := range o.config {
		change(cfg)
	}
	a, err := app.New(cfg, o.store, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() {
		defer close(hubDone)
		a.Hub.Run(ctx)
	}()
	if o.mail != nil {
		o.mail(a.MailWorker)
	}
	mailDone := make(chan struct{})
	go func() {
		defer close(mailDone)
		a.MailWorker.Run(ctx)
	}()
	var demoPages http.Handler
	if o.demo {
		demoPages = demo.Pages(base)
	}
	srv.Config.Handler = a.Handler(demoPages)
	srv.Start()
	s := &Server{t: t, URL: base, App: a, Store: o.store, http: srv}
	s.stop = func() {
		stop()
		<-hubDone
		<-mailDone
		a.Bus.Close()
	}
	t.Cleanup(s.Close)
	return s
}

// Close shuts the server down the way a node does on SIGTERM. It may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.App.Hub.Shutdown(ctx)
		s.http.Close()
		s.stop()
	})
}

// testWriter sends server logs to the test's log, so they show only for failing tests.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) finish() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// Account creates an account directly in the store.
func (s *Server) Account(kind domain.AccountKind, parent *domain.Account, externalID string) *domain.Account {
	s.t.Helper()
	a := &domain.Account{ID: domain.NewID(), Kind: kind, Name: "Test " + string(kind) + " " + domain.NewSecret(3),
		Key: "k_" + domain.NewSecret(10), ExternalID: externalID, CreatedAt: time.Now().UTC()}
	if parent != nil {
		a.ParentID = parent.ID
	}
	if err := s.Store.CreateAccount(context.Background(), a); err != nil {
		s.t.Fatal(err)
	}
	return a
}

// Operator creates an operator with a known password and signs them in through the API.
func (s *Server) Operator(acc *domain.Account, role domain.Role) (*domain.Operator, string) {
	s.t.Helper()
	password := "secret-" + domain.NewSecret(6)
	hash, err := auth.HashPassword(password)
	if err != nil {
		s.t.Fatal(err)
	}
	op := &domain.Operator{ID: domain.NewID(), AccountID: acc.ID, Email: strings.ToLower(domain.NewSecret(6)) + "@ops.example",
		Name: "Operator " + domain.NewSecret(3), Role: role, Status: domain.StatusOffline, PasswordHash: hash, CreatedAt: time.Now().UTC()}
	if err := s.Store.CreateOperator(context.Background(), op); err != nil {
		s.t.Fatal(err)
	}
	res := s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": op.Email, "password": password})
	res.Want(s.t, http.StatusOK)
	return op, res.String("token")
}

// Visitor opens a page of the account in a "browser": it returns the visitor token and id.
func (s *Server) Visitor(acc *domain.Account, pageURL string) (token, id string) {
	s.t.Helper()
	res := s.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": acc.Key, "page": map[string]string{"url": pageURL, "title": "Page"}})
	res.Want(s.t, http.StatusOK)
	return res.String("visitor_token"), res.String("visitor_id")
}

// StartChat opens a conversation as a visitor and returns its id.
func (s *Server) StartChat(visitorToken, body string) string {
	s.t.Helper()
	res := s.Do("POST", "/api/v1/widget/conversations", visitorToken, map[string]any{"message": map[string]string{"body": body, "client_msg_id": "start-" + domain.NewSecret(4)}})
	res.Want(s.t, http.StatusCreated)
	return res.Path("conversation", "id").(string)
}

// Response is a decoded JSON answer.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

// Do sends a JSON request with an optional bearer token. body may be a string (sent as is),
// nil, or anything to encode as JSON.
func (s *Server) Do(method, path, token string, body any) *Response {
	s.t.Helper()
	return DoHeaders(s.t, method, s.URL+path, token, body, nil)
}

func DoHeaders(t testing.TB, method, url, token string, body any, headers map[string]string) *Response {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %v\n%s", method, url, err, raw)
		}
	}
	return out
}

// Want fails the test unless the status is the expected one.
func (r *Response) Want(t testing.TB, status int) *Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Raw)
	}
	return r
}

// WantError fails the test unless the answer is the documented error with this status and code.
func (r *Response) WantError(t testing.TB, status int, code string) *Response {
	t.Helper()
	r.Want(t, status)
	if got := r.Path("error", "code"); got != code {
		t.Fatalf("error code %v, want %q; body: %s", got, code, r.Raw)
	}
	if msg, _ := r.Path("error", "message").(string); msg == "" {
		t.Fatalf("error without a message: %s", r.Raw)
	}
	return r
}

// Path walks nested JSON objects: r.Path("conversation", "owner", "name").
func (r *Response) Path(keys ...string) any {
	var cur any = r.Body
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func (r *Response) String(keys ...string) string {
	s, _ := r.Path(keys...).(string)
	return s
}

// List returns the JSON array at the path.
func (r *Response) List(keys ...string) []any {
	l, _ := r.Path(keys...).([]any)
	return l
}
