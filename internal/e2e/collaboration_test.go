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

// consoleHas is the JavaScript that says whether a console chat message holds text.
func consoleHas(text string) string {
	return `[...document.querySelectorAll('[data-testid=message]')].some(m => m.textContent.includes(` + jsString(text) + `))`
}

func widgetSystem(text string) string {
	return widgetAll(`[data-testid=message][data-author-type=system]`) + `.some(m => m.textContent.includes(` + jsString(text) + `))`
}

// Operator A hands a chat to operator B with a note; B reads the note and invites A back. Both
// consoles follow it live, and the visitor reads who joined and left and sees the new owner.
func TestTransferAndInviteInTheBrowser(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithDemo())
	seeded, err := demo.Seed(context.Background(), srv.Store, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var alex, anna demo.Login // the demo shop's agent and admin
	for _, l := range seeded.Logins {
		switch l.Email {
		case "agent@shop.demo":
			alex = l
		case "admin@shop.demo":
			anna = l
		}
	}
	annaOp, err := srv.Store.OperatorByEmail(context.Background(), anna.Email)
	if err != nil {
		t.Fatal(err)
	}
	alexOp, err := srv.Store.OperatorByEmail(context.Background(), alex.Email)
	if err != nil {
		t.Fatal(err)
	}

	a := newBrowser(t, 1280, 800)
	b := newBrowser(t, 390, 800) // B answers from a phone
	visitor := newBrowser(t, 1280, 800)
	signIn(t, a, srv.URL, alex.Email, alex.Password)
	signIn(t, b, srv.URL, anna.Email, anna.Password)

	writeFirstMessage(t, visitor, srv.URL, "I would like to return a vase")

	// A picks the chat up and hands it to B with a note.
	waitJS(t, a, "the waiting chat", `document.querySelector('[data-testid=waiting-item]')`)
	run(t, a, "open and claim", chromedp.Click(chromedp.CSS(`[data-testid=waiting-item]`)), chromedp.Click(chromedp.CSS(`[data-testid=claim]`)))
	waitJS(t, a, "A may transfer", `document.querySelector('[data-testid=transfer]')`)
	waitEqual(t, a, "A is in the chat", `[...document.querySelectorAll('[data-testid=participant]')].map(p => p.dataset.operatorId).join(',')`, alexOp.ID)
	run(t, a, "open the transfer dialog", chromedp.Click(chromedp.CSS(`[data-testid=transfer]`)))
	option := `[data-testid=transfer-picker] [data-operator-id="` + annaOp.ID + `"] input`
	waitJS(t, a, "B is offered", `document.querySelector(`+jsString(option)+`)`)
	const note = "Wants a refund <b>not</b> an exchange"
	run(t, a, "pick B, leave a note, transfer",
		chromedp.Click(chromedp.CSS(option)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=transfer-note-input]`), note),
		chromedp.Click(chromedp.CSS(`[data-testid=picker-confirm]`)))

	// A sees the chat go, and can no longer write in it.
	waitJS(t, a, "A is told", `document.querySelector('.notice')?.textContent.includes('Transferred to Anna Admin')`)
	waitEqual(t, a, "B is in the chat now", `[...document.querySelectorAll('[data-testid=participant]')].map(p => p.dataset.operatorId).join(',')`, annaOp.ID)
	waitJS(t, a, "A's composer is gone", `document.querySelector('[data-testid=composer]').closest('form').hidden`)

	// B gets the chat, opens it and reads the note, as text.
	waitJS(t, b, "the chat is B's", `document.querySelector('[data-testid=mine-item]')`)
	run(t, b, "open it", chromedp.Click(chromedp.CSS(`[data-testid=mine-item]`)))
	waitEqual(t, b, "B reads the note", `document.querySelector('[data-testid=transfer-note-text]')?.textContent`, note)
	waitJS(t, b, "the note is visible", `!document.querySelector('[data-testid=transfer-note]').hidden`)
	waitJS(t, b, "A's message history is there", consoleHas("return a vase"))

	// The visitor reads who joined and who left, and who answers now.
	waitJS(t, visitor, "Anna joined", widgetSystem("Anna Admin joined the chat"))
	waitJS(t, visitor, "Alex left", widgetSystem("Alex Agent left the chat"))
	waitJS(t, visitor, "the header names the new owner", widget(`[data-testid=operator-name]`)+`?.textContent.includes('Anna Admin')`)
	if evalJS[bool](t, visitor, `document.querySelector('portico-chat').shadowRoot.textContent.includes('refund')`) {
		t.Fatal("the visitor can read the transfer note")
	}

	// B invites A back; both consoles show both, and both may write.
	run(t, b, "open the invite dialog", chromedp.Click(chromedp.CSS(`[data-testid=invite]`)))
	invite := `[data-testid=invite-picker] [data-operator-id="` + alexOp.ID + `"] input`
	waitJS(t, b, "A is offered", `document.querySelector(`+jsString(invite)+`)`)
	run(t, b, "invite A", chromedp.Click(chromedp.CSS(invite)), chromedp.Click(chromedp.CSS(`[data-testid=picker-confirm]`)))
	both := annaOp.ID + "," + alexOp.ID
	participants := `[...document.querySelectorAll('[data-testid=participant]')].map(p => p.dataset.operatorId).join(',')`
	waitEqual(t, b, "B sees both", participants, both)
	waitEqual(t, a, "A sees both", participants, both)
	waitJS(t, a, "A may write again", `!document.querySelector('[data-testid=composer]').closest('form').hidden`)
	waitJS(t, visitor, "Alex joined again", widgetSystem("Alex Agent joined the chat"))

	run(t, a, "A writes",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "Back to help with the label"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.Enter))
	run(t, b, "B writes",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "The refund is on its way"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.Enter))
	for _, text := range []string{"Back to help with the label", "The refund is on its way"} {
		waitJS(t, visitor, "the visitor reads "+text, widgetAll(`[data-testid=message][data-author-type=operator]`)+`.some(m => m.textContent.includes(`+jsString(text)+`))`)
		waitJS(t, a, "A reads "+text, consoleHas(text))
		waitJS(t, b, "B reads "+text, consoleHas(text))
	}

	// The store agrees: B owns the chat, both take part, and the visitor saw three system messages.
	token := loginToken(t, srv, anna.Email, anna.Password)
	convs := testutil.DoHeaders(t, http.MethodGet, srv.URL+"/api/v1/conversations?status=active", token, nil, nil).List("conversations")
	if len(convs) != 1 {
		t.Fatalf("active chats: %v", convs)
	}
	c := convs[0].(map[string]any)
	if c["owner_id"] != annaOp.ID || len(c["participants"].([]any)) != 2 {
		t.Fatalf("stored: %v", c)
	}
	n := evalJS[int](t, visitor, widgetAll(`[data-testid=message][data-author-type=system]`)+`.length`)
	if n != 3 {
		t.Fatalf("the widget shows %d system messages, want 3", n)
	}
}
