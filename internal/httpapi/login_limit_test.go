package httpapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// After ten failed sign-ins from one address, the next is refused before its password is
// checked, even the right one, with how long to wait; another address signs in meanwhile. (One
// failure is forgiven every 6 s: a slow machine may need a guess or two more to get there.)
func TestFailedSignInsFromOneAddressAreThrottled(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithConfig(func(c *config.Config) { c.ClientIPHeader = "X-Real-IP" }))
	acc := srv.Account(domain.KindWebsite, nil, "")
	op, _ := srv.Operator(acc, domain.RoleAdmin)
	setPassword(t, srv, op.ID, "the-right-one")
	login := func(from, password string) *testutil.Response {
		return testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/auth/login", "",
			map[string]string{"email": op.Email, "password": password}, map[string]string{"X-Real-IP": from})
	}
	refusedAfter := guessUntilRefused(t, func() *testutil.Response { return login("203.0.113.7", "a-guess") })
	if refusedAfter < 10 {
		t.Fatalf("refused after %d failures, want 10", refusedAfter)
	}
	res := login("203.0.113.7", "the-right-one").WantError(t, http.StatusTooManyRequests, "rate_limited")
	if wait, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || wait < 1 || wait > 6 {
		t.Errorf("Retry-After %q, want 1-6 seconds", res.Header.Get("Retry-After"))
	}
	if msg := res.String("error", "message"); msg != "Too many failed sign-ins from this address. Try again in "+res.Header.Get("Retry-After")+" seconds." {
		t.Errorf("message %q", msg)
	}
	login("198.51.100.2", "the-right-one").Want(t, http.StatusOK)
}

// Wrong passwords given for a portal's own accounts count the same way.
func TestFailedPortalSignInsAreThrottled(t *testing.T) {
	e := newPortalEnv(t)
	guessUntilRefused(t, func() *testutil.Response { return e.login("anna", "a-guess") })
	e.login("anna", "anna-pass").WantError(t, http.StatusTooManyRequests, "rate_limited")
}

// Tokens the portal does not know count too: each try is a request to the portal's server.
func TestUnknownPortalTokensAreThrottled(t *testing.T) {
	e := newPortalEnv(t)
	withToken := func(token string) *testutil.Response {
		return e.srv.Do("POST", "/api/v1/auth/token", "", map[string]any{"portal": e.portal.Key, "authentication_token": token})
	}
	tries := 0
	guessUntilRefused(t, func() *testutil.Response {
		tries++
		return withToken(fmt.Sprintf("guessed-token-%d", tries))
	})
	asked := len(e.ps.Requests())
	withToken(e.ps.IssueToken("anna")).WantError(t, http.StatusTooManyRequests, "rate_limited")
	if n := len(e.ps.Requests()); n != asked {
		t.Fatalf("the portal was asked %d more times after the refusal", n-asked)
	}
}

// guessUntilRefused makes a wrong attempt until refused with 429 (at most 15 times) and
// returns how many were answered wrong_credentials before.
func guessUntilRefused(t *testing.T, guess func() *testutil.Response) int {
	t.Helper()
	for failed := 0; failed < 15; failed++ {
		res := guess()
		if res.Status == http.StatusTooManyRequests {
			return failed
		}
		res.WantError(t, http.StatusUnauthorized, "wrong_credentials")
	}
	t.Fatal("15 wrong attempts in a row and none refused")
	return 0
}
