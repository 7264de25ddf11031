package httpapi_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

func mailServer(t *testing.T) (*testutil.Server, *testutil.SMTPServer) {
	t.Helper()
	smtpSrv := testutil.NewSMTPServer(t)
	srv := testutil.NewServer(t, testutil.WithSMTP(smtpSrv.URL()), testutil.WithMailWorker(testutil.FastMail))
	return srv, smtpSrv
}

// inOrder fails unless every want appears in text, each after the one before.
func inOrder(t *testing.T, part, text string, want []string) {
	t.Helper()
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("%s part: %q missing or out of order in:\n%s", part, w, text)
		}
		at += i + len(w)
	}
}

const hostile = `<img src=x onerror=alert(1)>`

func TestCloseWithCategoryMailsTheWholeTranscript(t *testing.T) {
	srv, smtpSrv := mailServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin)
	agent, agentTok := srv.OperatorWithTranscript(acc, domain.RoleAgent, "agent.copies@ops.example")
	cat := srv.Do("POST", "/api/v1/categories", admin, map[string]string{"name": "Sales", "email": "sales@shop.example"}).
		Want(t, http.StatusCreated).String("category", "id")

	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "Hello, is the blue vase in stock?")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", agentTok, nil).Want(t, http.StatusOK)
	bodies := []string{"Hello, is the blue vase in stock?"}
	for i, m := range []struct{ token, body string }{
		{agentTok, "Yes, two left. Zoë will wrap it ✓"},
		{vt, hostile},
		{agentTok, "Line one\nline two"},
		{vt, "Thanks & bye"},
	} {
		path := "/api/v1/conversations/" + id + "/messages"
		if m.token == vt {
			path = "/api/v1/widget/conversations/" + id + "/messages"
		}
		srv.Do("POST", path, m.token, map[string]string{"body": m.body, "client_msg_id": "m" + string(rune('0'+i))}).Want(t, http.StatusCreated)
		bodies = append(bodies, m.body)
	}
	srv.Do("POST", "/api/v1/conversations/"+id+"/close", agentTok, map[string]string{"category_id": cat}).Want(t, http.StatusOK)

	smtpSrv.WaitFor(2, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(smtpSrv.Mails()); n != 2 {
		t.Fatalf("%d mails, want 2 (category and the agent's copy)", n)
	}
	toCategory := smtpSrv.To("sales@shop.example")
	copies := smtpSrv.To("agent.copies@ops.example")
	if len(toCategory) != 1 || len(copies) != 1 {
		t.Fatalf("to the category: %d, copies to the agent: %d; want one each", len(toCategory), len(copies))
	}
	m := toCategory[0]
	if !strings.Contains(m.Subject, "[Sales]") || !strings.Contains(m.Subject, acc.Name) {
		t.Errorf("subject = %q", m.Subject)
	}
	textWant := slices.Clone(bodies)
	textWant[3] = "Line one\n    line two"
	htmlWant := []string{bodies[0], "Yes, two left. Zoë will wrap it ✓", "&lt;img src=x onerror=alert(1)&gt;", "Line one\nline two", "Thanks &amp; bye"}
	for _, got := range []*testutil.ReceivedMail{m, copies[0]} {
		text := strings.ReplaceAll(got.Text, "\r\n", "\n")
		html := strings.ReplaceAll(got.HTML, "\r\n", "\n")
		inOrder(t, "text", text, textWant)
		inOrder(t, "html", html, htmlWant)
		if strings.Contains(html, "<img src=x") || !strings.Contains(html, "&lt;img") {
			t.Fatalf("the hostile message is not escaped in the HTML part:\n%s", html)
		}
		if !strings.Contains(text, agent.Name) || !strings.Contains(text, "/console/c/"+id) {
			t.Errorf("the text part lacks the operator's name or the console link:\n%s", text)
		}
		if got.From != "portico@127.0.0.1" {
			t.Errorf("envelope sender %q", got.From)
		}
	}
}

func TestCloseWithoutCategoryOrCopiesSendsNothing(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, agent := srv.Operator(acc, domain.RoleAgent)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "hi")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", agent, nil).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/conversations/"+id+"/close", agent, nil).Want(t, http.StatusOK)
	if mails, err := srv.Store.ConversationMail(t.Context(), id); err != nil || len(mails) != 0 {
		t.Fatalf("mail queued: %v, %v", mails, err)
	}
}

func TestCloseRefusesAnotherAccountsCategory(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	other := srv.Account(domain.KindWebsite, nil, "")
	_, agent := srv.Operator(acc, domain.RoleAgent)
	_, otherAdmin := srv.Operator(other, domain.RoleAdmin)
	theirs := srv.Do("POST", "/api/v1/categories", otherAdmin, map[string]string{"name": "Theirs", "email": "t@other.example"}).
		Want(t, http.StatusCreated).String("category", "id")
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "hi")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", agent, nil).Want(t, http.StatusOK)
	for _, cat := range []string{theirs, "no-such-category"} {
		res := srv.Do("POST", "/api/v1/conversations/"+id+"/close", agent, map[string]string{"category_id": cat})
		res.WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		if res.String("error", "field") != "category_id" {
			t.Fatalf("field = %q", res.String("error", "field"))
		}
	}
	if st := srv.Do("GET", "/api/v1/conversations/"+id, agent, nil).String("conversation", "status"); st != "active" {
		t.Fatalf("a refused close closed the chat: %s", st)
	}
}

func TestVisitorAsksForTheTranscript(t *testing.T) {
	srv, smtpSrv := mailServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, agent := srv.Operator(acc, domain.RoleAgent)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "Do you ship to Norway?")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", agent, nil).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", agent, map[string]string{"body": "We do, in 3 days.", "client_msg_id": "a1"}).Want(t, http.StatusCreated)
	srv.Do("POST", "/api/v1/conversations/"+id+"/close", agent, nil).Want(t, http.StatusOK)

	path := "/api/v1/widget/conversations/" + id + "/transcript"
	srv.Do("POST", path, vt, map[string]string{"email": "not an address"}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	srv.Do("POST", path, vt, map[string]string{"email": "me@visitor.example"}).Want(t, http.StatusAccepted)
	m := smtpSrv.WaitFor(1, 10*time.Second)[0]
	if m.To[0] != "me@visitor.example" || !strings.Contains(m.Subject, acc.Name) {
		t.Fatalf("mail to %v, subject %q", m.To, m.Subject)
	}
	inOrder(t, "text", m.Text, []string{"Do you ship to Norway?", "We do, in 3 days."})
	inOrder(t, "html", m.HTML, []string{"Do you ship to Norway?", "We do, in 3 days."})
	if strings.Contains(m.Text, "/console/") {
		t.Error("the visitor's copy links to the console")
	}

	// Someone else's conversation is not found, and nothing is sent.
	other, _ := srv.Visitor(acc, "https://shop.example/")
	srv.Do("POST", path, other, map[string]string{"email": "me@visitor.example"}).WantError(t, http.StatusNotFound, "not_found")
	srv.Do("POST", "/api/v1/widget/conversations/nope/transcript", vt, map[string]string{"email": "me@visitor.example"}).WantError(t, http.StatusNotFound, "not_found")

	// Five an hour.
	for range 4 {
		srv.Do("POST", path, vt, map[string]string{"email": "me@visitor.example"}).Want(t, http.StatusAccepted)
	}
	srv.Do("POST", path, vt, map[string]string{"email": "me@visitor.example"}).WantError(t, http.StatusTooManyRequests, "rate_limited")
	srv.Do("POST", path, vt, map[string]string{"email": "another@visitor.example"}).WantError(t, http.StatusTooManyRequests, "rate_limited")
	smtpSrv.WaitFor(5, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	if n := len(smtpSrv.Mails()); n != 5 {
		t.Fatalf("%d transcripts sent, want 5", n)
	}
}

func TestOfflineMessageIsStoredAndMailedToTheChosenRecipients(t *testing.T) {
	srv, smtpSrv := mailServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	admin, adminTok := srv.Operator(acc, domain.RoleAdmin)
	agent, agentTok := srv.Operator(acc, domain.RoleAgent)
	helper, _ := srv.Operator(acc, domain.RoleAgent)

	// Nobody chosen: the admins receive them.
	rec := srv.Do("GET", "/api/v1/offline-messages/recipients", agentTok, nil).Want(t, http.StatusOK)
	if rec.Path("fallback_to_admins") != true || len(rec.List("operator_ids")) != 0 || len(rec.List("operators")) != 3 {
		t.Fatalf("recipients before a choice: %s", rec.Raw)
	}
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	leave := func(body string) {
		srv.Do("POST", "/api/v1/widget/offline-messages", vt, map[string]string{"name": "Zoë", "email": "zoe@visitor.example", "body": body}).
			Want(t, http.StatusAccepted)
	}
	leave("Please call me back " + hostile)
	m := smtpSrv.WaitFor(1, 10*time.Second)[0]
	if m.To[0] != admin.Email {
		t.Fatalf("without a choice the mail went to %v, want the admin %s", m.To, admin.Email)
	}
	if !strings.Contains(m.Text, "Please call me back") || !strings.Contains(m.HTML, "&lt;img") || strings.Contains(m.HTML, "<img src=x") {
		t.Fatalf("the message in the mail:\n%s\n%s", m.Text, m.HTML)
	}
	if rt, err := m.Header.AddressList("Reply-To"); err != nil || rt[0].Address != "zoe@visitor.example" {
		t.Fatalf("Reply-To = %v, %v", rt, err)
	}

	srv.Do("PUT", "/api/v1/offline-messages/recipients", adminTok, map[string]any{"operator_ids": []string{agent.ID, helper.ID, agent.ID}}).Want(t, http.StatusOK)
	leave("Second message")
	smtpSrv.WaitFor(3, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	mails := smtpSrv.Mails()
	if len(mails) != 3 || len(smtpSrv.To(agent.Email)) != 1 || len(smtpSrv.To(helper.Email)) != 1 || len(smtpSrv.To(admin.Email)) != 1 {
		t.Fatalf("after choosing two agents: %d mails", len(mails))
	}

	list := srv.Do("GET", "/api/v1/offline-messages", agentTok, nil).Want(t, http.StatusOK).List("offline_messages")
	if len(list) != 2 || list[0].(map[string]any)["body"] != "Second message" || list[1].(map[string]any)["email"] != "zoe@visitor.example" {
		t.Fatalf("offline messages, newest first: %v", list)
	}
}

func TestMailPermissions(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	other := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin)
	agent, agentTok := srv.Operator(acc, domain.RoleAgent)
	_, outsider := srv.Operator(other, domain.RoleAdmin)
	tokens := map[string]string{"admin": admin, "agent": agentTok, "outsider": outsider}
	cat := srv.Do("POST", "/api/v1/categories", admin, map[string]string{"name": "Sales", "email": "sales@shop.example"}).
		Want(t, http.StatusCreated).String("category", "id")
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	srv.Do("POST", "/api/v1/widget/offline-messages", vt, map[string]string{"email": "v@visitor.example", "body": "hello"}).Want(t, http.StatusAccepted)

	ours := func(res *testutil.Response, list string) bool {
		for _, item := range res.List(list) {
			if id := item.(map[string]any)["id"]; id == cat || id == agent.ID {
				return true
			}
			if item.(map[string]any)["email"] == "v@visitor.example" {
				return true
			}
		}
		return false
	}
	type want struct {
		status int
		sees   bool // the answer shows our account's data
	}
	cases := []struct {
		name, method, path string
		body               any
		list               string
		want               map[string]want
	}{
		{"list categories", "GET", "/api/v1/categories", nil, "categories",
			map[string]want{"admin": {200, true}, "agent": {200, true}, "outsider": {200, false}}},
		{"create a category", "POST", "/api/v1/categories", map[string]string{"name": "New", "email": "new@shop.example"}, "",
			map[string]want{"admin": {201, false}, "agent": {403, false}, "outsider": {201, false}}},
		{"rename our category", "PATCH", "/api/v1/categories/" + cat, map[string]string{"name": "Deals"}, "",
			map[string]want{"admin": {200, false}, "agent": {403, false}, "outsider": {404, false}}},
		{"read offline recipients", "GET", "/api/v1/offline-messages/recipients", nil, "operators",
			map[string]want{"admin": {200, true}, "agent": {200, true}, "outsider": {200, false}}},
		{"choose our agent", "PUT", "/api/v1/offline-messages/recipients", map[string]any{"operator_ids": []string{agent.ID}}, "",
			map[string]want{"admin": {200, false}, "agent": {403, false}, "outsider": {422, false}}},
		{"list offline messages", "GET", "/api/v1/offline-messages", nil, "offline_messages",
			map[string]want{"admin": {200, true}, "agent": {200, true}, "outsider": {200, false}}},
		{"delete our category", "DELETE", "/api/v1/categories/" + cat, nil, "",
			map[string]want{"agent": {403, false}, "outsider": {404, false}, "admin": {204, false}}},
	}
	for _, c := range cases {
		for _, who := range []string{"agent", "outsider", "admin"} { // the admin last: it may delete
			w, ok := c.want[who]
			if !ok {
				continue
			}
			res := srv.Do(c.method, c.path, tokens[who], c.body)
			if res.Status != w.status {
				t.Errorf("%s as %s: status %d, want %d; %s", c.name, who, res.Status, w.status, res.Raw)
				continue
			}
			if c.list != "" && ours(res, c.list) != w.sees {
				t.Errorf("%s as %s: sees our account's data = %v, want %v; %s", c.name, who, !w.sees, w.sees, res.Raw)
			}
		}
	}
	// What the refused calls did not change.
	if ids := srv.Do("GET", "/api/v1/offline-messages/recipients", admin, nil).List("operator_ids"); len(ids) != 1 || ids[0] != agent.ID {
		t.Errorf("recipients = %v", ids)
	}
	if srv.Do("GET", "/api/v1/categories", outsider, nil).List("categories") == nil {
		t.Error("the outsider's own category list is missing")
	}
	// Without a token nothing answers.
	for _, c := range cases {
		if res := srv.Do(c.method, c.path, "", c.body); res.Status != http.StatusUnauthorized {
			t.Errorf("%s without a token: %d", c.name, res.Status)
		}
	}
}

func TestCategoryValidation(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin)
	for _, body := range []map[string]string{
		{"name": "", "email": "a@shop.example"},
		{"name": "   ", "email": "a@shop.example"},
		{"name": strings.Repeat("x", 101), "email": "a@shop.example"},
		{"name": "Sales", "email": ""},
		{"name": "Sales", "email": "not-an-address"},
		{"name": "Sales", "email": "Sales <a@shop.example>"},
		{"name": "Sales", "email": "a@shop.example\r\nBcc: x@evil.example"},
	} {
		srv.Do("POST", "/api/v1/categories", admin, body).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	}
	res := srv.Do("POST", "/api/v1/categories", admin, map[string]string{"name": " Sales ", "email": " sales@shop.example "}).Want(t, http.StatusCreated)
	if res.String("category", "name") != "Sales" || res.String("category", "email") != "sales@shop.example" {
		t.Fatalf("created %s", res.Raw)
	}
	srv.Do("POST", "/api/v1/categories", admin, map[string]string{"name": "Sales", "email": "b@shop.example"}).WantError(t, http.StatusConflict, "conflict")
	id := res.String("category", "id")
	srv.Do("PATCH", "/api/v1/categories/"+id, admin, map[string]string{"email": "bad"}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	if got := srv.Do("PATCH", "/api/v1/categories/"+id, admin, map[string]string{"email": "deals@shop.example"}).Want(t, http.StatusOK); got.String("category", "name") != "Sales" {
		t.Fatalf("a PATCH of the e-mail changed the name: %s", got.Raw)
	}
	srv.Do("PUT", "/api/v1/offline-messages/recipients", admin, map[string]any{}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
}

func TestOutboxDepthMetric(t *testing.T) {
	srv := testutil.NewServer(t) // no mail server: mail stays queued
	acc := srv.Account(domain.KindWebsite, nil, "")
	srv.Operator(acc, domain.RoleAdmin)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	srv.Do("POST", "/api/v1/widget/offline-messages", vt, map[string]string{"email": "v@visitor.example", "body": "hello"}).Want(t, http.StatusAccepted)
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if !strings.Contains(string(body), "\nportico_outbox_depth 1\n") {
		t.Fatalf("/metrics lacks portico_outbox_depth 1:\n%s", body)
	}
}
