package enrich_test

import (
	"net/netip"
	"testing"

	"github.com/portico/portico/internal/visitors/enrich"
)

func TestAnonymizeIP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
	}{
		{"203.0.113.77", "203.0.113.0"},
		{"8.8.8.8", "8.8.8.0"},
		{"2001:db8:1234:5678:9abc:def0:1234:5678", "2001:db8:1234::"},
		{"2001:db8:1234:ffff::1", "2001:db8:1234::"},
		{"::ffff:198.51.100.200", "198.51.100.0"},
		{"fe80::1:2:3:4%eth0", "fe80::"},
	} {
		got := enrich.AnonymizeIP(netip.MustParseAddr(tc.in))
		if got != netip.MustParseAddr(tc.want) {
			t.Errorf("AnonymizeIP(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
	if got := enrich.AnonymizeIP(netip.Addr{}); got.IsValid() {
		t.Errorf("AnonymizeIP(zero) = %s, want the zero Addr", got)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		remoteAddr string
		want       string // "" for the zero Addr
	}{
		{"203.0.113.7:51234", "203.0.113.7"},
		{"[2001:db8::7]:443", "2001:db8::7"},
		{"[::ffff:203.0.113.7]:80", "203.0.113.7"},
		{"[fe80::1%eth0]:80", "fe80::1"},
		{"127.0.0.1:8080", "127.0.0.1"},
		{"203.0.113.7", "203.0.113.7"},
		{"2001:db8::7", "2001:db8::7"},
		{"", ""},
		{"@", ""},
		{"localhost:8080", ""},
		{"203.0.113.7:", ""},
		{"203.0.113.7:99999", ""},
		{"[2001:db8::7]", ""},
		{"999.1.1.1:80", ""},
		{"203.0.113.7:80, 10.0.0.1", ""},
	} {
		got := enrich.ClientIP(tc.remoteAddr)
		var want netip.Addr
		if tc.want != "" {
			want = netip.MustParseAddr(tc.want)
		}
		if got != want {
			t.Errorf("ClientIP(%q) = %v, want %v", tc.remoteAddr, got, want)
		}
	}
}
