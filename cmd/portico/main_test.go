package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	natsbus "github.com/portico/portico/internal/bus/nats"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/testutil"
)

// The test binary doubles as the portico binary, so tests can run real server processes
// (and kill them) without building anything first.
func TestMain(m *testing.M) {
	if os.Getenv("PORTICO_TEST_BE_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// node is a portico process started by a test.
type node struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
}

func startNode(t *testing.T, args ...string) *node {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", addr, "--log-level", "warn", "--shutdown-timeout", "3s"}, args...)...)
	cmd.Env = append(os.Environ(), "PORTICO_TEST_BE_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, url: "http://" + addr, stderr: &stderr}
	t.Cleanup(func() {
		n.cmd.Process.Kill()
		n.cmd.Wait()
		if t.Failed() {
			t.Logf("node %s log:\n%s", n.url, stderr.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(n.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s not ready: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
}

// cli runs a portico command in-process and decodes its --json output.
func cli(t *testing.T, args ...string) map[string]any {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("portico %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	var v map[string]any
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("portico %s printed %q: %v", strings.Join(args, " "), out.String(), err)
	}
	return v
}

// A node killed mid-conversation loses no acknowledged message: its visitor carries on through
// another node, re-sending what was not acknowledged, and nothing is doubled.
func TestNodeKilledMidConversationLosesNothing(t *testing.T) {
	natsURL := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	dbURL := testutil.PostgresURL(t)
	acc := cli(t, "account", "create", "--name", "Crash Shop", "--database-url", dbURL, "--json")["account"].(map[string]any)
	opOut := cli(t, "operator", "create", "--account", acc["key"].(string), "--email", "op@crash.example", "--database-url", dbURL, "--json")

	nodeA := startNode(t, "--database-url", dbURL, "--nats-url", natsURL)
	nodeB := startNode(t, "--database-url", dbURL, "--nats-url", natsURL)

	login := testutil.DoHeaders(t, "POST", nodeB.url+"/api/v1/auth/login", "", map[string]string{"email": "op@crash.example", "password": opOut["password"].(string)}, nil).Want(t, 200)
	opToken := login.String("token")
	visit := testutil.DoHeaders(t, "POST", nodeA.url+"/api/v1/widget/visits", "", map[string]any{"account": acc["key"], "page": map[string]string{"url": "https://crash.example/"}}, nil).Want(t, 200)
	vt := visit.String("visitor_token")
	start := testutil.DoHeaders(t, "POST", nodeA.url+"/api/v1/widget/conversations", vt, map[string]any{"message": map[string]string{"body": "m0", "client_msg_id": "m0"}}, nil).Want(t, 201)
	id := start.String("conversation", "id")
	testutil.DoHeaders(t, "POST", nodeB.url+"/api/v1/conversations/"+id+"/claim", opToken, nil, nil).Want(t, 200)
	visitorSocket := testutil.Dial(t, strings.Replace(nodeA.url, "http", "ws", 1)+"/api/v1/widget/ws?token="+vt, nil)

	acked := map[string]bool{"m0": true}
	target := nodeA.url
	const total = 40
	for i := 1; i < total; i++ {
		clientID := fmt.Sprint("m", i)
		if i == total/2 {
			if err := nodeA.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			nodeA.cmd.Wait()
		}
		// Operator and visitor talk at the same time, on their own nodes.
		testutil.DoHeaders(t, "POST", nodeB.url+"/api/v1/conversations/"+id+"/messages", opToken, map[string]string{"body": "o" + clientID, "client_msg_id": "o" + clientID}, nil).Want(t, 201)
		for attempt := 0; ; attempt++ {
			status, err := post(target+"/api/v1/widget/conversations/"+id+"/messages", vt, map[string]string{"body": clientID, "client_msg_id": clientID})
			if err == nil && (status == 201 || status == 200) {
				acked[clientID] = true
				break
			}
			if attempt > 3 {
				t.Fatalf("%s not accepted by any node: %d %v", clientID, status, err)
			}
			target = nodeB.url // the widget reconnects elsewhere and sends again, same client id
		}
	}
	if target != nodeB.url {
		t.Fatal("the visitor never noticed node A was gone")
	}
	if code := visitorSocket.Closed(10 * time.Second); code == 1000 {
		t.Fatalf("socket to the killed node closed normally (%d)", code)
	}
	// Reconnect on B and catch up from the last seq the socket delivered: the database is the record.
	testutil.Dial(t, strings.Replace(nodeB.url, "http", "ws", 1)+"/api/v1/widget/ws?token="+vt, nil)
	all := testutil.DoHeaders(t, "GET", nodeB.url+"/api/v1/widget/conversations/"+id+"/messages?after=0", vt, nil, nil).Want(t, 200).List("messages")
	seen := map[string]bool{}
	for i, raw := range all {
		m := raw.(map[string]any)
		if m["seq"] != float64(i+1) {
			t.Fatalf("message %d has seq %v: not gap-free", i, m["seq"])
		}
		cid := m["client_msg_id"].(string)
		if seen[m["author"].(map[string]any)["type"].(string)+cid] {
			t.Fatalf("%s stored twice", cid)
		}
		seen[m["author"].(map[string]any)["type"].(string)+cid] = true
	}
	for cid := range acked {
		if !seen["visitor"+cid] {
			t.Fatalf("acknowledged message %s is lost", cid)
		}
	}
	if len(all) != 2*total-1 {
		t.Fatalf("%d messages stored, want %d", len(all), 2*total-1)
	}
}

// Two `serve` processes meet through a NATS server that requires TLS with client certificates
// signed by a private CA and a user's credentials file: the flags reach the bus, and a visitor on
// one node chats with an operator on the other. The user may use only the subjects under
// portico., as the README tells an administrator to allow.
func TestNodesMeetThroughASecuredNATSServer(t *testing.T) {
	pki := testutil.NewPKI(t)
	operatorConf, creds := testutil.NATSOperator(t, "portico.>")
	server := testutil.StartNATSWith(t, fmt.Sprintf("%s\ntls {\n cert_file: %q\n key_file: %q\n ca_file: %q\n verify: true\n}",
		operatorConf, pki.ServerCert, pki.ServerKey, pki.CA))
	dbURL := testutil.PostgresURL(t)
	acc := cli(t, "account", "create", "--name", "Secure Shop", "--database-url", dbURL, "--json")["account"].(map[string]any)
	opOut := cli(t, "operator", "create", "--account", acc["key"].(string), "--email", "op@secure.example", "--database-url", dbURL, "--json")
	natsArgs := []string{"--database-url", dbURL, "--nats-url", fmt.Sprintf("tls://127.0.0.1:%d", server.Port()),
		"--nats-ca", pki.CA, "--nats-cert", pki.ClientCert, "--nats-key", pki.ClientKey, "--nats-creds", creds}
	nodeA, nodeB := startNode(t, natsArgs...), startNode(t, natsArgs...)
	for _, n := range []*node{nodeA, nodeB} {
		if !strings.Contains(scrape(t, n.url), "portico_bus_connected 1") {
			t.Fatalf("node %s is not connected to NATS:\n%s", n.url, n.stderr.String())
		}
	}

	opToken := testutil.DoHeaders(t, "POST", nodeB.url+"/api/v1/auth/login", "", map[string]string{"email": "op@secure.example", "password": opOut["password"].(string)}, nil).Want(t, 200).String("token")
	operatorSocket := testutil.Dial(t, strings.Replace(nodeB.url, "http", "ws", 1)+"/api/v1/ws?token="+opToken, nil)
	vt := testutil.DoHeaders(t, "POST", nodeA.url+"/api/v1/widget/visits", "", map[string]any{"account": acc["key"], "page": map[string]string{"url": "https://secure.example/"}}, nil).Want(t, 200).String("visitor_token")
	id := testutil.DoHeaders(t, "POST", nodeA.url+"/api/v1/widget/conversations", vt, map[string]any{"message": map[string]string{"body": "over TLS", "client_msg_id": "s1"}}, nil).Want(t, 201).String("conversation", "id")
	if f := operatorSocket.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }); testutil.Field(f, "conversation", "id") != id {
		t.Fatalf("the operator on node B got %v", f)
	}
	testutil.DoHeaders(t, "POST", nodeB.url+"/api/v1/conversations/"+id+"/claim", opToken, nil, nil).Want(t, 200)
	visitorSocket := testutil.Dial(t, strings.Replace(nodeA.url, "http", "ws", 1)+"/api/v1/widget/ws?token="+vt, nil)
	testutil.DoHeaders(t, "POST", nodeB.url+"/api/v1/conversations/"+id+"/messages", opToken, map[string]string{"body": "answered over TLS", "client_msg_id": "o1"}, nil).Want(t, 201)
	if f := visitorSocket.Next("message"); testutil.Field(f, "message", "body") != "answered over TLS" {
		t.Fatalf("the visitor on node A got %v", f)
	}
}

// scrape reads a node's /metrics.
func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func post(url, token string, body any) (int, error) {
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// On SIGTERM a node tells its clients to reconnect elsewhere and exits within its deadline.
func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	acc := cli(t, "account", "create", "--name", "Shop", "--data", dir, "--json")["account"].(map[string]any)
	n := startNode(t, "--data", dir)
	visit := testutil.DoHeaders(t, "POST", n.url+"/api/v1/widget/visits", "", map[string]any{"account": acc["key"], "page": map[string]string{"url": "https://shop.example/"}}, nil).Want(t, 200)
	socket := testutil.Dial(t, strings.Replace(n.url, "http", "ws", 1)+"/api/v1/widget/ws?token="+visit.String("visitor_token"), nil)

	n.cmd.Process.Signal(syscall.SIGTERM)
	socket.Next("reconnect")
	if code := socket.Closed(5 * time.Second); code != 1001 {
		t.Fatalf("close code %d, want 1001", code)
	}
	n.exitsCleanly(t, "")
}

// A node stopped with SIGTERM says goodbye on NATS before it exits, so that the other nodes
// drop its visitors and operators at once rather than 35 s later; everything it published
// before has reached the server by then.
func TestAStoppingNodeSaysGoodbyeToTheOthers(t *testing.T) {
	server := testutil.StartNATS(t)
	watcher, err := natsbus.Connect(config.NATS{URL: server.URL()}, "watcher", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	presence := make(chan string, 100)
	unsubscribe, err := watcher.Subscribe("presence", func(p []byte) { presence <- string(p) })
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := watcher.Confirm(ctx); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, "--data", t.TempDir(), "--nats-url", server.URL())
	next := func(what string) string {
		t.Helper()
		for {
			select {
			case p := <-presence:
				if strings.Contains(p, what) {
					return p
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no presence message with %s within 10 s", what)
			}
		}
	}
	next(`"hello":true`)
	n.cmd.Process.Signal(syscall.SIGTERM)
	n.exitsCleanly(t, "")
	next(`"bye":true`)
}

// exitsCleanly waits for the node, which was sent SIGTERM, to exit with status 0.
func (n *node) exitsCleanly(t *testing.T, while string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- n.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM%s: %v\n%s", while, err, n.stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("node still running 10 s after SIGTERM")
	}
}

// A connection on which no request has begun (a browser's preconnect, a client's spare dial)
// does not hold the shutdown: net/http alone waits 5 s for one, past a 3-s deadline.
func TestShutdownDoesNotWaitForASilentConnection(t *testing.T) {
	n := startNode(t, "--data", t.TempDir())
	silent, err := net.Dial("tcp", strings.TrimPrefix(n.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// The server accepts in order: once a later connection is answered, the silent one is in.
	resp, err := http.Get(n.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	n.cmd.Process.Signal(syscall.SIGTERM)
	n.exitsCleanly(t, " with a silent connection open")
}

// A node runs with Go's own choice of Ps, one a core: on two cores, four Ps (for the garbage
// collector's dedicated worker) made the scheduler wake and park idle threads around every
// request, a sixth of the node's system calls (docs/benchmarks.md, round thirty-four). A
// GOMAXPROCS set by whoever runs it is kept.
func TestNodeRunsWithGoDefaultProcs(t *testing.T) {
	procs := func(n *node) float64 {
		t.Helper()
		res := testutil.DoHeaders(t, "GET", n.url+"/metrics", "", nil, nil).Want(t, http.StatusOK)
		for line := range strings.SplitSeq(string(res.Raw), "\n") {
			if v, ok := strings.CutPrefix(line, "go_sched_gomaxprocs_threads "); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatal(err)
				}
				return f
			}
		}
		t.Fatal("/metrics has no go_sched_gomaxprocs_threads")
		return 0
	}
	if os.Getenv("GOMAXPROCS") == "" {
		if got, want := procs(startNode(t, "--data", t.TempDir())), runtime.GOMAXPROCS(0); got != float64(want) {
			t.Errorf("node runs with %v Ps, want Go's default %d", got, want)
		}
	}
	t.Setenv("GOMAXPROCS", "3")
	if got := procs(startNode(t, "--data", t.TempDir())); got != 3 {
		t.Errorf("with GOMAXPROCS=3 the node runs with %v Ps, want 3", got)
	}
}
