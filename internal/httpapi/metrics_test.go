package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

func TestMetricsCountConnectionsMessagesAndDelivery(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, op := srv.Operator(acc, domain.RoleAgent)
	operator := srv.DialOperator(op)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	srv.DialVisitor(vt)
	srv.StartChat(vt, "hello")
	operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" })

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
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(text, "portico_delivery_seconds_count 0\n") || !strings.Contains(text, "portico_delivery_seconds_count") {
		t.Error("no delivery latency recorded for the events sent to the operator")
	}
}
