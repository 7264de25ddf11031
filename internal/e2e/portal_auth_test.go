package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
	"github.com/portico/portico/pkg/portalauth/portalserver"
)

// portalWithSignIn is a portal whose operators sign in through the example portal server,
// reached over loopback http as in --dev mode.
func portalWithSignIn(t *testing.T) (*testutil.Server, *domain.Account, *portalserver.Server) {
	t.Helper()
	srv := testutil.NewServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	_, admin := srv.Operator(portal, domain.RoleAdmin)
	ps := portalserver.New("e2e-key",
		portalserver.User{Username: "anna", Password: "anna-pass", Account: "estate-1", Email: "anna@estate-1.example", IsMaster: true},
		portalserver.User{Username: "ben", Password: "ben-pass", Account: "estate-1", Email: "ben@estate-1.example"})
	ps.Remediation = []portalserver.Option{{Name: "Forgot your password?", URL: "https://portal.example/password"}}
	ts := httptest.NewServer(ps)
	t.Cleanup(ts.Close)
	srv.App.PortalAuth.Client.AllowLoopbackHTTP = true
	srv.Do("PUT", "/api/v1/portal/external-auth", admin, map[string]any{"enabled": true, "url": ts.URL + "/auth", "access_key": "e2e-key"}).
		Want(t, http.StatusOK)
	return srv, portal, ps
}

func TestPortalOperatorSignsInOnThePortalsLoginPage(t *testing.T) {
	srv, portal, _ := portalWithSignIn(t)
	page := newBrowser(t, 390, 800) // a phone
	run(t, page, "open the portal's login page",
		chromedp.Navigate(srv.URL+"/console/login?portal="+portal.Key),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=portal-username]`)))
	waitEqual(t, page, "the portal's name", `document.querySelector('[data-testid=portal-name]').textContent`, portal.Name)
	if evalJS[bool](t, page, `!document.querySelector('[data-testid=portal-remember]').closest('[hidden]')`) {
		t.Fatal("remember me offered by a portal that issues no tokens")
	}

	run(t, page, "a wrong password",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=portal-username]`), "anna"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=portal-password]`), "nope"),
		chromedp.Click(chromedp.CSS(`[data-testid=portal-submit]`)))
	waitEqual(t, page, "the refusal", `document.querySelector('[data-testid=portal-error-text]')?.textContent`, "Wrong user name or password")
	waitEqual(t, page, "the portal's remedy as a safe link",
		`(a => a && a.href + ' ' + a.rel + ' ' + a.textContent)(document.querySelector('[data-testid=remediation-option]'))`,
		"https://portal.example/password noopener noreferrer Forgot your password?")

	run(t, page, "the right password",
		chromedp.Clear(chromedp.CSS(`[data-testid=portal-password]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=portal-password]`), "anna-pass"),
		chromedp.Click(chromedp.CSS(`[data-testid=portal-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=waiting-list]`)))
	waitEqual(t, page, "the console's address", `location.pathname`, "/console/")
	waitEqual(t, page, "signed in as anna", `document.querySelector('[data-testid=open-profile]').getAttribute('aria-label')`, "Your profile: anna")
}

func TestPortalURLTokenSignInLeavesNoTokenInTheAddress(t *testing.T) {
	srv, portal, ps := portalWithSignIn(t)
	token := ps.IssueToken("ben")
	page := newBrowser(t, 1280, 800)
	run(t, page, "follow the portal's link",
		chromedp.Navigate(srv.URL+"/console/?authenticationToken="+token+"&portal="+portal.Key),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=waiting-list]`)))
	if href := evalJS[string](t, page, `location.href`); strings.Contains(href, token) || strings.Contains(href, "authenticationToken") {
		t.Fatalf("the token is still in the address: %s", href)
	}
	// A first sign-in by token does not learn the user name: ben is known by his e-mail.
	waitEqual(t, page, "signed in as ben", `document.querySelector('[data-testid=open-profile]').getAttribute('aria-label')`, "Your profile: ben@estate-1.example")
	last := ps.Requests()[len(ps.Requests())-1]
	if last.Name != "AuthenticateWithToken" || last.IsURLAuthentication != "1" {
		t.Fatalf("request %+v", last)
	}
	if ps.TokenValid(token) {
		t.Fatal("the portal did not retire the URL token")
	}
}

func TestPortalAdminSeesTheHealthPanel(t *testing.T) {
	srv, portal, _ := portalWithSignIn(t)
	admin, password, adminTok := withPassword(t, srv, portal, domain.RoleAdmin)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<html>maintenance</html>"))
	}))
	defer broken.Close()
	srv.Do("PUT", "/api/v1/portal/external-auth", adminTok, map[string]any{"enabled": true, "url": broken.URL + "/auth"}).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"portal": portal.Key, "username": "anna", "password": "anna-pass"}).
		WantError(t, http.StatusBadGateway, "portal_unavailable")

	page := newBrowser(t, 1280, 800)
	signIn(t, page, srv.URL, admin.Email, password)
	run(t, page, "open the portal sign-in panel",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=open-portal-auth]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=open-portal-auth]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=pa-problem]`)))
	waitEqual(t, page, "the problem's kind", `document.querySelector('[data-testid=pa-problem]').dataset.kind`, "protocol")
	waitEqual(t, page, "the settings", `document.querySelector('[data-testid=pa-url]').value`, broken.URL+"/auth")
	if v := evalJS[string](t, page, `document.querySelector('[data-testid=pa-key]').value`); v != "" {
		t.Fatalf("the access key is shown: %q", v)
	}
	run(t, page, "close it with Escape", chromedp.KeyEvent("\x1b"))
	waitJS(t, page, "the panel is gone", `!document.querySelector('[data-testid=portal-auth-panel]')`)
}

func TestPortalRememberMeSignsInAgain(t *testing.T) {
	srv, portal, ps := portalWithSignIn(t)
	ps.IssueTokens = true
	// The portal has issued a token before, so its login page offers "remember me".
	srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"portal": portal.Key, "username": "ben", "password": "ben-pass"}).Want(t, http.StatusOK)

	page := newBrowser(t, 1280, 800)
	run(t, page, "sign in and be remembered",
		chromedp.Navigate(srv.URL+"/console/login?portal="+portal.Key),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=portal-remember]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=portal-remember]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=portal-username]`), "anna"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=portal-password]`), "anna-pass"),
		chromedp.Click(chromedp.CSS(`[data-testid=portal-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=waiting-list]`)))
	token := evalJS[string](t, page, `localStorage.getItem('portico_portal_token:'+`+jsString(portal.Key)+`) || ''`)
	if token == "" || !ps.TokenValid(token) {
		t.Fatalf("remembered token %q", token)
	}

	// The Portico session ends; the next visit signs in with the portal's token.
	adv, err := srv.Store.AdvertiserByExternalID(t.Context(), portal.ID, "estate-1")
	if err != nil {
		t.Fatal(err)
	}
	anna, err := srv.Store.OperatorByExternalUsername(t.Context(), adv.ID, "anna")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Store.DeleteOperatorSessions(t.Context(), anna.ID, ""); err != nil {
		t.Fatal(err)
	}
	before := len(ps.Requests())
	run(t, page, "come back", chromedp.Navigate(srv.URL+"/console/"), chromedp.WaitVisible(chromedp.CSS(`[data-testid=waiting-list]`)))
	reqs := ps.Requests()
	if len(reqs) != before+1 || reqs[before].Name != "AuthenticateWithToken" || reqs[before].AuthenticationToken != token || reqs[before].IsURLAuthentication != "0" {
		t.Fatalf("requests %+v", reqs[before:])
	}

	// Signing out ends the token at the portal and in the browser.
	run(t, page, "sign out", chromedp.Click(chromedp.CSS(`[data-testid=logout]`)), chromedp.WaitVisible(chromedp.CSS(`[data-testid=portal-username]`)))
	waitEqual(t, page, "the token is forgotten", `localStorage.getItem('portico_portal_token:'+`+jsString(portal.Key)+`) || ''`, "")
	waitFor(t, "LogOut reaches the portal", func() bool { return !ps.TokenValid(token) })
}

// A remembered portal token tried from an address refused for too many failed sign-ins is kept:
// the login page says why it is shown, and the token signs in once the address may try again.
func TestARememberedTokenOutlivesARefusedAddress(t *testing.T) {
	srv, portal, ps := portalWithSignIn(t)
	token := ps.IssueToken("ben")
	page := newBrowser(t, 1280, 800)
	run(t, page, "open the portal's login page",
		chromedp.Navigate(srv.URL+"/console/login?portal="+portal.Key),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=portal-username]`)))
	evalJS[bool](t, page, `localStorage.setItem('portico_portal', '`+portal.Key+`');
		localStorage.setItem('portico_portal_token:`+portal.Key+`', '`+token+`'); true`) // ben ticked "remember me" here once
	for refused := false; !refused; {
		res := srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"portal": portal.Key, "username": "anna", "password": "a-guess"})
		refused = res.Status == http.StatusTooManyRequests
	}
	run(t, page, "open the console", chromedp.Navigate(srv.URL+"/console/"))
	waitEqual(t, page, "why the login page is shown",
		`(document.querySelector('[data-testid=portal-error-text]')?.textContent || '').replace(/\d+ seconds/, 'N seconds')`,
		"Too many failed sign-ins from this address. Try again in N seconds.")
	if kept := evalJS[string](t, page, `localStorage.getItem('portico_portal_token:`+portal.Key+`') || ''`); kept != token {
		t.Fatalf("the remembered token is %q after the refusal, want it kept", kept)
	}
	const signedIn = `!!document.querySelector('[data-testid=waiting-list]')`
	deadline := time.Now().Add(20 * time.Second) // one failure is forgiven every 6 s
	for !evalJS[bool](t, page, signedIn) {
		if time.Now().After(deadline) {
			t.Fatal("the remembered token did not sign in within 20 s of the refusal")
		}
		time.Sleep(time.Second)
		run(t, page, "open the console again", chromedp.Navigate(srv.URL+"/console/"))
		waitEqual(t, page, "the console or the refusal", `String(`+signedIn+` || !!document.querySelector('[data-testid=portal-error-text]'))`, "true")
	}
	waitEqual(t, page, "signed in as ben", `document.querySelector('[data-testid=open-profile]').getAttribute('aria-label')`, "Your profile: ben@estate-1.example")
}
