package httpapi

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Each password check costs a login about 50 ms of a CPU and 19 MiB while it runs (internal/auth),
// and each sign-in through a portal a request to the portal's server: a script guessing from one
// address would keep a node's CPUs hashing, at the expense of every chat on it, or send its
// guesses on to the portal. Failed sign-ins (wrong passwords, tokens the portal refused) are
// counted per client address in a leaking bucket: the first loginFailuresAllowed come at once,
// then one each loginFailureForgiven; past that the address is refused with 429 before any
// check. A success does not empty the bucket, or one valid account would buy unlimited guesses
// at the others. Each node counts its own failures, so an address may try that many times per
// node.
const (
	loginFailuresAllowed = 10
	loginFailureForgiven = 6 * time.Second
	// loginThrottleAddresses bounds the addresses remembered: past it, those whose failures are
	// all forgiven are dropped, and if none are, arbitrary ones (a spread attack then gets a few
	// more tries, not more memory).
	loginThrottleAddresses = 100_000
)

type loginThrottle struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[netip.Prefix]failureBucket
}

// failureBucket is an address's failures not yet forgiven, as of at. refused says the address
// has been refused since its failures were last all forgiven.
type failureBucket struct {
	failures float64
	at       time.Time
	refused  bool
}

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{now: time.Now, buckets: map[netip.Prefix]failureBucket{}}
}

// throttleKey is the address a client is counted under: an IPv6 client by its /64, which a
// single host commonly holds whole.
func throttleKey(ip string) netip.Prefix {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return netip.Prefix{} // not an address (a test's RemoteAddr): all such share one bucket
	}
	addr = addr.Unmap()
	bits := addr.BitLen()
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}

// level is b's failures not yet forgiven at now.
func (b failureBucket) level(now time.Time) float64 {
	return math.Max(0, b.failures-float64(now.Sub(b.at))/float64(loginFailureForgiven))
}

// wait is how long the client at ip must wait before its next sign-in is checked: zero while
// it has failed fewer than loginFailuresAllowed times not yet forgiven.
func (t *loginThrottle) wait(ip string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	b, ok := t.buckets[throttleKey(ip)]
	if !ok {
		return 0
	}
	over := b.level(t.now()) - (loginFailuresAllowed - 1)
	if over <= 0 {
		return 0
	}
	return time.Duration(over * float64(loginFailureForgiven))
}

// failed counts a failed sign-in of the client at ip, and reports whether it is the one after
// which the address is refused, the first time since its failures were last all forgiven.
func (t *loginThrottle) failed(ip string) (refusedNow bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now, key := t.now(), throttleKey(ip)
	b, ok := t.buckets[key]
	if !ok && len(t.buckets) >= loginThrottleAddresses {
		t.forget(now)
	}
	level := b.level(now)
	refused := b.refused && level > 0
	next := failureBucket{failures: level + 1, at: now}
	next.refused = refused || next.failures > loginFailuresAllowed-1 // as wait counts it
	t.buckets[key] = next
	return next.refused && !refused
}

// forget drops the addresses whose failures are all forgiven, or, when every one still counts,
// about a tenth of them.
func (t *loginThrottle) forget(now time.Time) {
	for key, b := range t.buckets {
		if b.level(now) == 0 {
			delete(t.buckets, key)
		}
	}
	for key := range t.buckets {
		if len(t.buckets) < loginThrottleAddresses*9/10 {
			break
		}
		delete(t.buckets, key)
	}
}

// signInFailed counts a failed sign-in of the request's client, and logs when that makes the
// address refused: once an episode, however long the guessing goes on.
func (a *api) signInFailed(r *http.Request) {
	ip := a.clientIP(r)
	if a.logins.failed(ip) {
		a.Log.Warn("sign-ins from a client address are refused for a while after repeated failures",
			"client_ip", ip, "failures", loginFailuresAllowed)
	}
}

// refuseThrottledLogin answers 429 when the request's client must wait, and reports whether it did.
func (a *api) refuseThrottledLogin(w http.ResponseWriter, r *http.Request) bool {
	a.warnOfUnreadProxyHeader(r)
	wait := a.logins.wait(a.clientIP(r))
	if wait <= 0 {
		return false
	}
	seconds := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
	writeErrorCode(w, http.StatusTooManyRequests, "rate_limited",
		fmt.Sprintf("Too many failed sign-ins from this address. Try again in %d seconds.", seconds))
	return true
}

// proxyHeaders are the headers a reverse proxy commonly puts the client's address in.
var proxyHeaders = []string{"X-Forwarded-For", "X-Real-IP"}

// warnOfUnreadProxyHeader logs, once, that sign-ins come through a proxy whose address header
// Portico does not read: every sign-in then counts as the proxy's, and ten failures by anyone
// make everyone wait. The header is not trusted unasked: a client reaching Portico directly
// could write any address in it.
func (a *api) warnOfUnreadProxyHeader(r *http.Request) {
	if a.ClientIPHeader != "" {
		return
	}
	for _, h := range proxyHeaders {
		if r.Header.Get(h) != "" {
			a.proxyWarning.Do(func() {
				a.Log.Warn("sign-ins carry a proxy's client address header that is not read: failed sign-ins are "+
					"counted per the proxy's address; set --client-ip-header if a reverse proxy sets it", "header", h)
			})
			return
		}
	}
}
