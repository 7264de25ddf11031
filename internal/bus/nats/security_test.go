package nats_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/bus/nats"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/testutil"
)

// reaches says whether an event a publishes reaches b's subscriber within the deadline. A
// cluster's servers tell each other of a new subscription a little after it is made, so the
// event is published again until it arrives.
func reaches(t *testing.T, a, b *nats.Bus, within time.Duration) bool {
	t.Helper()
	topic := fmt.Sprintf("test.reach.%d", time.Now().UnixNano())
	got := make(chan struct{}, 1)
	unsubscribe, err := b.Subscribe(topic, func([]byte) {
		select {
		case got <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	deadline := time.After(within)
	for {
		if err := a.Publish(context.Background(), topic, []byte("hello")); err != nil && a.Connected() {
			t.Fatal(err)
		}
		select {
		case <-got:
			return true
		case <-deadline:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// happens waits for a signal on ch; what says what is wrong if none comes within 10 s.
func happens(t *testing.T, what string, ch chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("waited 10 s for %s", what)
	}
}

// refused starts a node with cfg, which the server turns away, and waits for its log to say why.
func refused(t *testing.T, cfg config.NATS, why string) {
	t.Helper()
	var logged syncBuffer
	n := connectWith(t, cfg, "refused", slog.New(slog.NewTextHandler(&logged, nil)))
	reason := `msg="NATS unreachable; trying again every 250 ms" err=`
	waitForLog(t, &logged, reason, 1)
	line := logged.String()[strings.Index(logged.String(), reason):]
	if line, _, _ = strings.Cut(line, "\n"); !strings.Contains(line, why) {
		t.Fatalf("the reason logged is %q, want it to say %q", line, why)
	}
	if n.Connected() {
		t.Fatalf("connected with %+v", cfg)
	}
}

// Nodes reach a server that requires TLS and client certificates signed by a private CA, given
// the CA and their certificate; a node without its certificate, or that does not trust the CA,
// is refused and says why in its log.
func TestNodesMeetOverTLSWithClientCertificates(t *testing.T) {
	pki := testutil.NewPKI(t)
	server := testutil.StartNATSWith(t, fmt.Sprintf("tls {\n cert_file: %q\n key_file: %q\n ca_file: %q\n verify: true\n}", pki.ServerCert, pki.ServerKey, pki.CA))
	url := fmt.Sprintf("tls://127.0.0.1:%d", server.Port())
	full := config.NATS{URL: url, CAFile: pki.CA, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}
	a, b := connectWith(t, full, "a", slog.New(slog.DiscardHandler)), connectWith(t, full, "b", slog.New(slog.DiscardHandler))
	if !reaches(t, a, b, 10*time.Second) || !reaches(t, b, a, 10*time.Second) {
		t.Fatal("events do not pass between the nodes over TLS")
	}
	// A nats:// URL with --nats-ca is TLS too.
	c := connectWith(t, config.NATS{URL: server.URL(), CAFile: pki.CA, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}, "c", slog.New(slog.DiscardHandler))
	if !reaches(t, c, a, 10*time.Second) {
		t.Fatal("a nats:// URL with a CA does not use TLS")
	}
	// The server closes the connection at the handshake: the client sees its alert ("tls: bad
	// certificate") or the closed connection ("tls error: connection closed by remote").
	refused(t, config.NATS{URL: url, CAFile: pki.CA}, "tls")
	refused(t, config.NATS{URL: url, CertFile: pki.ClientCert, KeyFile: pki.ClientKey}, "certificate signed by unknown authority")
}

// A user and password in the URL, or a token, are what a server with one user asks for; a wrong
// password is refused and logged as such. The log never shows a token or a password.
func TestAUserOrATokenInTheURL(t *testing.T) {
	users := testutil.StartNATSWith(t, "authorization {\n user: portico\n password: \"pw-of-portico\"\n}")
	withPassword := fmt.Sprintf("nats://portico:pw-of-portico@127.0.0.1:%d", users.Port())
	var logged syncBuffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	a, b := connectWith(t, config.NATS{URL: withPassword}, "a", log), connect(t, withPassword, "b")
	if !reaches(t, a, b, 10*time.Second) {
		t.Fatal("events do not pass between nodes that sign in with a password")
	}
	refused(t, config.NATS{URL: fmt.Sprintf("nats://portico:wrong@127.0.0.1:%d", users.Port())}, "Authorization Violation")

	tokens := testutil.StartNATSWith(t, "authorization {\n token: \"token-of-portico\"\n}")
	tokens.Stop() // so that the node logs the server it connects to once it comes
	withToken := fmt.Sprintf("nats://token-of-portico@127.0.0.1:%d", tokens.Port())
	c := connectWith(t, config.NATS{URL: withToken}, "c", log)
	tokens.Start()
	waitForLog(t, &logged, "NATS connected", 1)
	if !reaches(t, c, connect(t, withToken, "d"), 10*time.Second) {
		t.Fatal("events do not pass between nodes that sign in with a token")
	}
	for _, secret := range []string{"pw-of-portico", "token-of-portico"} {
		if strings.Contains(logged.String(), secret) {
			t.Fatalf("the log shows %q:\n%s", secret, logged.String())
		}
	}
}

// A server in operator mode admits the user of a credentials file (a JWT signed by its
// account, and the user's NKey seed) and no one without it.
func TestNodesSignInWithACredentialsFile(t *testing.T) {
	conf, creds := testutil.NATSOperator(t)
	server := testutil.StartNATSWith(t, conf)
	withCreds := config.NATS{URL: server.URL(), CredsFile: creds}
	a, b := connectWith(t, withCreds, "a", slog.New(slog.DiscardHandler)), connectWith(t, withCreds, "b", slog.New(slog.DiscardHandler))
	if !reaches(t, a, b, 10*time.Second) {
		t.Fatal("events do not pass between nodes signed in with a credentials file")
	}
	refused(t, config.NATS{URL: server.URL()}, "Authorization Violation")
}

// With a cluster's servers in --nats-url a node starts on whichever answers, and when its server
// goes away it moves to another, reports the gap, and events pass between the nodes again.
func TestANodeMovesToAnotherServerOfTheCluster(t *testing.T) {
	routes := []int{testutil.FreePort(t), testutil.FreePort(t)}
	cluster := func(own, other int) string {
		return fmt.Sprintf("cluster {\n name: portico\n listen: 127.0.0.1:%d\n routes: [nats-route://127.0.0.1:%d]\n}", own, other)
	}
	servers := []*testutil.NATSServer{testutil.StartNATSWith(t, cluster(routes[0], routes[1])), testutil.StartNATSWith(t, cluster(routes[1], routes[0]))}
	list := servers[0].URL() + ", " + servers[1].URL()

	servers[0].Stop()
	a := connect(t, list, "a")
	b := connect(t, list, "b")
	if !reaches(t, a, b, 10*time.Second) {
		t.Fatal("nodes given a list whose first server is down do not meet on the second")
	}
	servers[0].Start()
	gaps := make(chan struct{}, 10)
	a.OnGap(func() { gaps <- struct{}{} })
	if a.Server() != servers[1].URL() {
		t.Fatalf("node a is on %q, want the only server that was up", a.Server())
	}
	servers[1].Stop()
	select {
	case <-gaps:
	case <-time.After(10 * time.Second):
		t.Fatal("no gap reported after the node's server went away")
	}
	if a.Server() != servers[0].URL() {
		t.Fatalf("node a is on %q after its server went away, want %q", a.Server(), servers[0].URL())
	}
	if !reaches(t, a, b, 10*time.Second) || !reaches(t, b, a, 10*time.Second) {
		t.Fatal("events do not pass between the nodes after they moved to the other server")
	}
}

// A node whose link to NATS breaks without a reset (a network partition) notices it within a
// few pings, drops what its reconnect buffer cannot hold without an error for each event (one
// line in its log), and once back tells the other nodes, which report a gap: what it published
// meanwhile never reached them, and their clients must catch up.
func TestANodeCutOffTellsTheOthersItsEventsWereLost(t *testing.T) {
	defer nats.SetPingInterval(100 * time.Millisecond)()
	defer nats.SetReconnectBuffer(4 << 10)()
	server := testutil.StartNATS(t)
	link := testutil.NewLink(t, fmt.Sprintf("127.0.0.1:%d", server.Port()))
	var loggedA, loggedB syncBuffer
	a := connectWith(t, config.NATS{URL: "nats://" + link.Addr()}, "a", slog.New(slog.NewTextHandler(&loggedA, nil)))
	b := connectWith(t, config.NATS{URL: server.URL()}, "b", slog.New(slog.NewTextHandler(&loggedB, nil)))
	cutA, gapA, gapB := make(chan struct{}, 10), make(chan struct{}, 10), make(chan struct{}, 10)
	a.OnCut(func() { cutA <- struct{}{} })
	a.OnGap(func() { gapA <- struct{}{} })
	b.OnGap(func() { gapB <- struct{}{} })
	if !reaches(t, a, b, 10*time.Second) {
		t.Fatal("events do not pass through the link")
	}

	link.Cut()
	happens(t, "node a to notice its link is dead", cutA)
	for i := range 100 {
		if err := a.Publish(context.Background(), "test.cut", make([]byte, 1024)); err != nil {
			t.Fatalf("event %d published while cut off: %v", i, err)
		}
	}
	const dropped = "events for the other nodes are dropped"
	if n := strings.Count(loggedA.String(), dropped); n != 1 {
		t.Fatalf("the drops logged %d times, want once:\n%s", n, loggedA.String())
	}
	if len(gapB) != 0 {
		t.Fatal("node b reports a gap while node a is cut off")
	}
	link.Restore()
	happens(t, "node a's gap once back", gapA)
	happens(t, "node b's gap: told of node a's losses", gapB)
	waitForLog(t, &loggedB, `another node was cut off from NATS`, 1)
	if !reaches(t, a, b, 10*time.Second) {
		t.Fatal("events do not pass once the link is back")
	}
}

// When both nodes were cut off, a node's own catch-up after its link came back already covered
// what the other had in flight when its link broke: the other's notice brings no second gap.
// Unless the other's buffer refused events, which may have been stored after that catch-up.
func TestALossNoticeCoveredByTheNodesOwnGapBringsNoOther(t *testing.T) {
	defer nats.SetPingInterval(100 * time.Millisecond)()
	defer nats.SetReconnectBuffer(4 << 10)()
	server := testutil.StartNATS(t)
	target := fmt.Sprintf("127.0.0.1:%d", server.Port())
	linkA, linkB := testutil.NewLink(t, target), testutil.NewLink(t, target)
	a := connect(t, "nats://"+linkA.Addr(), "a")
	b := connect(t, "nats://"+linkB.Addr(), "b")
	gapA, gapB := make(chan struct{}, 10), make(chan struct{}, 10)
	a.OnGap(func() { gapA <- struct{}{} })
	b.OnGap(func() { gapB <- struct{}{} })
	if !reaches(t, a, b, 10*time.Second) || !reaches(t, b, a, 10*time.Second) {
		t.Fatal("events do not pass through the links")
	}
	cutBoth := func() {
		t.Helper()
		linkA.Cut()
		linkB.Cut()
		for a.Connected() || b.Connected() {
			time.Sleep(10 * time.Millisecond)
		}
	}
	// A's link comes back first and A catches up; then B's, and B tells A of its in-flight losses.
	backInTurn := func() {
		t.Helper()
		linkA.Restore()
		happens(t, "node a's own gap", gapA)
		linkB.Restore()
		happens(t, "node b's own gap", gapB)
		// b's notice went out before b's gap, so a has it by now (another subscription's
		// handler may still be on it for a moment).
		if !reaches(t, b, a, 10*time.Second) {
			t.Fatal("events do not pass once both links are back")
		}
	}

	cutBoth()
	backInTurn()
	select {
	case <-gapA:
		t.Fatal("node a reported a second gap for what its own had covered")
	case <-time.After(300 * time.Millisecond):
	}

	cutBoth()
	for range 100 { // past b's reconnect buffer
		b.Publish(context.Background(), "test.cut", make([]byte, 1024))
	}
	backInTurn()
	happens(t, "node a's gap: told of the events node b's buffer refused", gapA)
}
