package enrich

import "net/netip"

// AnonymizeIP zeroes the host part of an address, keeping the network an operator may still
// want to see: the last octet of IPv4 (/24) and the last 80 bits of IPv6 (/48). An
// IPv4-mapped IPv6 address is treated, and returned, as IPv4. The zone is dropped; the zero
// Addr stays zero.
func AnonymizeIP(ip netip.Addr) netip.Addr {
	if !ip.IsValid() {
		return netip.Addr{}
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		// Unreachable: bits fits both families.
		return netip.Addr{}
	}
	return p.Addr()
}

// ClientIP reads the visitor's address from a request's RemoteAddr ("ip:port", or a bare
// address), as IPv4 when it is IPv4-mapped and without a zone. It returns the zero Addr for
// anything else. Behind a reverse proxy RemoteAddr is the proxy: which forwarded header to
// believe is for the caller to decide.
func ClientIP(remoteAddr string) netip.Addr {
	var ip netip.Addr
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		ip = ap.Addr()
	} else if a, err := netip.ParseAddr(remoteAddr); err == nil {
		ip = a
	} else {
		return netip.Addr{}
	}
	return ip.Unmap().WithZone("")
}
