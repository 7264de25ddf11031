package testutil

import (
	"net"
	"testing"
	"time"
)

// DelayProxy forwards TCP connections to target, delaying everything each way by delay and
// keeping its order: a slow network link, in front of a real server. It returns the proxy's
// address.
func DelayProxy(t testing.TB, target string, delay time.Duration) string {
	t.Helper()
	return proxy(t, func(client net.Conn, keep func(net.Conn)) {
		server, err := net.Dial("tcp", target)
		if err != nil {
			client.Close()
			return
		}
		keep(server)
		go delayCopy(server, client, delay)
		go delayCopy(client, server, delay)
	})
}

// delayCopy copies from src to dst, each chunk written delay after it was read.
func delayCopy(dst, src net.Conn, delay time.Duration) {
	type chunk struct {
		data []byte
		due  time.Time
	}
	chunks := make(chan chunk, 1024)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{buf[:n], time.Now().Add(delay)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	// The source is done, or the destination failed: pass the end on, and let the reader finish.
	if tcp, ok := dst.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
	for range chunks {
	}
}
