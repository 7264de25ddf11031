package live

import (
	"net/http"
	"net/url"
	"strings"
)

// sameOrigin reports whether the page that opened the socket is served by this server.
func sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
