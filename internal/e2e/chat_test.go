package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portico/portico/internal/testutil"
)

const xss = `<script>window.pwned=1</script><img src=x onerror="window.pwned=1">`

// A visitor on the demo page and an operator in the console chat both ways; the visitor's
// connection drops and comes back, and no message is lost or doubled on either side.
func TestVisitorAndOperatorChatInTheBrowser(t *testing.T) {
	srv, admin, operator, visitor := shopAdminAndVisitor(t)
	writeFirstMessage(t, visitor, srv.URL, "Hello, is the blue vase in stock? "+xss)

	// The operator is alerted, picks the chat up and sees the visitor's text as text.
	waitJS(t, operator, "the waiting chat", `document.querySelector('[data-testid=waiting-item]')`)
	run(t, operator, "open the waiting chat", chromedp.Click(chromedp.CSS(`[data-testid=waiting-item]`)))
	run(t, operator, "claim it", chromedp.Click(chromedp.CSS(`[data-testid=claim]`)))
	waitJS(t, operator, "the visitor's message in the console",
		`[...document.querySelectorAll('[data-testid=message]')].some(m => m.textContent.includes('blue vase') && m.textContent.includes('<script>window.pwned=1</script>'))`)

	run(t, operator, "reply",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "Yes, we have two left."),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.Enter))
	waitJS(t, visitor, "the reply in the widget",
		widgetAll(`[data-testid=message][data-author-type=operator]`)+`.some(m => m.textContent.includes('two left'))`)
	waitJS(t, visitor, "the answering operator's name", widget(`[data-testid=operator-name]`)+`?.textContent.includes('Anna Admin')`)

	// The network drops: the socket dies and requests fail. The operator writes meanwhile,
	// and so does the visitor.
	run(t, visitor, "go offline", setOffline(true))
	evalJS[any](t, visitor, `Portico._debug.socket()?.close()`)
	waitJS(t, visitor, "the widget says it is reconnecting", widget(`[data-testid=conn-state]`)+` && !`+widget(`[data-testid=conn-state]`)+`.hidden`)
	for _, text := range []string{"Shall I reserve one?", "It is €40."} {
		run(t, operator, "write while the visitor is away",
			chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), text),
			chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.Enter))
	}
	run(t, visitor, "write while offline",
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), "Sorry, my train went into a tunnel"),
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), kb.Enter))
	run(t, visitor, "back online", setOffline(false))

	waitJS(t, visitor, "the messages written while away arrive",
		widgetAll(`[data-testid=message][data-author-type=operator]`)+`.filter(m => m.textContent.includes('reserve') || m.textContent.includes('€40')).length === 2`)
	waitJS(t, operator, "the message written offline arrives once",
		`[...document.querySelectorAll('[data-testid=message]')].filter(m => m.textContent.includes('tunnel')).length === 1`)

	// Both sides show exactly the stored conversation: 5 messages, seq 1 to 5, each once.
	const wantSeqs = "1,2,3,4,5"
	seqs := `(els => els.map(m => m.dataset.seq).filter(Boolean).sort((a, b) => a - b).join(','))`
	waitEqual(t, visitor, "the widget shows seq 1-5 once each", seqs+`(`+widgetAll(`[data-testid=message]`)+`)`, wantSeqs)
	waitEqual(t, operator, "the console shows seq 1-5 once each", seqs+`([...document.querySelectorAll('[data-testid=message]')])`, wantSeqs)
	if n := evalJS[int](t, visitor, widgetAll(`[data-testid=message]`)+`.length`); n != 5 {
		t.Fatalf("the widget shows %d messages, want 5", n)
	}

	// The hostile text never ran, in either page.
	for name, page := range map[string]context.Context{"widget": visitor, "console": operator} {
		if evalJS[bool](t, page, `window.pwned === 1`) {
			t.Fatalf("text from a message ran as HTML in the %s", name)
		}
	}
	convs := testutil.DoHeaders(t, http.MethodGet, srv.URL+"/api/v1/conversations?status=active", loginToken(t, srv, admin.Email, admin.Password), nil, nil).List("conversations")
	if len(convs) != 1 || convs[0].(map[string]any)["last_seq"] != float64(5) {
		t.Fatalf("stored: %v", convs)
	}
}

func signIn(t *testing.T, ctx context.Context, base, email, password string) {
	t.Helper()
	run(t, ctx, "sign in to the console",
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=login-email]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-email]`), email),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=login-password]`), password),
		chromedp.Click(chromedp.CSS(`[data-testid=login-submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=waiting-list]`)))
}

func loginToken(t *testing.T, srv *testutil.Server, email, password string) string {
	t.Helper()
	return srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}).Want(t, http.StatusOK).String("token")
}
