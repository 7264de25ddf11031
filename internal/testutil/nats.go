package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// NATSServer is a nats-server process of the test's own, which the test may stop and start
// again on the same port (an outage), unlike the shared one of PORTICO_TEST_NATS_URL.
type NATSServer struct {
	t    testing.TB
	bin  string
	port int
	// conf is the server's configuration file, if it was given one (TLS, users, a cluster).
	conf string
	cmd  *exec.Cmd
}

// StartNATS starts a nats-server (the Debian package's binary) on a free loopback port. Without
// the binary the test is skipped on a laptop and fails in CI, like Need.
func StartNATS(t testing.TB) *NATSServer {
	t.Helper()
	return StartNATSWith(t, "")
}

// StartNATSWith starts a nats-server with conf, the body of a configuration file (tls { … },
// authorization { … }, cluster { … }), on a free loopback port.
func StartNATSWith(t testing.TB, conf string) *NATSServer {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("nats-server is not installed: CI must provide it (see .ci/run)")
		}
		t.Skip("nats-server is not installed: skipping the test that stops and starts its own")
	}
	s := &NATSServer{t: t, bin: bin, port: FreePort(t)}
	if conf != "" {
		s.conf = filepath.Join(t.TempDir(), "nats.conf")
		if err := os.WriteFile(s.conf, []byte(fmt.Sprintf("listen: 127.0.0.1:%d\n%s\n", s.port, conf)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (s *NATSServer) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// Port is the port clients connect to.
func (s *NATSServer) Port() int { return s.port }

// Start runs the server and waits until it takes connections.
func (s *NATSServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port))
	if s.conf != "" {
		s.cmd = exec.Command(s.bin, "-c", s.conf)
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port))
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("nats-server not listening on port %d after 10 s", s.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server, as a crash would, and waits for it to be gone. It may be called more
// than once.
func (s *NATSServer) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}
