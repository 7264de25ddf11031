package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/testutil"
)

// An admin adds a category in the console, then closes a chat choosing it: the mail server
// receives the whole transcript at the category's address.
func TestCloseWithCategoryInTheBrowserMailsTheTranscript(t *testing.T) {
	smtpSrv := testutil.NewSMTPServer(t)
	srv := testutil.NewServer(t, testutil.WithSMTP(smtpSrv.URL()), testutil.WithMailWorker(testutil.FastMail))
	seeded, err := demo.Seed(context.Background(), srv.Store, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin := seeded.Logins[0] // the demo shop's admin
	operator := newBrowser(t, 1280, 800)
	signIn(t, operator, srv.URL, admin.Email, admin.Password)

	// Categories: the admin adds one; the browser's own check refuses a bad address first.
	run(t, operator, "open the categories", chromedp.Click(chromedp.CSS(`[data-testid=open-categories]`)))
	waitJS(t, operator, "the categories view", `document.querySelector('[data-testid=categories-panel] [data-testid=add-category]')`)
	run(t, operator, "add a category",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=categories-panel] .category-form:last-child [data-testid=category-name]`), "Sales"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=categories-panel] .category-form:last-child [data-testid=category-email]`), "sales@shop.example"),
		chromedp.Click(chromedp.CSS(`[data-testid=categories-panel] [data-testid=add-category]`)))
	waitJS(t, operator, "the new category is listed",
		`[...document.querySelectorAll('[data-testid=category-item]')].some(li => li.textContent.includes('Sales') && li.textContent.includes('sales@shop.example'))`)
	run(t, operator, "close the categories view", chromedp.Click(chromedp.CSS(`[data-testid=categories-panel] .mail-panel-head button`)))

	// A visitor writes (through the widget API), the operator claims the chat and answers.
	visit := srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": demo.WebsiteKey, "page": map[string]string{"url": srv.URL + "/demo/"}}).Want(t, http.StatusOK)
	vt := visit.String("visitor_token")
	id := srv.StartChat(vt, "Do you have the blue vase? <img src=x onerror=alert(1)>")
	waitJS(t, operator, "the waiting chat", `document.querySelector('[data-testid=waiting-item]')`)
	run(t, operator, "open and claim the chat",
		chromedp.Click(chromedp.CSS(`[data-testid=waiting-item]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=claim]`)))
	waitJS(t, operator, "the composer", `document.querySelector('[data-testid=composer]')?.offsetParent`)
	run(t, operator, "answer",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "Yes, two are left.\n"))
	waitJS(t, operator, "the answer is stored", `document.querySelector('[data-testid=message][data-seq="2"]')`)
	srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt, map[string]string{"body": "Great, thanks!", "client_msg_id": "v2"}).Want(t, http.StatusCreated)
	waitJS(t, operator, "the visitor's thanks", `document.querySelector('[data-testid=message][data-seq="3"]')`)

	// Close, choosing the category.
	run(t, operator, "close the chat", chromedp.Click(chromedp.CSS(`[data-testid=close-chat]`)))
	waitJS(t, operator, "the close dialog offers the category",
		`[...document.querySelectorAll('[data-testid=close-category] option')].some(o => o.textContent === 'Sales')`)
	evalJS[any](t, operator, `(() => {
		const s = document.querySelector('[data-testid=close-category]');
		s.value = [...s.options].find(o => o.textContent === 'Sales').value;
		s.dispatchEvent(new Event('change'));
	})()`)
	waitJS(t, operator, "the dialog says where the transcript goes",
		`document.querySelector('[data-testid=close-dialog] .close-hint')?.textContent.includes('sales@shop.example')`)
	if evalJS[bool](t, operator, `!!document.querySelector('[data-testid=close-dialog] [data-testid=mail-not-configured]:not([hidden])')`) {
		t.Fatal("the dialog says mail is not configured, but it is")
	}
	run(t, operator, "confirm", chromedp.Click(chromedp.CSS(`[data-testid=close-dialog] [data-testid=confirm]`)))

	m := smtpSrv.WaitFor(1, 15*time.Second)[0]
	if m.To[0] != "sales@shop.example" || !strings.Contains(m.Subject, "[Sales]") {
		t.Fatalf("mail to %v, subject %q", m.To, m.Subject)
	}
	text := m.Text
	for _, want := range []string{"Do you have the blue vase?", "Yes, two are left.", "Great, thanks!"} {
		i := strings.Index(text, want)
		if i < 0 {
			t.Fatalf("the transcript lacks %q:\n%s", want, text)
		}
		text = text[i:]
	}
	if strings.Contains(m.HTML, "<img src=x") || !strings.Contains(m.HTML, "&lt;img src=x") {
		t.Fatalf("the HTML part does not escape the visitor's text:\n%s", m.HTML)
	}
	waitJS(t, operator, "the chat shows as closed", `document.querySelector('.pill-closed')`)
}

// Without a mail server the console says so where mail would be sent, and offline messages
// are listed with their sender's address as a mailto: link.
func TestOfflineMessagesAndTheMailNoticeInTheBrowser(t *testing.T) {
	srv := testutil.NewServer(t) // no --smtp-url
	seeded, err := demo.Seed(context.Background(), srv.Store, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin := seeded.Logins[0]
	visit := srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": demo.WebsiteKey, "page": map[string]string{"url": srv.URL + "/demo/"}}).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/widget/offline-messages", visit.String("visitor_token"),
		map[string]string{"name": "Zoë", "email": "zoe@visitor.example", "body": "Call me <b>back</b>\nplease"}).Want(t, http.StatusAccepted)

	operator := newBrowser(t, 1280, 800)
	signIn(t, operator, srv.URL, admin.Email, admin.Password)
	run(t, operator, "open the offline messages", chromedp.Click(chromedp.CSS(`[data-testid=open-offline]`)))
	waitJS(t, operator, "the message is listed", `document.querySelector('[data-testid=offline-item]')`)
	item := `document.querySelector('[data-testid=offline-item]')`
	if got := evalJS[string](t, operator, item+`.querySelector('.offline-body').textContent`); got != "Call me <b>back</b>\nplease" {
		t.Fatalf("the message shows as %q", got)
	}
	if got := evalJS[string](t, operator, item+`.querySelector('a.mailto').getAttribute('href')`); got != "mailto:zoe@visitor.example" {
		t.Fatalf("mailto link %q", got)
	}
	waitJS(t, operator, "the mail notice", `document.querySelector('[data-testid=offline-panel] [data-testid=mail-not-configured]')`)
	waitJS(t, operator, "the admin can choose recipients", `document.querySelectorAll('[data-testid=offline-panel] [data-testid=recipient-checkbox]').length > 0`)
}

// The visitor asks for the transcript in the widget once the chat has ended, and gets it.
func TestVisitorGetsTheTranscriptFromTheWidget(t *testing.T) {
	smtpSrv := testutil.NewSMTPServer(t)
	srv := testutil.NewServer(t, testutil.WithSMTP(smtpSrv.URL()), testutil.WithMailWorker(testutil.FastMail), testutil.WithDemo())
	seeded, err := demo.Seed(context.Background(), srv.Store, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	admin := seeded.Logins[0]
	token := loginToken(t, srv, admin.Email, admin.Password)
	srv.DialOperator(token) // someone is online, so the widget offers a chat
	visitor := newBrowser(t, 1280, 800)
	writeFirstMessage(t, visitor, srv.URL, "Is the shop open on Sunday?")

	convs := srv.Do("GET", "/api/v1/conversations?status=waiting", token, nil).Want(t, http.StatusOK).List("conversations")
	if len(convs) != 1 {
		t.Fatalf("waiting: %v", convs)
	}
	id := convs[0].(map[string]any)["id"].(string)
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", token, nil).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", token, map[string]string{"body": "From 10 to 4.", "client_msg_id": "a1"}).Want(t, http.StatusCreated)
	srv.Do("POST", "/api/v1/conversations/"+id+"/close", token, nil).Want(t, http.StatusOK)

	button := widgetAll(`button`) + `.find(b => b.textContent === 'E-mail me the transcript')`
	waitJS(t, visitor, "the transcript button once the chat has ended", button+`?.offsetParent`)
	evalJS[any](t, visitor, button+`.click()`)
	waitJS(t, visitor, "the address field", widget(`#pc-tr`)+`?.offsetParent`)
	run(t, visitor, "ask for the transcript",
		chromedp.SendKeys(inWidget(`#pc-tr`), "visitor@mail.example"),
		chromedp.SendKeys(inWidget(`#pc-tr`), "\r"))
	waitJS(t, visitor, "the widget says it is on its way", widgetAll(`[role=status]`)+`.some(e => e.textContent.includes('on its way'))`)
	m := smtpSrv.WaitFor(1, 15*time.Second)[0]
	if m.To[0] != "visitor@mail.example" || !strings.Contains(m.Text, "Is the shop open on Sunday?") || !strings.Contains(m.Text, "From 10 to 4.") {
		t.Fatalf("mail to %v:\n%s", m.To, m.Text)
	}
}
