package app_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// twoNodes starts two Portico nodes on one PostgreSQL database and one NATS server.
func twoNodes(t *testing.T) (a, b *testutil.Server) {
	t.Helper()
	natsURL := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	dbURL := testutil.PostgresURL(t)
	return node(t, dbURL, natsURL), node(t, dbURL, natsURL)
}

// node starts a Portico node on the PostgreSQL database and the NATS server.
func node(t *testing.T, dbURL, natsURL string) *testutil.Server {
	t.Helper()
	return testutil.NewServer(t, testutil.WithStore(testutil.OpenPostgresAt(t, dbURL)), testutil.WithNATS(natsURL))
}

func TestChatAndPresenceAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	acc := a.Account(domain.KindWebsite, nil, "")
	op, opToken := b.Operator(acc, domain.RoleAgent)
	operator := b.DialOperator(opToken)

	vt, vid := a.Visitor(acc, "https://shop.example/")
	// The visitor's node learns that an operator on the other node can answer.
	eventually(t, "visitor's node sees the operator online", func() bool {
		r := a.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": acc.Key, "visitor_token": vt, "page": map[string]string{"url": "https://shop.example/2"}})
		return r.Path("online") == true
	})
	visitor := a.DialVisitor(vt)
	operator.NextWhere("presence", func(f map[string]any) bool { return f["visitor_id"] == vid && f["online"] == true })
	eventually(t, "operator's node sees the visitor online", func() bool {
		return b.Do("GET", "/api/v1/visitors/"+vid, opToken, nil).Path("visitor", "online") == true
	})

	id := a.StartChat(vt, "hello from node A")
	operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" })
	b.Do("POST", "/api/v1/conversations/"+id+"/claim", opToken, nil).Want(t, http.StatusOK)
	if f := visitor.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "claimed" }); testutil.Field(f, "by", "id") != op.ID {
		t.Fatalf("claimed on node A: %v", f)
	}
	b.Do("POST", "/api/v1/conversations/"+id+"/messages", opToken, map[string]string{"body": "hello from node B", "client_msg_id": "b1"}).Want(t, http.StatusCreated)
	if f := visitor.Next("message"); testutil.Field(f, "message", "body") != "hello from node B" {
		t.Fatalf("visitor on A got %v", f)
	}
	visitor.Send(map[string]any{"type": "typing", "conversation_id": id, "typing": true})
	operator.Next("typing")

	visitor.Conn.CloseNow()
	operator.NextWhere("presence", func(f map[string]any) bool { return f["visitor_id"] == vid && f["online"] == false })
	eventually(t, "the visitor is offline on every node", func() bool {
		return b.Do("GET", "/api/v1/visitors/"+vid, opToken, nil).Path("visitor", "online") == false
	})
}

// An operator with tabs on two nodes who goes away is away everywhere.
func TestOperatorStatusReachesEveryNode(t *testing.T) {
	a, b := twoNodes(t)
	acc := a.Account(domain.KindWebsite, nil, "")
	_, token := a.Operator(acc, domain.RoleAgent)
	a.DialOperator(token)
	b.DialOperator(token)
	vt, _ := a.Visitor(acc, "https://shop.example/")
	online := func(srv *testutil.Server) bool {
		return srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": acc.Key, "visitor_token": vt, "page": map[string]string{"url": "https://shop.example/"}}).Path("online") == true
	}
	eventually(t, "both nodes see the operator online", func() bool { return online(a) && online(b) })
	a.Do("PATCH", "/api/v1/me", token, map[string]string{"status": "away"}).Want(t, http.StatusOK)
	eventually(t, "both nodes see the operator away", func() bool { return !online(a) && !online(b) })
}

func TestClaimRaceAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	acc := a.Account(domain.KindWebsite, nil, "")
	type claimer struct {
		node  *testutil.Server
		token string
	}
	var claimers []claimer
	for i := 0; i < 10; i++ {
		_, ta := a.Operator(acc, domain.RoleAgent)
		_, tb := b.Operator(acc, domain.RoleAgent)
		claimers = append(claimers, claimer{a, ta}, claimer{b, tb})
	}
	vt, _ := a.Visitor(acc, "https://shop.example/")
	id := a.StartChat(vt, "who takes me?")
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	start := make(chan struct{})
	for _, c := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := c.node.Do("POST", "/api/v1/conversations/"+id+"/claim", c.token, nil)
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	if statuses[http.StatusOK] != 1 || statuses[http.StatusConflict] != len(claimers)-1 {
		t.Fatalf("statuses %v; want one 200 and %d × 409", statuses, len(claimers)-1)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The visitor list is the same on every node: a visitor on node A is listed, followed and
// invited by an operator on node B, and their leaving is announced there.
func TestVisitorListAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	acc := a.Account(domain.KindWebsite, nil, "")
	_, opToken := b.Operator(acc, domain.RoleAgent)
	operator := b.DialOperator(opToken)
	eventually(t, "node A knows node B", func() bool { return a.App.Hub.OperatorsConnected(acc.ID) })

	vt, vid := a.Visitor(acc, "https://shop.example/cars/1")
	visitor := a.DialVisitor(vt)
	if f := operator.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "online" }); testutil.Field(f, "visitor", "id") != vid {
		t.Fatalf("online frame on node B: %v", f)
	}
	eventually(t, "node B lists the visitor of node A", func() bool {
		list := b.Do("GET", "/api/v1/visitors?online=true", opToken, nil).List("visitors")
		return len(list) == 1 && list[0].(map[string]any)["id"] == vid
	})
	b.Do("POST", "/api/v1/visitors/"+vid+"/invite", opToken, map[string]string{"message": "Hello from node B"}).Want(t, http.StatusAccepted)
	if f := visitor.Next("invitation"); testutil.Field(f, "invitation", "message") != "Hello from node B" {
		t.Fatalf("invitation on node A: %v", f)
	}
	visitor.Conn.CloseNow()
	operator.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "offline" && f["visitor_id"] == vid })
	eventually(t, "node B lists nobody", func() bool {
		return len(b.Do("GET", "/api/v1/visitors?online=true", opToken, nil).List("visitors")) == 0
	})
}

// Page views of the same visitors arriving on two nodes at once are group-committed by each
// node; the batches must not deadlock each other in PostgreSQL.
func TestConcurrentPageViewsOnTwoNodes(t *testing.T) {
	a, b := twoNodes(t)
	acc := a.Account(domain.KindWebsite, nil, "")
	const visitors, pages = 50, 20
	tokens := make([]string, visitors)
	for i := range tokens {
		tokens[i], _ = a.Visitor(acc, "https://shop.example/")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for p := 0; p < pages; p++ {
		for i, token := range tokens {
			for _, node := range []*testutil.Server{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					body := map[string]any{"account": acc.Key, "visitor_token": token, "page": map[string]string{"url": fmt.Sprintf("https://shop.example/%d/%d", i, p)}}
					res := testutil.DoHeaders(t, "POST", node.URL+"/api/v1/widget/visits", "", body, nil)
					if res.Status != http.StatusOK {
						mu.Lock()
						failures++
						mu.Unlock()
						t.Logf("page view: %d %s", res.Status, res.Raw)
					}
				}()
			}
		}
	}
	wg.Wait()
	if failures > 0 {
		t.Fatalf("%d of %d page views failed", failures, visitors*pages*2)
	}
}

// On NATS an idle visitor's connection costs the node no goroutine: the node follows every
// visitor topic with one subscription from its start, not one (with its own goroutine) per
// visitor, and its poller starts a reader only when the visitor sends something. When they
// have all gone, the goroutines are back to what they were before the first came.
func TestIdleVisitorConnectionsOnNATSCostNoGoroutine(t *testing.T) {
	a, _ := twoNodes(t)
	acc := a.Account(domain.KindWebsite, nil, "")
	const n = 200
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i], _ = a.Visitor(acc, "https://shop.example/")
	}
	before := settledGoroutines()
	sockets := make([]*testutil.Socket, n)
	for i, token := range tokens {
		sockets[i] = a.DialVisitor(token)
	}
	eventually(t, "every visitor is connected", func() bool { _, v := a.App.Hub.ConnectionCounts(); return v == n })
	// Each test socket adds its own reader goroutine in this process; the node adds none.
	eventually(t, "the node's goroutines settle", func() bool { return runtime.NumGoroutine()-before <= n+n/10 })
	for _, s := range sockets {
		s.Conn.CloseNow()
	}
	eventually(t, "every visitor is gone", func() bool { _, v := a.App.Hub.ConnectionCounts(); return v == 0 })
	deadline := time.Now().Add(10 * time.Second)
	for settledGoroutines() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before the first visitor:\n%s", settledGoroutines(), before, goroutineStacks())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A portal visitor on one node follows advertisers whose operators are on the other: it hears
// their availability. Following many advertisers costs the node no subscription (and so no
// goroutine) each: the followers' topics are one family on NATS.
func TestFollowedAdvertisersAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	portal := a.Account(domain.KindPortal, nil, "")
	const n = 40
	advertisers := make([]*domain.Account, n)
	ids := make([]string, n)
	for i := range advertisers {
		ids[i] = fmt.Sprintf("agency-%d", i)
		advertisers[i] = a.Account(domain.KindAdvertiser, portal, ids[i])
	}
	vt, _ := a.Visitor(portal, "https://portal.example/")
	visitor := a.DialVisitor(vt)
	visitor.Next("presence")
	before := settledGoroutines()
	visitor.Send(map[string]any{"type": "follow", "advertisers": ids})
	for range n {
		if f := visitor.Next("presence"); f["online"] != false || f["advertiser"] == nil {
			t.Fatalf("on following: %v", f)
		}
	}
	if grown := settledGoroutines() - before; grown >= n/2 {
		t.Fatalf("following %d advertisers took %d goroutines more", n, grown)
	}
	_, token := b.Operator(advertisers[7], domain.RoleAgent)
	b.DialOperator(token)
	if f := visitor.Next("presence"); f["online"] != true || f["advertiser"] != "agency-7" {
		t.Fatalf("agency-7's operator connected on the other node: %v", f)
	}

	// The portal's backup operator, on the other node, answers for the 39 with nobody there.
	_, admin := b.Operator(portal, domain.RoleAdmin)
	b.Do("PUT", "/api/v1/portal/backup", admin, map[string]any{"enabled": true}).Want(t, http.StatusOK)
	backup := b.DialOperator(admin)
	awaitAvailability := func(online bool) {
		t.Helper()
		heard := map[any]bool{}
		for len(heard) < n-1 {
			f := visitor.Next("presence")
			if f["advertiser"] == "agency-7" {
				t.Fatalf("agency-7's own operator answers, yet: %v", f)
			}
			if f["online"] == online {
				heard[f["advertiser"]] = true
			}
		}
	}
	awaitAvailability(true)
	backup.Conn.CloseNow()
	awaitAvailability(false)
}

// settledGoroutines counts this process's goroutines once the HTTP client's idle connections
// (two goroutines each here, one on the server) are closed and the count stops falling.
func settledGoroutines() int {
	http.DefaultClient.CloseIdleConnections()
	n := countedGoroutines()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		next := countedGoroutines()
		if next >= n {
			return next
		}
		n = next
	}
	return n
}

// pgxBackgroundReader is the frame of the goroutine pgx starts to read while it writes a query.
// Stopped once the write is done, it may still wait for the server's next message on an idle
// pool connection until that connection's next query: one per pool connection at most, it comes
// and goes with the pool's traffic, not with visitors.
const pgxBackgroundReader = "bgreader.(*BGReader).bgRead"

// countedGoroutines is the number of goroutines less pgx's background readers.
func countedGoroutines() int {
	n := 0
	for _, stack := range strings.Split(goroutineStacks(), "\n\n") {
		if stack != "" && !strings.Contains(stack, pgxBackgroundReader) {
			n++
		}
	}
	return n
}

func goroutineStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// NATS keeps nothing for a node that cannot reach it: the events of an outage are lost between
// nodes. Once a node is back on NATS its clients are sent to reconnect, and their resume fetches
// from the database what they missed; live events then cross the nodes again.
func TestClientsCatchUpAfterANATSOutage(t *testing.T) {
	server := testutil.StartNATS(t)
	dbURL := testutil.PostgresURL(t)
	a, b := node(t, dbURL, server.URL()), node(t, dbURL, server.URL())
	acc := a.Account(domain.KindWebsite, nil, "")
	_, opToken := b.Operator(acc, domain.RoleAgent)
	operator := b.DialOperator(opToken)
	vt, vid := a.Visitor(acc, "https://shop.example/")
	visitor := a.DialVisitor(vt)
	operator.NextWhere("presence", func(f map[string]any) bool { return f["visitor_id"] == vid && f["online"] == true })

	server.Stop()
	// Operators hear that other nodes' events are paused, and so does one who connects meanwhile;
	// visitors are not told.
	operator.Next("paused")
	latecomer := b.DialOperator(opToken)
	latecomer.Next("paused")
	visitor.Quiet("paused", 300*time.Millisecond)
	id := a.StartChat(vt, "hello while NATS is down")
	operator.QuietWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }, 300*time.Millisecond)
	server.Start()
	operator.Next("reconnect")
	latecomer.Next("reconnect")
	visitor.Next("reconnect")
	if code := operator.Closed(5 * time.Second); code != 1001 {
		t.Fatalf("operator's socket closed with %d, want 1001 (going away)", code)
	}

	// The console's resume finds the chat it did not hear of.
	found := false
	for _, c := range b.Do("GET", "/api/v1/conversations?status=waiting", opToken, nil).Want(t, http.StatusOK).List("conversations") {
		found = found || c.(map[string]any)["id"] == id
	}
	if !found {
		t.Fatalf("conversation %s not in the operator's list after the outage", id)
	}
	// Both nodes are back on NATS: the operator on node B answers, and the visitor, back on node
	// A, hears it live (node A's subscription to the visitors' topics came back with NATS).
	visitor = a.DialVisitor(vt)
	b.Do("POST", "/api/v1/conversations/"+id+"/claim", opToken, nil).Want(t, http.StatusOK)
	b.Do("POST", "/api/v1/conversations/"+id+"/messages", opToken, map[string]string{"body": "back again", "client_msg_id": "b1"}).Want(t, http.StatusCreated)
	if f := visitor.Next("message"); testutil.Field(f, "message", "body") != "back again" {
		t.Fatalf("visitor on node A got %v", f)
	}
}

// NATS carries fan-out only, so a node whose NATS server is down when it starts serves its own
// clients from the database meanwhile, as during an outage, and joins the other nodes once the
// server comes: its clients catch up then, and events cross the nodes again.
func TestANodeStartsWhileNATSIsDown(t *testing.T) {
	server := testutil.StartNATS(t)
	dbURL := testutil.PostgresURL(t)
	b := node(t, dbURL, server.URL())
	server.Stop()
	a := node(t, dbURL, server.URL())
	if m := string(a.Do("GET", "/metrics", "", nil).Want(t, http.StatusOK).Raw); !strings.Contains(m, "\nportico_bus_connected 0\n") {
		t.Fatalf("/metrics of the node without NATS lacks portico_bus_connected 0:\n%s", m)
	}
	acc := a.Account(domain.KindWebsite, nil, "")
	_, tokenA := a.Operator(acc, domain.RoleAgent)
	_, tokenB := b.Operator(acc, domain.RoleAgent)
	operatorA := a.DialOperator(tokenA)
	operatorA.Next("paused") // the console says other nodes' events are not coming
	vt, _ := a.Visitor(acc, "https://shop.example/")
	visitor := a.DialVisitor(vt)

	// On its own the node works: its operator hears the chat, and the visitor the answer.
	id := a.StartChat(vt, "hello before NATS")
	operatorA.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" })
	a.Do("POST", "/api/v1/conversations/"+id+"/claim", tokenA, nil).Want(t, http.StatusOK)
	a.Do("POST", "/api/v1/conversations/"+id+"/messages", tokenA, map[string]string{"body": "answered alone", "client_msg_id": "a1"}).Want(t, http.StatusCreated)
	if f := visitor.Next("message"); testutil.Field(f, "message", "body") != "answered alone" {
		t.Fatalf("visitor got %v", f)
	}

	server.Start()
	operatorA.Next("reconnect")
	visitor.Next("reconnect")
	eventually(t, "the late node reports NATS connected", func() bool {
		return strings.Contains(string(a.Do("GET", "/metrics", "", nil).Raw), "\nportico_bus_connected 1\n")
	})
	// Node B lost NATS too when it stopped; its own catch-up must be over before its operator
	// connects, or it would send that socket away as well.
	eventually(t, "node B has caught up", func() bool {
		return strings.Contains(string(b.Do("GET", "/metrics", "", nil).Raw), "\nportico_bus_gaps_total 1\n")
	})
	// Both ways across the nodes now: a chat started on node A reaches the operator on node B,
	// whose answer reaches the visitor back on node A.
	operatorB := b.DialOperator(tokenB)
	visitor = a.DialVisitor(vt)
	second := a.StartChat(vt, "hello with NATS")
	if f := operatorB.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }); testutil.Field(f, "conversation", "id") != second {
		t.Fatalf("operator on node B got %v", f)
	}
	b.Do("POST", "/api/v1/conversations/"+second+"/claim", tokenB, nil).Want(t, http.StatusOK)
	b.Do("POST", "/api/v1/conversations/"+second+"/messages", tokenB, map[string]string{"body": "from node B", "client_msg_id": "b1"}).Want(t, http.StatusCreated)
	if f := visitor.NextWhere("message", func(f map[string]any) bool { return testutil.Field(f, "message", "conversation_id") == second }); testutil.Field(f, "message", "body") != "from node B" {
		t.Fatalf("visitor on node A got %v", f)
	}
}

// A client opens its socket before it fetches (docs/protocol.md): whatever happens after the
// hello comes live. On several nodes that holds only once the NATS server has the node's new
// subscription, so the hello waits for it: here the operator's node reaches NATS over a link that
// takes 300 ms each way, and a chat started on the other node right after the hello still
// reaches the operator, after the hello.
func TestTheHelloWaitsForTheNodesSubscription(t *testing.T) {
	natsURL := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	dbURL := testutil.PostgresURL(t)
	slowLink := testutil.DelayProxy(t, strings.TrimPrefix(natsURL, "nats://"), 300*time.Millisecond)
	a, b := node(t, dbURL, natsURL), node(t, dbURL, "nats://"+slowLink)
	acc := a.Account(domain.KindWebsite, nil, "")
	_, opToken := b.Operator(acc, domain.RoleAgent)
	vt, _ := a.Visitor(acc, "https://shop.example/")

	operator := b.DialOperator(opToken) // the account's first socket on node B: a new subscription
	id := a.StartChat(vt, "right after the hello")
	if f := operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }); testutil.Field(f, "conversation", "id") != id {
		t.Fatalf("operator on node B got %v", f)
	}
}

// The hello is a socket's first frame: an event that comes while the node waits for NATS to
// confirm the socket's subscription waits behind it.
func TestEventsDuringTheConfirmationFollowTheHello(t *testing.T) {
	natsURL := testutil.Need(t, "PORTICO_TEST_NATS_URL", "a NATS server")
	slowLink := testutil.DelayProxy(t, strings.TrimPrefix(natsURL, "nats://"), 600*time.Millisecond)
	b := node(t, testutil.PostgresURL(t), "nats://"+slowLink)
	acc := b.Account(domain.KindWebsite, nil, "")
	_, opToken := b.Operator(acc, domain.RoleAgent)
	vt, _ := b.Visitor(acc, "https://shop.example/")

	dialed := make(chan *testutil.Socket, 1)
	go func() { dialed <- b.DialOperator(opToken) }() // waits 1.2 s for the confirmation
	eventually(t, "the operator's socket joins the node", func() bool {
		operators, _ := b.App.Hub.ConnectionCounts()
		return operators == 1
	})
	id := b.StartChat(vt, "during the confirmation")
	var operator *testutil.Socket
	select {
	case operator = <-dialed:
	case <-time.After(10 * time.Second):
		t.Fatal("the operator's socket did not open")
	}
	// DialOperator skipped every frame before the hello: the chat must come after it.
	if f := operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }); testutil.Field(f, "conversation", "id") != id {
		t.Fatalf("operator got %v", f)
	}
}

// A message sent over a socket reaches the other nodes' sockets, the sender's other tabs on
// either node among them, and comes back to the socket that sent it only in its `sent` answer:
// over NATS the node's own delivery runs on the publishing goroutine too.
func TestSocketSendsAcrossNodes(t *testing.T) {
	a, b := twoNodes(t)
	acc := a.Account(domain.KindWebsite, nil, "")
	_, opToken := b.Operator(acc, domain.RoleAgent)
	console, consoleOnA := b.DialOperator(opToken), a.DialOperator(opToken)
	vt, _ := a.Visitor(acc, "https://shop.example/")
	widget, tabOnB := a.DialVisitor(vt), b.DialVisitor(vt)
	id := a.StartChat(vt, "hello")
	b.Do("POST", "/api/v1/conversations/"+id+"/claim", opToken, nil).Want(t, http.StatusOK)

	for _, c := range []struct {
		cid    string
		from   *testutil.Socket
		others []*testutil.Socket
	}{
		{"v1", widget, []*testutil.Socket{tabOnB, console, consoleOnA}},
		{"o1", console, []*testutil.Socket{consoleOnA, widget, tabOnB}},
	} {
		c.from.Send(map[string]any{"type": "send", "conversation_id": id, "body": "over the socket " + c.cid, "client_msg_id": c.cid})
		ack := c.from.NextWithoutWhere("sent", func(f map[string]any) bool { return f["client_msg_id"] == c.cid }, testutil.MessageFrame(c.cid))
		if ack["status"] != float64(http.StatusCreated) {
			t.Fatalf("%s: answered %v", c.cid, ack)
		}
		for _, s := range c.others {
			if f := s.NextWhere("message", testutil.MessageFrame(c.cid)); testutil.Field(f, "message", "seq") != testutil.Field(ack, "message", "seq") {
				t.Fatalf("%s: got %v, answered %v", c.cid, f, ack)
			}
		}
		c.from.QuietWhere("message", testutil.MessageFrame(c.cid), 300*time.Millisecond)
	}
}
