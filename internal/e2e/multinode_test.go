package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
	seeded, err := demo.Seed(context.Background(), a.Store, a.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin := seeded.Logins[0] // the demo shop's admin
	operator := newBrowser(t, 1280, 800)
	visitor := newBrowser(t, 1280, 800)
	signIn(t, operator, b.URL, admin.Email, admin.Password)
	token := loginToken(t, b, admin.Email, admin.Password)

	run(t, visitor, "open the demo page on node A", chromedp.Navigate(a.URL+"/demo/"))
	waitJS(t, visitor, "the widget's launcher", widget(`[data-testid=launcher]`))
	run(t, visitor, "open the chat", chromedp.Click(inWidget(`[data-testid=launcher]`)))
	waitJS(t, visitor, "the composer", widget(`[data-testid=composer]`)+`?.offsetParent`)
	run(t, visitor, "write",
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), "Is the lamp still for sale?"),
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), kb.Enter))
	waitJS(t, visitor, "the message is stored", widget(`[data-testid=message][data-seq="1"]`))
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
