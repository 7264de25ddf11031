package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/testutil"
)

// The operator watches the visitors area while a visitor opens the demo shop, then invites the
// visitor; the visitor accepts in the widget and they chat.
func TestOperatorInvitesAVisitorInTheBrowser(t *testing.T) {
	srv, _, operator, visitor := shopAdminAndVisitor(t)

	run(t, operator, "open the visitors area", chromedp.Click(chromedp.CSS(`.area-tab[data-area=visitors]`)))
	waitJS(t, operator, "the empty list says nobody is here", `document.querySelector('.visitors-empty[data-empty=nobody]')?.offsetParent`)

	run(t, visitor, "open the demo shop", chromedp.Navigate(srv.URL+"/demo/"))
	waitJS(t, visitor, "the widget's launcher", widget(`[data-testid=launcher]`))

	row := `document.querySelector('.visitor-row')`
	waitJS(t, operator, "the visitor appears in the list, on the shop's page", row+`?.querySelector('a.visitor-page')?.textContent.includes('Demo Shop')`)
	waitEqual(t, operator, "the count on the tab", `document.querySelector('.visitors-count')?.textContent.trim()`, "1")
	waitJS(t, operator, "the browser is named", row+`?.querySelector('.vc-device')?.textContent.includes('Chrom')`)

	// Search narrows the list and says so.
	run(t, operator, "search for someone else", chromedp.SendKeys(chromedp.CSS(`.visitors-search`), "nobody-by-this-name"))
	waitJS(t, operator, "no match", `document.querySelector('.visitors-empty[data-empty=filtered]')?.offsetParent && !document.querySelector('.visitor-row')`)
	run(t, operator, "clear the search", chromedp.Click(chromedp.CSS(`.visitors-clear`)))
	waitJS(t, operator, "the visitor is back", row)

	run(t, operator, "open the visitor", chromedp.Click(chromedp.CSS(`.visitor-row`)))
	waitJS(t, operator, "the details show this visit's pages", `[...document.querySelectorAll('.visitor-detail-pages li')].some(li => li.textContent.includes('Demo Shop'))`)
	run(t, operator, "invite the visitor", chromedp.Click(chromedp.CSS(`.visitor-invite`)))
	waitJS(t, operator, "the invitation dialog", `document.querySelector('.invite-dialog textarea')?.offsetParent`)
	evalJS[any](t, operator, `(() => { const ta = document.querySelector('.invite-dialog textarea'); ta.value = ''; return 0 })()`)
	run(t, operator, "write and send the invitation",
		chromedp.SendKeys(chromedp.CSS(`.invite-dialog textarea`), "Hello! Looking for a vase? "+xss),
		chromedp.Click(chromedp.CSS(`.invite-send`)))
	waitJS(t, operator, "the console confirms", `[...document.querySelectorAll('[data-testid=toast]')].some(t => t.textContent.includes('Invitation sent'))`)

	// The widget shows who invites, with the message as text.
	waitJS(t, visitor, "the invitation in the widget", widget(`.invite`)+`?.offsetParent`)
	waitJS(t, visitor, "the operator's name", widget(`.invite-operator`)+`?.textContent.includes('Anna Admin')`)
	waitJS(t, visitor, "the message, as text", widget(`.invite-message`)+`?.textContent.includes('<script>window.pwned=1</script>')`)
	if evalJS[bool](t, visitor, `!!window.pwned`) {
		t.Fatal("the invitation's text ran as HTML in the widget")
	}
	run(t, visitor, "accept", chromedp.Click(inWidget(`.invite-accept`)))
	waitJS(t, visitor, "the chat starts with the invitation", widgetAll(`[data-testid=message][data-author-type=operator]`)+`.some(m => m.textContent.includes('Looking for a vase?'))`)
	waitJS(t, visitor, "the composer", widget(`[data-testid=composer]`)+`?.offsetParent`)
	run(t, visitor, "answer", chromedp.SendKeys(inWidget(`[data-testid=composer]`), "Yes, a blue one\n"))

	// The operator hears of the acceptance and is in the chat, which is theirs.
	waitJS(t, operator, "the console says the visitor accepted", `[...document.querySelectorAll('[data-testid=toast]')].some(t => t.textContent.includes('accepted'))`)
	waitJS(t, operator, "the visitor's answer in the chat", `[...document.querySelectorAll('[data-testid=message]')].some(m => m.textContent.includes('a blue one'))`)
	run(t, operator, "reply", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "We have three.\n"))
	waitJS(t, visitor, "the reply in the widget", widgetAll(`[data-testid=message][data-author-type=operator]`)+`.some(m => m.textContent.includes('We have three'))`)
	run(t, operator, "back to the visitors", chromedp.Click(chromedp.CSS(`.area-tab[data-area=visitors]`)))
	waitJS(t, operator, "the list shows the visitor chatting", `document.querySelector('.visitor-row')?.dataset.state === 'chatting'`)
}

// An admin adds a proactive rule in the console; a visitor on a matching page gets the box
// opened with the greeting after the delay, not before.
func TestProactiveRuleOpensTheBoxAfterTheDelay(t *testing.T) {
	srv, admin, operator, visitor := shopAdminAndVisitor(t)

	run(t, operator, "open the team dialog", chromedp.Click(chromedp.CSS(`[data-testid=open-team]`)))
	run(t, operator, "open proactive chat", chromedp.Click(chromedp.CSS(`[data-testid=team-tab-proactive]`)))
	waitJS(t, operator, "no rules yet", `document.querySelector('.proactive-empty')?.offsetParent`)
	run(t, operator, "add a rule", chromedp.Click(chromedp.CSS(`.proactive-add`)))
	evalJS[any](t, operator, `(() => { for (const s of ['.proactive-pattern', '.proactive-after-seconds', '.proactive-after-pages', '.proactive-greeting']) document.querySelector(s).value = ''; return 0 })()`)
	run(t, operator, "fill in the rule",
		chromedp.SendKeys(chromedp.CSS(`.proactive-pattern`), "/demo/*"),
		chromedp.SendKeys(chromedp.CSS(`.proactive-after-seconds`), "3"),
		chromedp.SendKeys(chromedp.CSS(`.proactive-after-pages`), "1"),
		chromedp.SendKeys(chromedp.CSS(`.proactive-greeting`), "Need a hand choosing?"),
		chromedp.Click(chromedp.CSS(`.proactive-save`)))
	waitJS(t, operator, "the rule is listed", `[...document.querySelectorAll('.proactive-rule')].some(r => r.textContent.includes('Need a hand choosing?'))`)

	run(t, visitor, "open the demo shop", chromedp.Navigate(srv.URL+"/demo/"))
	waitJS(t, visitor, "the widget's launcher", widget(`[data-testid=launcher]`))
	opened := time.Now()
	time.Sleep(1500 * time.Millisecond)
	if evalJS[bool](t, visitor, widgetAll(`*`)+`.some(e => e.offsetParent && e.textContent.includes('Need a hand choosing?'))`) {
		t.Fatalf("the greeting showed after %v, before the rule's 3 s", time.Since(opened))
	}
	waitJS(t, visitor, "the greeting opens the box", widgetAll(`*`)+`.some(e => e.offsetParent && e.childElementCount === 0 && e.textContent.includes('Need a hand choosing?'))`)
	if d := time.Since(opened); d < 2500*time.Millisecond {
		t.Errorf("the greeting came after %v, want about 3 s", d)
	}
	waitJS(t, visitor, "the composer is ready", widget(`[data-testid=composer]`)+`?.offsetParent`)
	run(t, visitor, "answer the greeting", chromedp.SendKeys(inWidget(`[data-testid=composer]`), "Yes please\n"))
	waitJS(t, operator, "the chat waits in the console", `[...document.querySelectorAll('[data-testid=waiting-item]')].some(i => i.textContent.includes('Yes please'))`)
	stats := srv.Do("GET", "/api/v1/invitations/stats", loginToken(t, srv, admin.Email, admin.Password), nil).Want(t, http.StatusOK)
	if stats.Path("proactive", "shown") != float64(1) || stats.Path("proactive", "accepted") != float64(1) {
		t.Errorf("proactive invitations %v, want one shown and accepted", stats.Path("proactive"))
	}
}

// shopAdminAndVisitor starts a server with the demo data and pages, signs the demo shop's admin
// in to the console in one browser, and gives a second browser for the visitor.
func shopAdminAndVisitor(t *testing.T) (*testutil.Server, demo.Login, context.Context, context.Context) {
	t.Helper()
	srv := testutil.NewServer(t, testutil.WithDemo())
	admin, operator, visitor := demoAdminAndVisitor(t, srv, srv)
	return srv, admin, operator, visitor
}

// demoAdminAndVisitor seeds the demo data through seedOn (its URL the shop's origin), signs the
// demo shop's admin in to the console of consoleOn in one browser, and gives a second browser
// for the visitor.
func demoAdminAndVisitor(t *testing.T, seedOn, consoleOn *testutil.Server) (demo.Login, context.Context, context.Context) {
	t.Helper()
	seeded, err := demo.Seed(context.Background(), seedOn.Store, seedOn.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin := seeded.Logins[0] // the demo shop's admin
	operator := newBrowser(t, 1280, 800)
	visitor := newBrowser(t, 1280, 800)
	signIn(t, operator, consoleOn.URL, admin.Email, admin.Password)
	return admin, operator, visitor
}

// writeFirstMessage opens the demo shop at base in the visitor's browser, opens the chat box,
// sends text and waits until it is stored.
func writeFirstMessage(t *testing.T, visitor context.Context, base, text string) {
	t.Helper()
	run(t, visitor, "open the demo page", chromedp.Navigate(base+"/demo/"))
	waitJS(t, visitor, "the widget's launcher", widget(`[data-testid=launcher]`))
	run(t, visitor, "open the chat", chromedp.Click(inWidget(`[data-testid=launcher]`)))
	waitJS(t, visitor, "the composer", widget(`[data-testid=composer]`)+`?.offsetParent`)
	run(t, visitor, "write the first message",
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), text),
		chromedp.SendKeys(inWidget(`[data-testid=composer]`), kb.Enter))
	waitJS(t, visitor, "the first message is stored", widget(`[data-testid=message][data-seq="1"]`))
}
