package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/portalauth"
	"github.com/portico/portico/internal/testutil"
	"github.com/portico/portico/pkg/portalauth/portalserver"
)

// portalEnv is a Portico server, a portal on it, and the portal's authentication server (the
// example implementation) behind TLS that Portico's client trusts.
type portalEnv struct {
	srv    *testutil.Server
	smtp   *testutil.SMTPServer
	portal *domain.Account
	admin  string // the portal admin's token
	ps     *portalserver.Server
	ts     *httptest.Server
}

func portalUsers() []portalserver.User {
	return []portalserver.User{
		{Username: "anna", Password: "anna-pass", Account: "estate-1", Email: "anna@estate-1.example", Image: "https://portal.example/anna.jpg", IsMaster: true},
		{Username: "ben", Password: "ben-pass", Account: "estate-1"},
		{Username: "dan", Password: "dan-pass", Account: "cars-7", Suspended: true},
	}
}

func newPortalEnv(t *testing.T) *portalEnv {
	t.Helper()
	smtpSrv := testutil.NewSMTPServer(t)
	srv := testutil.NewServer(t, testutil.WithSMTP(smtpSrv.URL()), testutil.WithMailWorker(testutil.FastMail))
	e := &portalEnv{srv: srv, smtp: smtpSrv}
	e.portal = srv.Account(domain.KindPortal, nil, "")
	_, e.admin = srv.Operator(e.portal, domain.RoleAdmin)
	e.ps = portalserver.New("the-access-key", portalUsers()...)
	e.ps.Remediation = []portalserver.Option{{Name: "Forgot your password?", URL: "https://portal.example/password"}}
	e.ts = httptest.NewTLSServer(e.ps)
	t.Cleanup(e.ts.Close)
	srv.App.PortalAuth.Client.HTTP = e.ts.Client()
	e.configure(t, e.ts.URL+"/portico-auth", "the-access-key")
	return e
}

func (e *portalEnv) configure(t *testing.T, url, key string) {
	t.Helper()
	e.srv.Do("PUT", "/api/v1/portal/external-auth", e.admin, map[string]any{
		"enabled": true, "url": url, "access_key": key, "admin_email": "portal-admin@portal.example",
	}).Want(t, http.StatusOK)
}

func (e *portalEnv) login(username, password string) *testutil.Response {
	return e.srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"portal": e.portal.Key, "username": username, "password": password})
}

func (e *portalEnv) health(t *testing.T) []any {
	t.Helper()
	return e.srv.Do("GET", "/api/v1/portal/external-auth/health", e.admin, nil).Want(t, http.StatusOK).List("problems")
}

func TestPortalLoginCreatesAdvertiserAndOperator(t *testing.T) {
	e := newPortalEnv(t)
	ctx := context.Background()
	res := e.login("anna", "anna-pass").Want(t, http.StatusOK)
	if res.String("operator", "role") != "admin" {
		t.Fatalf("isMaster gave role %q, want admin", res.String("operator", "role"))
	}
	if res.String("operator", "photo_url") != "https://portal.example/anna.jpg" || res.String("operator", "transcript_email") != "anna@estate-1.example" ||
		res.String("operator", "email") != "anna@estate-1.example" {
		t.Fatalf("operator not taken from the answer: %s", res.Raw)
	}
	if res.Path("remember_me_available") != false {
		t.Fatalf("remember me offered by a portal that issues no tokens")
	}
	adv, err := e.srv.Store.AdvertiserByExternalID(ctx, e.portal.ID, "estate-1")
	if err != nil {
		t.Fatalf("advertiser not created: %v", err)
	}
	if adv.Name != "estate-1" || adv.Kind != domain.KindAdvertiser || res.String("operator", "account_id") != adv.ID {
		t.Fatalf("advertiser %+v, operator account %s", adv, res.String("operator", "account_id"))
	}
	first := res.String("operator", "id")
	e.srv.Do("GET", "/api/v1/me", res.String("token"), nil).Want(t, http.StatusOK)

	again := e.login("anna", "anna-pass").Want(t, http.StatusOK)
	if again.String("operator", "id") != first || again.String("operator", "account_id") != adv.ID {
		t.Fatalf("a second login made a new operator or advertiser")
	}
	ben := e.login("ben", "ben-pass").Want(t, http.StatusOK)
	if ben.String("operator", "role") != "agent" || ben.String("operator", "account_id") != adv.ID || ben.String("operator", "id") == first {
		t.Fatalf("ben: %s", ben.Raw)
	}
	ops, _ := e.srv.Store.ListOperators(ctx, adv.ID)
	if len(ops) != 2 {
		t.Fatalf("%d operators on the advertiser, want 2", len(ops))
	}
	// The portal's user is not an e-mail login: the password is the portal's, and never Portico's.
	e.srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": "anna@estate-1.example", "password": "anna-pass"}).
		WantError(t, http.StatusUnauthorized, "wrong_credentials")
}

func TestPortalLoginIsMasterChangesFollowThePortal(t *testing.T) {
	e := newPortalEnv(t)
	e.login("ben", "ben-pass").Want(t, http.StatusOK)
	e.ps.AddUser(portalserver.User{Username: "ben", Password: "ben-pass", Account: "estate-1", IsMaster: true, Email: "ben@estate-1.example"})
	res := e.login("ben", "ben-pass").Want(t, http.StatusOK)
	if res.String("operator", "role") != "admin" || res.String("operator", "transcript_email") != "ben@estate-1.example" {
		t.Fatalf("operator not updated from the answer: %s", res.Raw)
	}
}

func TestPortalLoginRefusals(t *testing.T) {
	e := newPortalEnv(t)
	res := e.login("anna", "wrong").WantError(t, http.StatusUnauthorized, "wrong_credentials")
	if res.String("error", "message") != "Wrong user name or password" {
		t.Errorf("message %q", res.String("error", "message"))
	}
	if opts := res.List("error", "remediation_options"); len(opts) != 1 || opts[0].(map[string]any)["url"] != "https://portal.example/password" {
		t.Errorf("remediation options %v", opts)
	}
	e.login("nobody", "x").WantError(t, http.StatusUnauthorized, "wrong_credentials")
	e.login("dan", "dan-pass").WantError(t, http.StatusUnauthorized, "account_suspended")
	if _, err := e.srv.Store.AdvertiserByExternalID(context.Background(), e.portal.ID, "cars-7"); err == nil {
		t.Errorf("a suspended account created its advertiser")
	}

	e.configure(t, e.ts.URL+"/portico-auth", "not-the-key")
	e.login("anna", "anna-pass").WantError(t, http.StatusUnauthorized, "access_denied")
	if p := e.health(t); len(p) != 1 || p[0].(map[string]any)["kind"] != "access_denied" {
		t.Errorf("health %v", p)
	}
	// Unknown portals and portals without external authentication.
	e.srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"portal": "nope", "username": "anna", "password": "anna-pass"}).
		WantError(t, http.StatusNotFound, "unknown_portal")
	other := e.srv.Account(domain.KindPortal, nil, "")
	e.srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"portal": other.Key, "username": "anna", "password": "anna-pass"}).
		WantError(t, http.StatusNotFound, "unknown_portal")
}

func TestPortalRememberMeTokenKeptAndLogOut(t *testing.T) {
	e := newPortalEnv(t)
	e.ps.IssueTokens = true
	res := e.login("anna", "anna-pass").Want(t, http.StatusOK)
	token := res.String("authentication_token")
	if token == "" || res.Path("remember_me_available") != true {
		t.Fatalf("no token to remember: %s", res.Raw)
	}
	info := e.srv.Do("GET", "/api/v1/portal/"+e.portal.Key+"/login-info", "", nil).Want(t, http.StatusOK)
	if info.Path("remember_me") != true || info.String("name") != e.portal.Name {
		t.Fatalf("login info %s", info.Raw)
	}

	// The portal leaves the token as it is (field absent): it stays the one to remember.
	again := e.srv.Do("POST", "/api/v1/auth/token", "", map[string]any{"portal": e.portal.Key, "authentication_token": token}).Want(t, http.StatusOK)
	if again.String("authentication_token") != token || again.String("operator", "id") != res.String("operator", "id") {
		t.Fatalf("remembered sign-in: %s", again.Raw)
	}
	last := e.ps.Requests()[len(e.ps.Requests())-1]
	if last.Name != "AuthenticateWithToken" || last.IsURLAuthentication != "0" {
		t.Fatalf("request %+v", last)
	}

	e.srv.Do("POST", "/api/v1/auth/logout", again.String("token"), nil).Want(t, http.StatusNoContent)
	waitFor(t, func() bool {
		r := e.ps.Requests()
		return r[len(r)-1].Name == "LogOut"
	})
	r := e.ps.Requests()
	if got := r[len(r)-1].AuthenticationToken; got != token {
		t.Fatalf("LogOut sent token %q, want %q", got, token)
	}
	if e.ps.TokenValid(token) {
		t.Fatalf("the portal still takes the token after LogOut")
	}
	e.srv.Do("POST", "/api/v1/auth/token", "", map[string]any{"portal": e.portal.Key, "authentication_token": token}).
		WantError(t, http.StatusUnauthorized, "wrong_credentials")
}

func TestPortalLogOutWithoutToken(t *testing.T) {
	e := newPortalEnv(t)
	res := e.login("anna", "anna-pass").Want(t, http.StatusOK)
	e.srv.Do("POST", "/api/v1/auth/logout", res.String("token"), nil).Want(t, http.StatusNoContent)
	waitFor(t, func() bool {
		r := e.ps.Requests()
		return r[len(r)-1].Name == "LogOut"
	})
	if got := e.ps.Requests()[len(e.ps.Requests())-1].AuthenticationToken; got != "" {
		t.Fatalf("LogOut token %q, want empty", got)
	}
}

func TestPortalURLLoginRotatesToken(t *testing.T) {
	e := newPortalEnv(t)
	e.ps.IssueTokens = true
	e.login("anna", "anna-pass").Want(t, http.StatusOK) // anna is known, by e-mail
	link := e.ps.IssueToken("anna")
	res := e.srv.Do("POST", "/api/v1/auth/token", "", map[string]any{"portal": e.portal.Key, "authentication_token": link, "from_url": true}).Want(t, http.StatusOK)
	next := res.String("authentication_token")
	if next == "" || next == link {
		t.Fatalf("the token was not replaced: %q", next)
	}
	if e.ps.TokenValid(link) || !e.ps.TokenValid(next) {
		t.Fatalf("the URL token still works, or the new one does not")
	}
	last := e.ps.Requests()[len(e.ps.Requests())-1]
	if last.IsURLAuthentication != "1" || last.AuthenticationToken != link {
		t.Fatalf("request %+v", last)
	}
	ops, _ := e.srv.Store.ListOperators(context.Background(), res.String("operator", "account_id"))
	if len(ops) != 1 {
		t.Fatalf("%d operators: the token sign-in made a second anna", len(ops))
	}
	// The new token signs in again, as the same operator.
	again := e.srv.Do("POST", "/api/v1/auth/token", "", map[string]any{"portal": e.portal.Key, "authentication_token": next}).Want(t, http.StatusOK)
	if again.String("operator", "id") != res.String("operator", "id") {
		t.Fatalf("remembered token signed in someone else")
	}
}

func TestPortalURLLoginKillsTokenWithoutNewOne(t *testing.T) {
	e := newPortalEnv(t)
	link := e.ps.IssueToken("ben") // the portal issues links but no "remember me" tokens
	res := e.srv.Do("POST", "/api/v1/auth/token", "", map[string]any{"portal": e.portal.Key, "authentication_token": link, "from_url": true}).Want(t, http.StatusOK)
	if got := res.String("authentication_token"); got != "" {
		t.Fatalf("token to remember %q, want none", got)
	}
	if e.ps.TokenValid(link) {
		t.Fatalf("the URL token still works")
	}
	e.srv.Do("POST", "/api/v1/auth/token", "", map[string]any{"portal": e.portal.Key, "authentication_token": link, "from_url": true}).
		WantError(t, http.StatusUnauthorized, "wrong_credentials")
}

// flaky answers 503 (or nothing) a number of times before handing over to the portal.
type flaky struct {
	mu       sync.Mutex
	fail     int
	ids      []string
	next     http.Handler
	hang     chan struct{} // when set, every request waits for it to close: the portal never answers
	response string
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	f.ids = append(f.ids, r.PostForm.Get("requestId"))
	fail := len(f.ids) <= f.fail
	f.mu.Unlock()
	switch {
	case f.hang != nil:
		<-f.hang
	case f.response != "":
		w.Write([]byte(f.response))
	case fail:
		http.Error(w, "busy", http.StatusServiceUnavailable)
	default:
		f.next.ServeHTTP(w, r)
	}
}

func (f *flaky) requestIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ids...)
}

// fastClock makes the client's back-off take no time: sleeping moves the clock on.
func fastClock(c *portalauth.Client) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c.Sleep = func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
		return nil
	}
}

func TestPortalRetriesWithTheSameRequestID(t *testing.T) {
	e := newPortalEnv(t)
	f := &flaky{fail: 2, next: e.ps}
	ts := httptest.NewTLSServer(f)
	defer ts.Close()
	e.srv.App.PortalAuth.Client.HTTP = ts.Client()
	fastClock(e.srv.App.PortalAuth.Client)
	e.configure(t, ts.URL+"/auth", "the-access-key")
	e.login("anna", "anna-pass").Want(t, http.StatusOK)
	ids := f.requestIDs()
	if len(ids) != 3 || ids[0] == "" || ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("request ids %q, want the same one three times", ids)
	}
	if p := e.health(t); len(p) != 0 {
		t.Fatalf("a retried success recorded problems: %v", p)
	}
}

func TestPortalThatNeverAnswersGivesUpAfterTheWindow(t *testing.T) {
	e := newPortalEnv(t)
	f := &flaky{hang: make(chan struct{})}
	ts := httptest.NewTLSServer(f)
	defer ts.Close()
	defer close(f.hang)
	c := e.srv.App.PortalAuth.Client
	c.HTTP = ts.Client()
	c.AttemptTimeout = 20 * time.Millisecond
	fastClock(c)
	start := c.Now()
	e.configure(t, ts.URL+"/auth", "the-access-key")
	e.login("anna", "anna-pass").WantError(t, http.StatusBadGateway, "portal_unavailable")
	ids := f.requestIDs()
	if len(ids) < 3 {
		t.Fatalf("%d attempts", len(ids))
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("request ids differ: %q", ids)
		}
	}
	if waited := c.Now().Sub(start); waited > portalauth.RetryWindow || waited < portalauth.RetryWindow/2 {
		t.Fatalf("gave up after %s of back-off, want close to and at most %s", waited, portalauth.RetryWindow)
	}
	if p := e.health(t); len(p) != 1 || p[0].(map[string]any)["kind"] != "unreachable" {
		t.Fatalf("health %v", p)
	}
}

func TestPortalWithBadCertificateIsRefusedRecordedAndMailed(t *testing.T) {
	e := newPortalEnv(t)
	e.srv.App.PortalAuth.Client.HTTP = &http.Client{} // the system's roots: the test certificate is not among them
	e.login("anna", "anna-pass").WantError(t, http.StatusBadGateway, "portal_unavailable")
	p := e.health(t)
	if len(p) != 1 || p[0].(map[string]any)["kind"] != "tls" || p[0].(map[string]any)["mailed"] != true {
		t.Fatalf("health %v", p)
	}
	if len(e.ps.Requests()) != 0 {
		t.Fatalf("the password reached a server whose certificate does not validate")
	}
	m := e.smtp.WaitFor(1, 10*time.Second)[0]
	if m.To[0] != "portal-admin@portal.example" || !strings.Contains(m.Text, "certificate") || !strings.Contains(m.Subject, e.portal.Name) {
		t.Fatalf("mail to %v: %s\n%s", m.To, m.Subject, m.Text)
	}
}

func TestPortalNonProtocolAnswerAndMailRateLimit(t *testing.T) {
	e := newPortalEnv(t)
	f := &flaky{response: "<html>Welcome to our portal</html>"}
	ts := httptest.NewTLSServer(f)
	defer ts.Close()
	e.srv.App.PortalAuth.Client.HTTP = ts.Client()
	e.configure(t, ts.URL+"/auth", "the-access-key")
	e.login("anna", "anna-pass").WantError(t, http.StatusBadGateway, "portal_unavailable")
	e.login("anna", "anna-pass").WantError(t, http.StatusBadGateway, "portal_unavailable")
	if n := len(f.requestIDs()); n != 2 {
		t.Fatalf("%d requests: a protocol error is not retried", n)
	}
	p := e.health(t)
	if len(p) != 2 {
		t.Fatalf("health %v", p)
	}
	newest, oldest := p[0].(map[string]any), p[1].(map[string]any)
	if newest["kind"] != "protocol" || oldest["mailed"] != true || newest["mailed"] != false {
		t.Fatalf("two problems of one kind within the hour must be mailed once: %v", p)
	}
	m := e.smtp.WaitFor(1, 10*time.Second)[0]
	if !strings.Contains(m.Text, "not the protocol") {
		t.Fatalf("mail: %s", m.Text)
	}
	// An answer without errorCode is not the protocol either.
	f.response = `{"ok":true}`
	e.login("anna", "anna-pass").WantError(t, http.StatusBadGateway, "portal_unavailable")
}

func TestPortalPlainHTTPOnlyToLoopbackInDevMode(t *testing.T) {
	e := newPortalEnv(t)
	plain := httptest.NewServer(e.ps)
	defer plain.Close()
	put := func(url string) *testutil.Response {
		return e.srv.Do("PUT", "/api/v1/portal/external-auth", e.admin, map[string]any{"enabled": true, "url": url, "access_key": "the-access-key"})
	}
	put("http://portal.example/auth").WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	put(plain.URL+"/auth").WantError(t, http.StatusUnprocessableEntity, "invalid_field")

	e.srv.App.PortalAuth.Client.AllowLoopbackHTTP = true // --dev
	put("http://portal.example/auth").WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	put(plain.URL+"/auth").Want(t, http.StatusOK)
	e.login("anna", "anna-pass").Want(t, http.StatusOK)

	// Leaving dev mode: the stored http:// URL is refused before anything is sent.
	e.srv.App.PortalAuth.Client.AllowLoopbackHTTP = false
	before := len(e.ps.Requests())
	e.login("anna", "anna-pass").WantError(t, http.StatusBadGateway, "portal_unavailable")
	if len(e.ps.Requests()) != before {
		t.Fatalf("a password went over plain http outside dev mode")
	}
}

func TestExternalAuthPermissions(t *testing.T) {
	e := newPortalEnv(t)
	res := e.srv.Do("GET", "/api/v1/portal/external-auth", e.admin, nil).Want(t, http.StatusOK)
	if res.Path("access_key_set") != true || strings.Contains(string(res.Raw), "the-access-key") {
		t.Fatalf("the access key must be write-only: %s", res.Raw)
	}
	if res.String("external_auth", "url") != e.ts.URL+"/portico-auth" {
		t.Fatalf("settings %s", res.Raw)
	}
	// Leaving access_key out keeps it.
	e.srv.Do("PUT", "/api/v1/portal/external-auth", e.admin, map[string]any{"enabled": true, "url": e.ts.URL + "/portico-auth"}).Want(t, http.StatusOK)
	e.login("anna", "anna-pass").Want(t, http.StatusOK)

	_, agent := e.srv.Operator(e.portal, domain.RoleAgent)
	adv := e.srv.Account(domain.KindAdvertiser, e.portal, "adv-1")
	_, advAdmin := e.srv.Operator(adv, domain.RoleAdmin)
	site := e.srv.Account(domain.KindWebsite, nil, "")
	_, siteAdmin := e.srv.Operator(site, domain.RoleAdmin)
	body := map[string]any{"enabled": false, "url": "https://evil.example/auth", "access_key": "x"}
	for _, tok := range []string{agent, advAdmin, siteAdmin} {
		e.srv.Do("GET", "/api/v1/portal/external-auth", tok, nil).WantError(t, http.StatusForbidden, "forbidden")
		e.srv.Do("PUT", "/api/v1/portal/external-auth", tok, body).WantError(t, http.StatusForbidden, "forbidden")
		e.srv.Do("GET", "/api/v1/portal/external-auth/health", tok, nil).WantError(t, http.StatusForbidden, "forbidden")
	}
	e.srv.Do("GET", "/api/v1/portal/external-auth", "", nil).WantError(t, http.StatusUnauthorized, "unauthorized")

	// Another portal's admin sees and changes only their own portal's settings.
	other := e.srv.Account(domain.KindPortal, nil, "")
	_, otherAdmin := e.srv.Operator(other, domain.RoleAdmin)
	if got := e.srv.Do("GET", "/api/v1/portal/external-auth", otherAdmin, nil).Want(t, http.StatusOK).String("external_auth", "url"); got != "" {
		t.Fatalf("another portal sees url %q", got)
	}
	e.srv.Do("PUT", "/api/v1/portal/external-auth", otherAdmin, body).Want(t, http.StatusOK)
	e.login("anna", "anna-pass").Want(t, http.StatusOK)
	e.srv.Do("GET", "/api/v1/portal/"+other.Key+"/login-info", "", nil).WantError(t, http.StatusNotFound, "unknown_portal")
	e.srv.Do("GET", "/api/v1/portal/"+adv.Key+"/login-info", "", nil).WantError(t, http.StatusNotFound, "unknown_portal")
}

// waitFor waits for cond with a deadline, checking after each small pause.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPortalLogoutAnswersBeforeLogOutFinishes(t *testing.T) {
	e := newPortalEnv(t)
	res := e.login("anna", "anna-pass").Want(t, http.StatusOK)
	received := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(received) })
		<-release
		e.ps.ServeHTTP(w, r)
	}))
	defer slow.Close()
	defer close(release)
	e.srv.App.PortalAuth.Client.HTTP = slow.Client()
	e.configure(t, slow.URL+"/auth", "the-access-key")
	e.srv.Do("POST", "/api/v1/auth/logout", res.String("token"), nil).Want(t, http.StatusNoContent)
	select {
	case <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("LogOut was not sent")
	}
	// The portal still has not answered; the operator is signed out all the same, and the next
	// request is not held up behind LogOut.
	e.srv.Do("GET", "/api/v1/me", res.String("token"), nil).WantError(t, http.StatusUnauthorized, "unauthorized")
	if len(e.ps.Requests()) != 1 {
		t.Fatalf("LogOut finished before the test let it: %+v", e.ps.Requests())
	}
}
