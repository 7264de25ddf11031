package e2e

import (
	"net/http"
	"testing"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/testutil"
)

// pgNode starts a node with the demo pages on the PostgreSQL database dbURL and the NATS server
// natsURL, one of several.
func pgNode(t *testing.T, dbURL, natsURL string) *testutil.Server {
	t.Helper()
	return testutil.NewServer(t, testutil.WithStore(testutil.OpenPostgresAt(t, dbURL)), testutil.WithNATS(natsURL), testutil.WithDemo())
}

// The widget on one node and the console on another miss what happens while NATS is down, and
// the console says so; once it is back, both catch up on the sockets they have (the `resync`
// frame), without reconnecting: the widget shows the answer written meanwhile and the console the
// chat started meanwhile.
func TestWidgetAndConsoleResyncAfterANATSOutage(t *testing.T) {
	nats := testutil.StartNATS(t)
	dbURL := testutil.PostgresURL(t)
	a, b := pgNode(t, dbURL, nats.URL()), pgNode(t, dbURL, nats.URL())
	admin, operator, visitor := demoAdminAndVisitor(t, a, b) // the widget on node A, the console on node B
	token := loginToken(t, b, admin.Email, admin.Password)
	writeFirstMessage(t, visitor, a.URL, "Is the lamp still for sale?")
	waitJS(t, operator, "the chat reaches the console on node B", `document.querySelector('[data-testid=waiting-item]')`)
	chats := b.Do("GET", "/api/v1/conversations?status=waiting", token, nil).Want(t, http.StatusOK).List("conversations")
	if len(chats) != 1 {
		t.Fatalf("%d waiting chats, want 1", len(chats))
	}
	id := chats[0].(map[string]any)["id"].(string)
	b.Do("POST", "/api/v1/conversations/"+id+"/claim", token, nil).Want(t, http.StatusOK)
	waitJS(t, operator, "the claimed chat leaves the waiting list", `!document.querySelector('[data-testid=waiting-item]')`)
	evalJS[bool](t, visitor, `(window.sockBefore = Portico._debug.socket(), true)`)
	evalJS[bool](t, operator, `(window.sockBefore = window.portico.socket(), true)`)

	nats.Stop()
	waitJS(t, operator, "the console says updates from the other servers are paused",
		`(b => b && !b.hidden && b.textContent.includes('paused'))(document.querySelector('[data-testid=conn-state]'))`)
	b.Do("POST", "/api/v1/conversations/"+id+"/messages", token, map[string]string{"body": "Yes, written while NATS was down", "client_msg_id": "outage-1"}).Want(t, http.StatusCreated)
	vt := a.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": demo.WebsiteKey, "page": map[string]string{"url": a.URL + "/demo/"}}).Want(t, http.StatusOK).String("visitor_token")
	a.StartChat(vt, "A second visitor, during the outage")
	nats.Start()

	waitJS(t, visitor, "the answer written during the outage",
		widgetAll(`[data-testid=message][data-author-type=operator]`)+`.some(m => m.textContent.includes('while NATS was down'))`)
	waitJS(t, operator, "the chat started during the outage", `document.querySelector('[data-testid=waiting-item]')`)
	waitJS(t, operator, "the console no longer says paused", `document.querySelector('[data-testid=conn-state]').hidden`)
	if !evalJS[bool](t, visitor, `Portico._debug.socket() === window.sockBefore && window.sockBefore.readyState === 1`) {
		t.Error("the widget caught up by reconnecting, not on its socket")
	}
	if !evalJS[bool](t, operator, `window.portico.socket() === window.sockBefore && window.sockBefore.readyState === 1`) {
		t.Error("the console caught up by reconnecting, not on its socket")
	}
}
