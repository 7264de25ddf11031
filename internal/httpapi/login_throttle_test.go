package httpapi

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func throttleAt(now *time.Time) *loginThrottle {
	t := newLoginThrottle()
	t.now = func() time.Time { return *now }
	return t
}

// Ten failures come at once; the eleventh attempt waits for one to be forgiven, and then one a
// loginFailureForgiven is checked again.
func TestLoginThrottleForgivesOneFailureAtATime(t *testing.T) {
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	th := throttleAt(&now)
	for i := range loginFailuresAllowed {
		if w := th.wait("203.0.113.7"); w != 0 {
			t.Fatalf("attempt %d must wait %v; the first %d are checked", i+1, w, loginFailuresAllowed)
		}
		th.failed("203.0.113.7")
	}
	if w := th.wait("203.0.113.7"); w != loginFailureForgiven {
		t.Fatalf("after %d failures: wait %v, want %v", loginFailuresAllowed, w, loginFailureForgiven)
	}
	if w := th.wait("203.0.113.8"); w != 0 {
		t.Fatalf("another address must not wait: %v", w)
	}
	now = now.Add(loginFailureForgiven / 2)
	if w := th.wait("203.0.113.7"); w != loginFailureForgiven/2 {
		t.Fatalf("halfway: wait %v, want %v", w, loginFailureForgiven/2)
	}
	now = now.Add(loginFailureForgiven / 2)
	if w := th.wait("203.0.113.7"); w != 0 {
		t.Fatalf("one failure forgiven: wait %v, want 0", w)
	}
	th.failed("203.0.113.7")
	if w := th.wait("203.0.113.7"); w != loginFailureForgiven {
		t.Fatalf("failing again: wait %v, want %v", w, loginFailureForgiven)
	}
	now = now.Add(loginFailuresAllowed * loginFailureForgiven)
	if w := th.wait("203.0.113.7"); w != 0 {
		t.Fatalf("all forgiven: wait %v", w)
	}
}

// An IPv6 host commonly holds a whole /64: its addresses share a bucket; an IPv4 address written
// as IPv6 is the IPv4 address.
func TestLoginThrottleCountsIPv6ByItsSlash64(t *testing.T) {
	now := time.Now()
	th := throttleAt(&now)
	for i := range loginFailuresAllowed {
		th.failed(fmt.Sprintf("2001:db8:1:2::%x", i+1))
		th.failed("::ffff:198.51.100.1")
	}
	if th.wait("2001:db8:1:2:ffff::1") == 0 {
		t.Error("another address of the same /64 is not throttled")
	}
	if th.wait("2001:db8:1:3::1") != 0 {
		t.Error("an address of the next /64 is throttled")
	}
	if th.wait("198.51.100.1") == 0 {
		t.Error("the IPv4 address failed as ::ffff:198.51.100.1 is not throttled")
	}
}

// The addresses remembered are bounded: past the bound, the forgiven ones go first, and when
// none is forgiven some go anyway.
func TestLoginThrottleRemembersBoundedAddresses(t *testing.T) {
	now := time.Now()
	th := throttleAt(&now)
	addr := func(i int) string { return fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255) }
	for i := range loginThrottleAddresses {
		th.failed(addr(i))
	}
	th.failed("192.0.2.1")
	if n := len(th.buckets); n > loginThrottleAddresses {
		t.Fatalf("%d addresses remembered, bound %d", n, loginThrottleAddresses)
	}
	// Those failures forgiven, an address failing now and fresh ones up to the bound: the next
	// new address makes room by dropping the forgiven, not the one still failing.
	now = now.Add(2 * loginFailureForgiven)
	for range loginFailuresAllowed {
		th.failed("192.0.2.2")
	}
	for i := 0; len(th.buckets) < loginThrottleAddresses; i++ {
		th.failed(fmt.Sprintf("2001:db8:%x::1", i))
	}
	th.failed("192.0.2.3")
	if th.wait("192.0.2.2") == 0 {
		t.Error("an address still failing was forgotten while others were all forgiven")
	}
	if n := len(th.buckets); n >= loginThrottleAddresses/2 {
		t.Errorf("%d addresses remembered after the forgiven were dropped", n)
	}
}

// The log says when an address starts being refused, once however long it goes on guessing, and
// again in a later episode.
func TestLoginThrottleLogsOnceAnEpisode(t *testing.T) {
	now := time.Now()
	var logged bytes.Buffer
	a := &api{Deps: Deps{Log: slog.New(slog.NewTextHandler(&logged, nil))}, logins: throttleAt(&now)}
	r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
	r.RemoteAddr = "203.0.113.7:40000"
	refusals := func() int { return strings.Count(logged.String(), "are refused for a while") }
	for range loginFailuresAllowed - 1 {
		a.signInFailed(r)
	}
	if n := refusals(); n != 0 {
		t.Fatalf("%d refusals logged before the address was refused", n)
	}
	a.signInFailed(r)
	if n := refusals(); n != 1 || !strings.Contains(logged.String(), "client_ip=203.0.113.7") {
		t.Fatalf("after the tenth failure: %d refusals logged, want one naming the address:\n%s", n, logged.String())
	}
	for range 20 { // guessing at the pace the throttle lets through
		now = now.Add(loginFailureForgiven)
		a.signInFailed(r)
	}
	if n := refusals(); n != 1 {
		t.Fatalf("%d refusals logged in one episode, want 1", n)
	}
	now = now.Add(loginFailuresAllowed * loginFailureForgiven) // all forgiven
	for range loginFailuresAllowed {
		a.signInFailed(r)
	}
	if n := refusals(); n != 2 {
		t.Fatalf("%d refusals logged after a second episode, want 2", n)
	}
}

// Sign-ins that carry a proxy's address header Portico is not told to read get one warning in
// the log; with the header configured, or without such a header, none.
func TestUnreadProxyHeaderWarnedOnce(t *testing.T) {
	for _, tc := range []struct {
		name, configured, sent string
		warnings               int
	}{
		{"a proxy's header, not configured", "", "X-Forwarded-For", 1},
		{"the other common header", "", "X-Real-IP", 1},
		{"configured", "X-Forwarded-For", "X-Forwarded-For", 0},
		{"no proxy", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged bytes.Buffer
			a := &api{Deps: Deps{Log: slog.New(slog.NewTextHandler(&logged, nil)), ClientIPHeader: tc.configured}, logins: newLoginThrottle()}
			for range 3 {
				r := httptest.NewRequest("POST", "/api/v1/auth/login", nil)
				if tc.sent != "" {
					r.Header.Set(tc.sent, "198.51.100.7")
				}
				a.refuseThrottledLogin(httptest.NewRecorder(), r)
			}
			if n := strings.Count(logged.String(), "set --client-ip-header"); n != tc.warnings {
				t.Fatalf("%d warnings, want %d:\n%s", n, tc.warnings, logged.String())
			}
		})
	}
}
