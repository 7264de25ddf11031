package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// chatSeenByOperator starts a server, an operator online and a visitor's chat the operator has
// been told of; it returns the visitor's token and the conversation's id.
func chatSeenByOperator(t *testing.T, visitorOnline bool) (srv *testutil.Server, operator *testutil.Socket, visitorToken, id string) {
	srv = testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, op := srv.Operator(acc, domain.RoleAgent)
	operator = srv.DialOperator(op)
	visitorToken, _ = srv.Visitor(acc, "https://shop.example/")
	if visitorOnline {
		srv.DialVisitor(visitorToken)
	}
	id = srv.StartChat(visitorToken, "hello")
	operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" })
	return srv, operator, visitorToken, id
}

func TestMetricsCountConnectionsMessagesAndDelivery(t *testing.T) {
	srv, _, _, _ := chatSeenByOperator(t, true)

	res := testutil.DoHeaders(t, "GET", srv.URL+"/metrics", "", nil, nil).Want(t, http.StatusOK)
	text := string(res.Raw)
	for _, want := range []string{
		`portico_connections{kind="operator"} 1`,
		`portico_connections{kind="visitor"} 1`,
		`portico_messages_total{author="visitor"} 1`,
		`portico_db_seconds_count{kind="write"}`,
		`process_resident_memory_bytes`,
		`go_sql_wait_count_total{db_name="write"}`,
		`go_sql_wait_duration_seconds_total{db_name="write"}`,
		`go_sql_open_connections{db_name="write"} 1`,
		`go_sql_max_open_connections{db_name="read"}`,
		`go_sched_latencies_seconds_bucket{le="+Inf"}`,
		`go_memstats_alloc_bytes_total`,
		`go_gc_duration_seconds_count`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(text, "portico_delivery_seconds_count 0\n") || !strings.Contains(text, "portico_delivery_seconds_count") {
		t.Error("no delivery latency recorded for the events sent to the operator")
	}
}

// A visitor's message is one write and no read: the node knows the visitor of the token from
// its page view, and the write checks that the conversation is the visitor's and reads its
// access itself (one round trip on PostgreSQL). The page of messages a reconnecting widget asks
// for reads the visitor and the conversation in one statement, then the messages.
func TestVisitorRequestsReadTheVisitorWithTheConversation(t *testing.T) {
	srv, operator, vt, id := chatSeenByOperator(t, false)
	reads := func() uint64 { return databaseReads(t, srv) }
	writes := func() uint64 { return databaseTime(t, srv, "write") }
	const messages = 5
	before, writesBefore := reads(), writes()
	for i := range messages {
		srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt,
			map[string]string{"body": fmt.Sprint("message ", i), "client_msg_id": fmt.Sprint("m", i)}).Want(t, http.StatusCreated)
		operator.NextWhere("message", func(map[string]any) bool { return true })
	}
	if got := reads() - before; got != 0 {
		t.Fatalf("%d messages made %d reads, want none", messages, got)
	}
	if got := writes() - writesBefore; got != messages {
		t.Fatalf("%d messages, one after the other, made %d writes, want %d", messages, got, messages)
	}

	before = reads()
	res := srv.Do("GET", "/api/v1/widget/conversations/"+id+"/messages?after=2", vt, nil).Want(t, http.StatusOK)
	if got := len(res.Path("messages").([]any)); got != messages+1-2 { // the first message started the chat
		t.Fatalf("%d messages after seq 2, want %d", got, messages+1-2)
	}
	if got := reads() - before; got != 2 {
		t.Fatalf("a page of messages made %d reads, want 2", got)
	}
}

// A returning visitor's page view on a node that knows the visitor is one write and no read:
// the latest invitation, which the widget shows on every page, is read with the write.
func TestReturningPageViewIsOneWrite(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	token, id := srv.Visitor(acc, "https://shop.example/")
	reads, writes := databaseReads(t, srv), databaseTime(t, srv, "write")
	const pages = 4
	for i := range pages {
		res := srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": acc.Key, "visitor_token": token,
			"page": map[string]string{"url": fmt.Sprint("https://shop.example/", i)}}).Want(t, http.StatusOK)
		if res.String("visitor_id") != id || res.String("visitor_token") != token {
			t.Fatalf("page %d: visitor %s, want the returning %s", i, res.Raw, id)
		}
	}
	if got := databaseReads(t, srv) - reads; got != 0 {
		t.Errorf("%d returning page views made %d reads, want none", pages, got)
	}
	if got := databaseTime(t, srv, "write") - writes; got != pages {
		t.Errorf("%d returning page views made %d writes, want %d", pages, got, pages)
	}
}

// databaseReads is how many reads the server's store has made (a round trip on PostgreSQL, a
// statement on SQLite), from its metrics.
func databaseReads(t *testing.T, srv *testutil.Server) uint64 {
	t.Helper()
	return databaseTime(t, srv, "read")
}

// databaseTime is how many times the server's store timed a read or a write.
func databaseTime(t *testing.T, srv *testutil.Server, kind string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := srv.App.Metrics.DBTime.WithLabelValues(kind).(prometheus.Metric).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// Each request's handler time is recorded under the route it matched and its status; the
// WebSocket upgrades are not, since their time is the life of the connection.
func TestMetricsTimeRequestsByRoute(t *testing.T) {
	srv, _, vt, id := chatSeenByOperator(t, true)
	count := func(route, code string) uint64 {
		var m dto.Metric
		if err := srv.App.Metrics.RequestTime.WithLabelValues(route, code).(prometheus.Metric).Write(&m); err != nil {
			t.Fatal(err)
		}
		return m.GetHistogram().GetSampleCount()
	}
	const messages = 3
	for i := range messages {
		srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt,
			map[string]string{"body": fmt.Sprint("message ", i), "client_msg_id": fmt.Sprint("m", i)}).Want(t, http.StatusCreated)
	}
	srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt, map[string]string{"body": ""}).Want(t, http.StatusUnprocessableEntity)
	srv.Do("GET", "/api/v1/no-such-thing", "", nil).Want(t, http.StatusNotFound)

	for _, c := range []struct {
		route, code string
		want        uint64
	}{
		{"POST /api/v1/widget/conversations/{id}/messages", "201", messages},
		{"POST /api/v1/widget/conversations/{id}/messages", "422", 1},
		{"POST /api/v1/widget/conversations", "201", 1},
		{"/api/", "404", 1},
	} {
		if got := count(c.route, c.code); got != c.want {
			t.Errorf("%s %s: %d requests timed, want %d", c.route, c.code, got, c.want)
		}
	}
	text := string(testutil.DoHeaders(t, "GET", srv.URL+"/metrics", "", nil, nil).Want(t, http.StatusOK).Raw)
	if strings.Contains(text, `/ws"`) {
		t.Error("a WebSocket upgrade was timed as a request")
	}
	if !strings.Contains(text, `portico_http_request_seconds_bucket{code="201",route="POST /api/v1/widget/conversations/{id}/messages",le="0.001"}`) {
		t.Error("/metrics lacks the request time histogram")
	}
}

// An operator's message is one round trip to PostgreSQL: the write checks the session and the
// operator's part in the chat itself, and reads the session and the conversation's access in
// the same pipeline. Nothing is read before it.
func TestOperatorMessageIsOneRoundTrip(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithStore(testutil.OpenPostgres(t)))
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "hello")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", token, nil).Want(t, http.StatusOK)
	send := func(i int) {
		t.Helper()
		srv.Do("POST", "/api/v1/conversations/"+id+"/messages", token,
			map[string]string{"body": fmt.Sprint("answer ", i), "client_msg_id": fmt.Sprint("a", i)}).Want(t, http.StatusCreated)
	}
	send(0) // the operator's first message of the month is recorded once, and the account is cached
	reads := func() uint64 { return databaseReads(t, srv) }
	writes := func() uint64 { return databaseTime(t, srv, "write") }
	const messages = 5
	before, writesBefore := reads(), writes()
	for i := 1; i <= messages; i++ {
		send(i)
	}
	if got := reads() - before; got != 0 {
		t.Fatalf("%d operator messages made %d round trips of reads, want none", messages, got)
	}
	if got := writes() - writesBefore; got != messages {
		t.Fatalf("%d operator messages, one after the other, made %d round trips of writes, want %d", messages, got, messages)
	}
}
