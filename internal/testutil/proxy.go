package testutil

import (
	"net"
	"sync"
	"testing"
)

// proxy accepts TCP connections on a loopback port and hands each to serve, with keep to
// register the connections serve opens; every connection is closed when the test ends. It
// returns the proxy's address.
func proxy(t testing.TB, serve func(client net.Conn, keep func(net.Conn))) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var open []net.Conn
	stopped := false
	// keep closes c at once if the test has ended already.
	keep := func(c net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			c.Close()
			return
		}
		open = append(open, c)
	}
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		for _, c := range open {
			c.Close()
		}
	})
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			keep(client)
			serve(client, keep)
		}
	}()
	return ln.Addr().String()
}
