package mail

import (
	"context"
	"net"
)

// DialVia makes s connect to addr whatever its URL names, so a test can give it a host name
// that is not loopback.
func DialVia(s *SMTP, addr string) {
	s.dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
}
