package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// A visitor on the demo portal's results page chats with two advertisers at once; each
// advertiser's operator sees only their own chat, with the listing's title.
func TestPortalVisitorChatsWithTwoAdvertisers(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithDemo())
	logins := demoLogins(t, srv)
	north, south := logins["North Homes"], logins["South Estates"]
	northOp := newBrowser(t, 1280, 800)
	southOp := newBrowser(t, 1280, 800)
	visitor := newBrowser(t, 1280, 800)
	signIn(t, northOp, srv.URL, north.Email, north.Password)
	signIn(t, southOp, srv.URL, south.Email, south.Password)

	run(t, visitor, "open the results page", chromedp.Navigate(srv.URL+"/demo/portal/"))
	waitJS(t, visitor, "the widget's launcher", widget(`[data-testid=launcher]`))
	chat := func(advertiser, listing, text string) {
		t.Helper()
		run(t, visitor, "chat with "+advertiser,
			chromedp.Click(chromedp.CSS(`[data-portico-advertiser=`+advertiser+`][data-portico-listing=`+listing+`]`)))
		waitJS(t, visitor, "the composer for "+advertiser, widget(`[data-testid=composer]`)+`?.offsetParent`)
		run(t, visitor, "write to "+advertiser,
			chromedp.SendKeys(inWidget(`[data-testid=composer]`), text),
			chromedp.SendKeys(inWidget(`[data-testid=composer]`), kb.Enter))
		waitJS(t, visitor, "the message to "+advertiser+" is stored",
			widgetAll(`[data-testid=message][data-seq="1"]`)+`.some(m => m.textContent.includes(`+jsString(text)+`))`)
	}
	chat("agency-north", "flat-101", "Is the flat by the river still free?")
	// The open chat box covers part of the page: the visitor closes it, then picks the loft.
	run(t, visitor, "close the chat box", chromedp.Click(inWidget(`[data-testid=launcher]`)))
	waitJS(t, visitor, "the chat box is closed", widget(`[data-testid=panel]`)+`?.hidden`)
	chat("agency-south", "loft-201", "Can I see the loft on Friday?")
	if n := evalJS[int](t, visitor, widgetAll(`[data-testid=message][data-author-type=visitor]`)+`.filter(m => m.textContent.includes('river')).length`); n != 0 {
		t.Fatal("the chat with South shows the message written to North")
	}

	items := `[...document.querySelectorAll('[data-testid=waiting-item]')]`
	waitJS(t, northOp, "North's waiting chat with the listing", items+`.some(i => i.textContent.includes('Bright two-bedroom flat by the river'))`)
	waitJS(t, southOp, "South's waiting chat with the listing", items+`.some(i => i.textContent.includes('Loft in the old harbour'))`)
	for name, page := range map[string]context.Context{"North": northOp, "South": southOp} {
		if n := evalJS[int](t, page, items+`.length`); n != 1 {
			t.Fatalf("%s's console lists %d waiting chats, want only its own", name, n)
		}
	}
	if evalJS[bool](t, northOp, items+`.some(i => i.textContent.includes('Loft'))`) || evalJS[bool](t, southOp, items+`.some(i => i.textContent.includes('river'))`) {
		t.Fatal("an advertiser's console shows the other advertiser's chat")
	}
	run(t, northOp, "open North's chat", chromedp.Click(chromedp.CSS(`[data-testid=waiting-item]`)))
	waitJS(t, northOp, "the listing in the chat header", `document.querySelector('[data-testid=head-listing]')?.textContent.includes('Bright two-bedroom flat')`)
	waitJS(t, northOp, "the visitor's message", `[...document.querySelectorAll('[data-testid=message]')].some(m => m.textContent.includes('river'))`)

	// Through the API as well: each sees one chat, its own.
	for _, l := range []demo.Login{north, south} {
		convs := testutil.DoHeaders(t, http.MethodGet, srv.URL+"/api/v1/conversations", loginToken(t, srv, l.Email, l.Password), nil, nil).List("conversations")
		if len(convs) != 1 || convs[0].(map[string]any)["advertiser"].(map[string]any)["name"] != l.Account {
			t.Fatalf("%s's conversations: %v", l.Account, convs)
		}
	}
}

// The Settings view: the portal's admin locks settings, the advertiser's admin sees which of
// theirs the portal overrides, and the portal's admin sees the advertisers and who is online.
func TestPortalSettingsAndAdvertisersInTheConsole(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithDemo())
	logins := demoLogins(t, srv)
	portalAdmin, north := logins["Demo Property Portal"], logins["North Homes"]
	northTok := loginToken(t, srv, north.Email, north.Password)
	portalTok := loginToken(t, srv, portalAdmin.Email, portalAdmin.Password)
	testutil.DoHeaders(t, http.MethodPatch, srv.URL+"/api/v1/settings", northTok, map[string]any{"settings": map[string]any{"auto_open_after_seconds": 10}}, nil).Want(t, http.StatusOK)
	testutil.DoHeaders(t, http.MethodPatch, srv.URL+"/api/v1/settings", portalTok, map[string]any{"settings": map[string]any{}, "locked": []string{"auto_open_after_seconds"}}, nil).Want(t, http.StatusOK)

	adv := newBrowser(t, 390, 800) // a phone
	signIn(t, adv, srv.URL, north.Email, north.Password)
	run(t, adv, "open the settings", chromedp.Click(chromedp.CSS(`[data-testid=open-settings]`)))
	waitJS(t, adv, "the advertiser's own auto-open value", `document.querySelector('[data-testid=setting-auto_open_after_seconds]')?.value === '10'`)
	waitJS(t, adv, "the overridden mark", `document.querySelector('[data-testid=overridden-auto_open_after_seconds]')?.offsetParent`)
	if evalJS[bool](t, adv, `!!document.querySelector('[data-testid=overridden-color]')?.offsetParent || !!document.querySelector('[data-testid=lock-color]')?.offsetParent`) {
		t.Fatal("the advertiser's admin sees a lock toggle or an override that is not there")
	}
	if evalJS[bool](t, adv, `!!document.querySelector('[data-testid=open-advertisers]')?.offsetParent`) {
		t.Fatal("an advertiser's admin is offered the portal's advertisers")
	}

	p := newBrowser(t, 1280, 800)
	signIn(t, p, srv.URL, portalAdmin.Email, portalAdmin.Password)
	run(t, p, "open the settings", chromedp.Click(chromedp.CSS(`[data-testid=open-settings]`)))
	waitJS(t, p, "the lock on auto-open", `document.querySelector('[data-testid=lock-auto_open_after_seconds]')?.checked`)
	run(t, p, "lock the colour and save",
		chromedp.Click(chromedp.CSS(`[data-testid=lock-color]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=settings-save]`)))
	waitEqual(t, p, "saved", `document.querySelector('[data-testid=settings-message]')?.textContent`, "Saved.")
	locked := testutil.DoHeaders(t, http.MethodGet, srv.URL+"/api/v1/settings", portalTok, nil, nil).Want(t, http.StatusOK).List("locked")
	if len(locked) != 2 {
		t.Fatalf("locked after saving: %v", locked)
	}
	run(t, p, "close the settings", chromedp.Click(chromedp.CSS(`[data-testid=settings-panel-close]`)))
	run(t, p, "open the advertisers", chromedp.Click(chromedp.CSS(`[data-testid=open-advertisers]`)))
	waitEqual(t, p, "two advertisers", `String(document.querySelectorAll('[data-testid=advertiser]').length)`, "2")
	// North's admin is signed in on the phone: North is online, South is not.
	waitEqual(t, p, "who is online", `[...document.querySelectorAll('[data-testid=advertiser]')].map(a => a.querySelector('[data-testid=advertiser-name]').textContent + ':' + a.querySelector('[data-testid=advertiser-online]').textContent).join(',')`,
		"North Homes:online,South Estates:offline")
}

// A portal of many advertisers: the panel shows them a page at a time by name, more on asking,
// and finds one by name or id as the admin types.
func TestPortalAdvertisersPanelPagesAndSearches(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithDemo())
	logins := demoLogins(t, srv)
	portalAdmin := logins["Demo Property Portal"]
	portal, err := srv.Store.AccountByKey(context.Background(), demo.PortalKey)
	if err != nil {
		t.Fatal(err)
	}
	const extra = 55
	for i := range extra {
		adv := &domain.Account{ID: domain.NewID(), Kind: domain.KindAdvertiser, Name: fmt.Sprintf("Agency %02d", i+1),
			Key: "pk_" + domain.NewSecret(8), ParentID: portal.ID, ExternalID: fmt.Sprintf("agency-%02d", i+1), CreatedAt: time.Now()}
		if err := srv.Store.CreateAccount(context.Background(), adv); err != nil {
			t.Fatal(err)
		}
	}
	count := `String(document.querySelectorAll('[data-testid=advertiser]').length)`
	names := `[...document.querySelectorAll('[data-testid=advertiser-name]')].map(n => n.textContent).join(',')`

	p := newBrowser(t, 390, 800) // a phone
	signIn(t, p, srv.URL, portalAdmin.Email, portalAdmin.Password)
	run(t, p, "open the advertisers", chromedp.Click(chromedp.CSS(`[data-testid=open-advertisers]`)))
	waitEqual(t, p, "the first page", count, "50")
	run(t, p, "show more", chromedp.Click(chromedp.CSS(`[data-testid=advertisers-more]`)))
	waitEqual(t, p, "every advertiser", count, fmt.Sprint(extra+2))
	waitJS(t, p, "no more to show", `document.querySelector('[data-testid=advertisers-more]').hidden`)
	if got := evalJS[string](t, p, `[...document.querySelectorAll('[data-testid=advertiser-name]')].slice(-3).map(n => n.textContent).join(',')`); got != "Agency 55,North Homes,South Estates" {
		t.Fatalf("the last three by name: %s", got)
	}
	search := chromedp.CSS(`[data-testid=advertisers-search]`)
	run(t, p, "look for South", chromedp.SendKeys(search, "south"))
	waitEqual(t, p, "South alone", names, "South Estates")
	run(t, p, "look for an advertiser by its id", chromedp.SendKeys(search, strings.Repeat(kb.Backspace, len("south"))+"agency-07"))
	waitEqual(t, p, "agency-07", names, "Agency 07")
	run(t, p, "look for nobody", chromedp.SendKeys(search, strings.Repeat(kb.Backspace, len("agency-07"))+"nobody"))
	waitEqual(t, p, "the empty answer", `document.querySelector('[data-testid=advertisers-empty]')?.textContent ?? ''`, "No advertiser matches “nobody”.")
	if got := evalJS[string](t, p, count); got != "0" {
		t.Fatalf("%s advertisers listed for nobody", got)
	}
}

// The widget on a listing page shows whether the listing's advertiser (or, for it, the portal's
// backup operators) can answer as it changes, and on the results page knows it for the advertisers of the chat buttons: the visitor is
// offered the offline form where nobody can answer, the chat where someone can.
func TestPortalWidgetFollowsTheAdvertisersItOffers(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithDemo())
	logins := demoLogins(t, srv)
	north, south := logins["North Homes"], logins["South Estates"]
	northTok := loginToken(t, srv, north.Email, north.Password)
	srv.DialOperator(northTok)
	setStatus := func(status string) {
		t.Helper()
		testutil.DoHeaders(t, http.MethodPatch, srv.URL+"/api/v1/me", northTok, map[string]string{"status": status}, nil).Want(t, http.StatusOK)
	}
	composer := widget(`[data-testid=composer]`) + `?.offsetParent`
	offlineForm := widget(`[data-testid=offline-form]`) + `?.offsetParent`

	visitor := newBrowser(t, 1280, 800)
	run(t, visitor, "open North's listing", chromedp.Navigate(srv.URL+"/demo/portal/listing/flat-101"))
	waitJS(t, visitor, "the widget's launcher", widget(`[data-testid=launcher]`))
	run(t, visitor, "open the chat box", chromedp.Click(inWidget(`[data-testid=launcher]`)))
	waitJS(t, visitor, "the composer: North's operator is there", composer)
	setStatus("away")
	waitJS(t, visitor, "the offline form once North's operator is away", offlineForm)
	// The portal's call centre answers for North while nobody of North is there.
	portalTok := loginToken(t, srv, logins["Demo Property Portal"].Email, logins["Demo Property Portal"].Password)
	testutil.DoHeaders(t, http.MethodPut, srv.URL+"/api/v1/portal/backup", portalTok, map[string]any{"enabled": true}, nil).Want(t, http.StatusOK)
	callCentre := srv.DialOperator(portalTok)
	waitJS(t, visitor, "the composer once the portal's backup operator connects", composer)
	callCentre.Conn.CloseNow()
	waitJS(t, visitor, "the offline form once the backup operator leaves", offlineForm)
	setStatus("online")
	waitJS(t, visitor, "the composer again once North's operator is back", composer)

	run(t, visitor, "open the results page", chromedp.Navigate(srv.URL+"/demo/portal/"))
	waitJS(t, visitor, "the chat box, open as it was", widget(`[data-testid=panel]`)+`?.hidden === false`)
	// The open box covers part of the page: the visitor closes it, then asks about the studio.
	run(t, visitor, "close the chat box", chromedp.Click(inWidget(`[data-testid=launcher]`)))
	waitJS(t, visitor, "the chat box is closed", widget(`[data-testid=panel]`)+`?.hidden`)
	run(t, visitor, "ask South about the studio",
		chromedp.Click(chromedp.CSS(`[data-portico-advertiser=agency-south][data-portico-listing=studio-202]`)))
	waitJS(t, visitor, "the chat box is about the studio", widget(`[data-testid=context]`)+`?.textContent === 'Studio near the university'`)
	waitJS(t, visitor, "the offline form: nobody of South is there", offlineForm)
	srv.DialOperator(loginToken(t, srv, south.Email, south.Password))
	waitJS(t, visitor, "the composer once South's operator connects", composer)
}

// A results page's chat buttons carry whether someone answers for their advertiser, for the
// page's own styles, and so do buttons the page adds after the widget connected.
func TestPortalChatButtonsShowWhoAnswers(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithDemo())
	logins := demoLogins(t, srv)
	north, south := logins["North Homes"], logins["South Estates"]
	srv.DialOperator(loginToken(t, srv, north.Email, north.Password))
	buttons := `[...new Set([...document.querySelectorAll('[data-portico-advertiser]')].map(b => b.dataset.porticoAdvertiser + ':' + b.dataset.porticoOnline))].sort().join(',')`

	visitor := newBrowser(t, 1280, 800)
	run(t, visitor, "open the results page", chromedp.Navigate(srv.URL+"/demo/portal/"))
	waitEqual(t, visitor, "North's buttons online, South's not", buttons, "agency-north:true,agency-south:false")
	southSocket := srv.DialOperator(loginToken(t, srv, south.Email, south.Password))
	waitEqual(t, visitor, "South's buttons once its operator connects", buttons, "agency-north:true,agency-south:true")

	// A listing page follows its own advertiser; a button the page adds later, South's, is
	// followed too.
	run(t, visitor, "open North's listing", chromedp.Navigate(srv.URL+"/demo/portal/listing/flat-101"))
	waitJS(t, visitor, "the widget's launcher", widget(`[data-testid=launcher]`))
	run(t, visitor, "the page adds a chat button for South", chromedp.Evaluate[chromedp.Void](
		`document.body.insertAdjacentHTML('beforeend', '<button id=later data-portico-advertiser=agency-south>Ask South</button>')`))
	later := `document.getElementById('later').dataset.porticoOnline`
	waitEqual(t, visitor, "the added button: South answers", later, "true")
	southSocket.Conn.CloseNow()
	waitEqual(t, visitor, "the added button once South's operator leaves", later, "false")
}

// demoLogins seeds the demo accounts on srv and returns their logins by account name.
func demoLogins(t *testing.T, srv *testutil.Server) map[string]demo.Login {
	t.Helper()
	seeded, err := demo.Seed(context.Background(), srv.Store, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	logins := map[string]demo.Login{}
	for _, l := range seeded.Logins {
		logins[l.Account] = l
	}
	return logins
}
