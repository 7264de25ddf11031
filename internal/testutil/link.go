package testutil

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
)

// Link is a TCP proxy in front of a real server whose link a test can cut as a network partition
// does: the connections stay open but nothing passes either way, without a reset, and a new
// connection gets no answer; until Restore, after which new connections pass again.
type Link struct {
	addr string
	cut  atomic.Bool
}

// NewLink forwards the connections made to its Addr to target.
func NewLink(t testing.TB, target string) *Link {
	t.Helper()
	l := &Link{}
	l.addr = proxy(t, func(client net.Conn, keep func(net.Conn)) {
		if l.cut.Load() {
			go io.Copy(io.Discard, client) // held open, never answered
			return
		}
		server, err := net.Dial("tcp", target)
		if err != nil {
			client.Close()
			return
		}
		keep(server)
		dead := new(atomic.Bool)
		go l.forward(server, client, dead)
		go l.forward(client, server, dead)
	})
	return l
}

func (l *Link) Addr() string { return l.addr }

// Cut stops everything on the link: what is sent is lost.
func (l *Link) Cut() { l.cut.Store(true) }

// Restore lets new connections through; those open during the cut stay dead.
func (l *Link) Restore() { l.cut.Store(false) }

// forward copies src to dst until either closes, dropping what it reads while the link is cut,
// and from then on: a connection that lived through a cut (dead, shared by its two directions)
// never carries anything again.
func (l *Link) forward(dst, src net.Conn, dead *atomic.Bool) {
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if l.cut.Load() {
			dead.Store(true)
		}
		if dead.Load() {
			continue
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			return
		}
	}
}
