package e2e

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// withPassword makes an operator whose password the test knows, to type it in the console.
func withPassword(t *testing.T, srv *testutil.Server, acc *domain.Account, role domain.Role) (*domain.Operator, string, string) {
	t.Helper()
	op, token := srv.Operator(acc, role)
	password := "pw-" + domain.NewSecret(8)
	hash, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Store.SetOperatorPassword(t.Context(), op.ID, hash); err != nil {
		t.Fatal(err)
	}
	return op, password, token
}

// An admin adds an operator without typing a password, sees the one Portico generated, and
// the new operator signs in with it.
func TestAdminAddsAnOperatorWithAGeneratedPassword(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	admin, password, _ := withPassword(t, srv, acc, domain.RoleAdmin)
	page := newBrowser(t, 1280, 800)
	signIn(t, page, srv.URL, admin.Email, password)

	run(t, page, "open the team dialog", chromedp.Click(chromedp.CSS(`[data-testid=open-team]`)))
	waitJS(t, page, "the operators are listed", `document.querySelectorAll('[data-testid=operator-row]').length === 1`)
	run(t, page, "add an operator without a password",
		chromedp.Click(chromedp.CSS(`[data-testid=add-operator]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=new-operator-email]`), "carla@shop.example"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=new-operator-name]`), "Carla <b>Costa</b>"),
		chromedp.Click(chromedp.CSS(`[data-testid=create-operator]`)))
	waitJS(t, page, "the generated password is shown", `document.querySelector('[data-testid=generated-password]')?.textContent.length >= 16`)
	generated := evalJS[string](t, page, `document.querySelector('[data-testid=generated-password]').textContent`)
	waitJS(t, page, "the new operator is in the list, as text",
		`[...document.querySelectorAll('[data-testid=operator-row]')].some(r => r.textContent.includes('Carla <b>Costa</b>') && r.textContent.includes('carla@shop.example'))`)

	newcomer := newBrowser(t, 390, 800)
	signIn(t, newcomer, srv.URL, "carla@shop.example", generated)
	waitEqual(t, newcomer, "the newcomer's profile button names them",
		`document.querySelector('[data-testid=open-profile]').getAttribute('aria-label')`, "Your profile: Carla <b>Costa</b>")
}

// An agent types "/" and part of a shortcut in the composer, picks a canned response from the
// suggestions with the keyboard and sends it; the visitor receives it.
func TestAgentSendsACannedResponse(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, _, adminTok := withPassword(t, srv, acc, domain.RoleAdmin)
	agent, password, agentTok := withPassword(t, srv, acc, domain.RoleAgent)
	const teamHello = "Hello! Thanks for writing to the shop, how can I help?"
	srv.Do("POST", "/api/v1/canned-responses", adminTok, map[string]string{"scope": "account", "shortcut": "hello", "title": "Greeting", "body": teamHello}).Want(t, http.StatusCreated)
	srv.Do("POST", "/api/v1/canned-responses", agentTok, map[string]string{"shortcut": "help", "title": "My help", "body": "Let me look into it."}).Want(t, http.StatusCreated)

	vt, _ := srv.Visitor(acc, "https://shop.example/")
	visitor := srv.DialVisitor(vt)
	srv.StartChat(vt, "Hi, do you ship to Portugal?")

	page := newBrowser(t, 1280, 800)
	signIn(t, page, srv.URL, agent.Email, password)
	waitJS(t, page, "the waiting chat", `document.querySelector('[data-testid=waiting-item]')`)
	run(t, page, "claim the chat",
		chromedp.Click(chromedp.CSS(`[data-testid=waiting-item]`)),
		chromedp.Click(chromedp.CSS(`[data-testid=claim]`)))
	waitJS(t, page, "the composer", `document.querySelector('[data-testid=composer]')?.offsetParent`)

	run(t, page, "type / and the start of a shortcut", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), "/he"))
	waitEqual(t, page, "both responses are suggested, the agent's own first",
		`[...document.querySelectorAll('[data-testid=canned-option]')].map(o => o.dataset.shortcut).join(',')`, "help,hello")
	run(t, page, "choose the second with the arrow key and insert it", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.ArrowDown+kb.Enter))
	waitEqual(t, page, "the response is in the composer", `document.querySelector('[data-testid=composer]').value`, teamHello)
	if !evalJS[bool](t, page, `document.querySelector('[data-testid=canned-suggestions]').hidden`) {
		t.Fatal("the suggestions are still open after inserting")
	}
	// Escape closes the suggestions without inserting anything.
	run(t, page, "start another shortcut and dismiss it", chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), " /he"+kb.Escape))
	waitJS(t, page, "the suggestions are closed", `document.querySelector('[data-testid=canned-suggestions]').hidden`)
	run(t, page, "take the shortcut back out and send",
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.Backspace+kb.Backspace+kb.Backspace+kb.Backspace),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=composer]`), kb.Enter))

	got := visitor.NextWhere("message", func(f map[string]any) bool { return testutil.Field(f, "message", "author", "type") == "operator" })
	if body := testutil.Field(got, "message", "body"); body != teamHello {
		t.Fatalf("the visitor received %q, want the canned response %q", body, teamHello)
	}
}

// The answering operator's photo shows in the widget on a customer's site, which is another
// origin than the Portico server's.
func TestWidgetShowsTheOperatorPhotoOnAnotherSite(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, opTok := srv.Operator(acc, domain.RoleAgent)
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		img.Set(x, x, color.RGBA{G: 160, A: 255})
	}
	var photo bytes.Buffer
	if err := png.Encode(&photo, img); err != nil {
		t.Fatal(err)
	}
	url := testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/me/photo", opTok, photo.String(), map[string]string{"Content-Type": "image/png"}).
		Want(t, http.StatusOK).String("operator", "photo_url")

	srv.DialOperator(opTok) // someone is there to answer: the widget offers a chat

	// The customer's page, on its own origin.
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>Shop</title><h1>Shop</h1><script async src="%s/widget.js" data-account="%s"></script>`, srv.URL, acc.Key)
	}))
	t.Cleanup(site.Close)

	page := newBrowser(t, 1280, 800)
	run(t, page, "open the customer's page", chromedp.Navigate(site.URL+"/"))
	waitJS(t, page, "the widget's launcher", widget(`[data-testid=launcher]`))
	run(t, page, "open the chat", chromedp.Click(inWidget(`[data-testid=launcher]`)))
	waitJS(t, page, "the composer", widget(`[data-testid=composer]`)+`?.offsetParent`)
	run(t, page, "write", chromedp.SendKeys(inWidget(`[data-testid=composer]`), "Hello?"+kb.Enter))
	waitJS(t, page, "the message is stored", widget(`[data-testid=message][data-seq="1"]`))

	convs := srv.Do("GET", "/api/v1/conversations?status=waiting", opTok, nil).Want(t, http.StatusOK).List("conversations")
	if len(convs) != 1 {
		t.Fatalf("%d waiting conversations, want 1", len(convs))
	}
	id := convs[0].(map[string]any)["id"].(string)
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", opTok, nil).Want(t, http.StatusOK)
	waitJS(t, page, "the operator's photo has loaded in the widget header",
		`(() => { const i = `+widget(`.av img`)+`; return i && i.complete && i.naturalWidth === 8 && i.src === `+jsString(srv.URL+url)+`; })()`)
}

// An operator who asked to be told hears that a colleague picked up a chat they were alerted
// to; the sound toggle and the profile are saved on the server; a new role does not sign the
// operator out.
func TestProfileSettingsInTheConsole(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, _, adminTok := withPassword(t, srv, acc, domain.RoleAdmin)
	me, password, meTok := withPassword(t, srv, acc, domain.RoleAgent)
	colleague, colleagueTok := srv.Operator(acc, domain.RoleAgent)
	srv.Do("PATCH", "/api/v1/me", meTok, map[string]any{"notify_colleague_pickup": true, "alert_sound": true}).Want(t, http.StatusOK)

	page := newBrowser(t, 1280, 800)
	signIn(t, page, srv.URL, me.Email, password)
	waitEqual(t, page, "the team button of an agent", `document.querySelector('[data-testid=open-team]').textContent`, "Replies")

	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "anyone?")
	waitJS(t, page, "the chat rings", `document.querySelector('[data-testid=waiting-item]')`)
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", colleagueTok, nil).Want(t, http.StatusOK)
	waitJS(t, page, "the pickup notice", `[...document.querySelectorAll('[data-testid=toast]')].some(t => t.textContent.includes(`+jsString(colleague.Name+" picked up the chat")+`))`)

	run(t, page, "turn the sound off", chromedp.Click(chromedp.CSS(`[data-testid=sound]`)))
	waitEqual(t, page, "the toggle says off", `document.querySelector('[data-testid=sound]').getAttribute('aria-pressed')`, "false")
	waitFor(t, "the sound setting is saved", func() bool {
		return srv.Do("GET", "/api/v1/me", meTok, nil).Path("operator", "alert_sound") == false
	})

	run(t, page, "rename in the profile",
		chromedp.Click(chromedp.CSS(`[data-testid=open-profile]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid=profile-name]`)),
		chromedp.Clear(chromedp.CSS(`[data-testid=profile-name]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid=profile-name]`), "Marta Silva"),
		chromedp.Click(chromedp.CSS(`[data-testid=profile-save]`)))
	waitEqual(t, page, "the top bar shows the new name", `document.querySelector('[data-testid=open-profile]').getAttribute('aria-label')`, "Your profile: Marta Silva")
	if n := srv.Do("GET", "/api/v1/me", meTok, nil).String("operator", "name"); n != "Marta Silva" {
		t.Fatalf("the name on the server is %q", n)
	}

	// Promoted: the socket is closed with 4401, the console asks who it is and carries on.
	srv.Do("PATCH", "/api/v1/operators/"+me.ID, adminTok, map[string]string{"role": "admin"}).Want(t, http.StatusOK)
	waitEqual(t, page, "the team button of an admin", `document.querySelector('[data-testid=open-team]').textContent`, "Team")
	if evalJS[bool](t, page, `!!document.querySelector('[data-testid=login-email]')`) {
		t.Fatal("a new role signed the operator out")
	}
	waitEqual(t, page, "connected again", `document.querySelector('[data-testid=conn-state]').hidden ? 'online' : 'no'`, "online")
}

// waitFor polls a condition on the server's side.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A chat that a rule gave to other operators does not ring for an admin, who sees it but is
// not offered to claim it.
func TestRoutedChatInAnotherAdminsConsole(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	admin, password, adminTok := withPassword(t, srv, acc, domain.RoleAdmin)
	agent, _ := srv.Operator(acc, domain.RoleAgent)
	srv.Do("POST", "/api/v1/routing-rules", adminTok, map[string]any{"pattern": "/cars/*", "operator_ids": []string{agent.ID}}).Want(t, http.StatusCreated)

	page := newBrowser(t, 1280, 800)
	signIn(t, page, srv.URL, admin.Email, password)
	vt, _ := srv.Visitor(acc, "https://shop.example/cars/7")
	srv.StartChat(vt, "about the red car")
	waitJS(t, page, "the routed chat is listed", `document.querySelector('[data-testid=waiting-item]')`)
	if evalJS[bool](t, page, `document.querySelector('[data-testid=waiting-item]').classList.contains('is-new')`) {
		t.Fatal("a chat routed to someone else rang for the admin")
	}
	run(t, page, "open it", chromedp.Click(chromedp.CSS(`[data-testid=waiting-item]`)))
	waitJS(t, page, "the note says who it is for", `document.querySelector('.composer-note')?.textContent.includes('routing rule')`)
	if evalJS[bool](t, page, `!!document.querySelector('[data-testid=claim]')`) {
		t.Fatal("the admin is offered to claim a chat routed to someone else")
	}
}

// The team dialog's tabs stay where they are while its panels load and while the admin moves
// between panels of different heights, on a desktop and on a phone: a tab bar that jumps
// makes the next click land on something else.
func TestTeamDialogTabsStayPutAsPanelsChange(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	admin, password, _ := withPassword(t, srv, acc, domain.RoleAdmin)
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 800}, {"phone", 390, 800}} {
		t.Run(size.name, func(t *testing.T) {
			page := newBrowser(t, size.width, size.height)
			signIn(t, page, srv.URL, admin.Email, password)
			const tabsTop = `Math.round(document.querySelector('[data-testid=team-dialog] [role=tablist]').getBoundingClientRect().top)`
			run(t, page, "open the team dialog", chromedp.Click(chromedp.CSS(`[data-testid=open-team]`)))
			waitJS(t, page, "the dialog's tabs", `!!document.querySelector('[data-testid=team-dialog] [role=tablist]')`)
			before := evalJS[float64](t, page, tabsTop)
			waitJS(t, page, "the operators are listed", `document.querySelectorAll('[data-testid=operator-row]').length === 1`)
			if after := evalJS[float64](t, page, tabsTop); after != before {
				t.Errorf("the tabs moved from %v to %v px as the operators loaded", before, after)
			}
			run(t, page, "open proactive chat", chromedp.Click(chromedp.CSS(`[data-testid=team-tab-proactive]`)))
			waitJS(t, page, "no rules yet", `document.querySelector('.proactive-empty')?.offsetParent`)
			if after := evalJS[float64](t, page, tabsTop); after != before {
				t.Errorf("the tabs moved from %v to %v px on the proactive chat panel", before, after)
			}
		})
	}
}
