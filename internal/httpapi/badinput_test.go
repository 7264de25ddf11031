package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// Every bad request gets a clear JSON error and changes nothing.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	srv := testutil.NewServer(t)
	accA := srv.Account(domain.KindWebsite, nil, "")
	accB := srv.Account(domain.KindWebsite, nil, "")
	_, opA := srv.Operator(accA, domain.RoleAdmin)
	_, opB := srv.Operator(accB, domain.RoleAdmin)
	vt, _ := srv.Visitor(accA, "https://a.example/")
	other, _ := srv.Visitor(accA, "https://a.example/")
	id := srv.StartChat(vt, "hello")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", opA, nil).Want(t, http.StatusOK)

	messages := func() int {
		return len(srv.Do("GET", "/api/v1/conversations/"+id+"/messages", opA, nil).Want(t, http.StatusOK).List("messages"))
	}
	before := messages()

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		code                      string
	}{
		{"unknown account key", "POST", "/api/v1/widget/visits", "", map[string]any{"account": "no-such-key", "page": map[string]string{"url": "https://a.example/"}}, 404, "unknown_account"},
		{"page that is not a URL", "POST", "/api/v1/widget/visits", "", map[string]any{"account": accA.Key, "page": map[string]string{"url": "javascript:alert(1)"}}, 422, "invalid_field"},
		{"malformed JSON", "POST", "/api/v1/widget/conversations/" + id + "/messages", vt, `{"body": "hi", `, 400, "invalid_json"},
		{"empty body", "POST", "/api/v1/widget/conversations/" + id + "/messages", vt, ``, 400, "invalid_json"},
		{"two JSON values", "POST", "/api/v1/widget/conversations/" + id + "/messages", vt, `{"body": "hi", "client_msg_id": "two"} {"body": "again"}`, 400, "invalid_json"},
		{"message over 5,000 characters", "POST", "/api/v1/widget/conversations/" + id + "/messages", vt, map[string]string{"body": strings.Repeat("é", 5001), "client_msg_id": "long"}, 422, "message_too_long"},
		{"blank message", "POST", "/api/v1/conversations/" + id + "/messages", opA, map[string]string{"body": "  \n ", "client_msg_id": "blank"}, 422, "message_empty"},
		{"missing client_msg_id", "POST", "/api/v1/conversations/" + id + "/messages", opA, map[string]string{"body": "hi"}, 422, "invalid_client_msg_id"},
		{"body over 64 KiB", "POST", "/api/v1/conversations/" + id + "/messages", opA, `{"body":"` + strings.Repeat("a", 70<<10) + `","client_msg_id":"big"}`, 413, "body_too_large"},
		{"visitor token on another visitor's conversation", "POST", "/api/v1/widget/conversations/" + id + "/messages", other, map[string]string{"body": "hijack", "client_msg_id": "h"}, 404, "not_found"},
		{"visitor writes in a conversation that does not exist", "POST", "/api/v1/widget/conversations/no-such-chat/messages", vt, map[string]string{"body": "hi", "client_msg_id": "n"}, 404, "not_found"},
		{"unknown visitor token writes in a conversation", "POST", "/api/v1/widget/conversations/" + id + "/messages", "vt_not-a-token", map[string]string{"body": "hi", "client_msg_id": "u"}, 401, "unauthorized"},
		{"no visitor token writes in a conversation", "POST", "/api/v1/widget/conversations/" + id + "/messages", "", map[string]string{"body": "hi", "client_msg_id": "e"}, 401, "unauthorized"},
		{"visitor reads another visitor's messages", "GET", "/api/v1/widget/conversations/" + id + "/messages", other, nil, 404, "not_found"},
		{"visitor reads the messages of a conversation that does not exist", "GET", "/api/v1/widget/conversations/no-such-chat/messages", vt, nil, 404, "not_found"},
		{"unknown visitor token reads a conversation's messages", "GET", "/api/v1/widget/conversations/" + id + "/messages", "vt_not-a-token", nil, 401, "unauthorized"},
		{"visitor reads messages after a seq that is not a number", "GET", "/api/v1/widget/conversations/" + id + "/messages?after=x", vt, nil, 422, "invalid_field"},
		{"operator of B reads A's conversation", "GET", "/api/v1/conversations/" + id, opB, nil, 404, "not_found"},
		{"operator of B reads A's messages", "GET", "/api/v1/conversations/" + id + "/messages", opB, nil, 404, "not_found"},
		{"operator of B writes in A's conversation", "POST", "/api/v1/conversations/" + id + "/messages", opB, map[string]string{"body": "x", "client_msg_id": "b"}, 404, "not_found"},
		{"operator of B claims A's conversation", "POST", "/api/v1/conversations/" + id + "/claim", opB, nil, 404, "not_found"},
		{"operator of B closes A's conversation", "POST", "/api/v1/conversations/" + id + "/close", opB, nil, 404, "not_found"},
		{"no token", "GET", "/api/v1/conversations", "", nil, 401, "unauthorized"},
		{"visitor token as operator token", "GET", "/api/v1/conversations", vt, nil, 401, "unauthorized"},
		{"operator token as visitor token", "GET", "/api/v1/widget/conversations", opA, nil, 401, "unauthorized"},
		{"wrong password", "POST", "/api/v1/auth/login", "", map[string]string{"email": "nobody@example.com", "password": "x"}, 401, "wrong_credentials"},
		{"unknown status filter", "GET", "/api/v1/conversations?status=lost", opA, nil, 422, "invalid_field"},
		{"unknown endpoint", "GET", "/api/v1/nothing-here", opA, nil, 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Do(tc.method, tc.path, tc.token, tc.body).WantError(t, tc.status, tc.code)
		})
	}
	if after := messages(); after != before {
		t.Fatalf("%d messages after the bad requests, want %d", after, before)
	}
	if list := srv.Do("GET", "/api/v1/conversations", opB, nil).Want(t, http.StatusOK).List("conversations"); len(list) != 0 {
		t.Fatalf("account B lists %d conversations of account A", len(list))
	}
}

func TestAgentSeesWaitingChatsAndOwnButNotColleagues(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, agent1 := srv.Operator(acc, domain.RoleAgent)
	_, agent2 := srv.Operator(acc, domain.RoleAgent)
	_, admin := srv.Operator(acc, domain.RoleAdmin)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "hi")

	srv.Do("GET", "/api/v1/conversations/"+id, agent2, nil).Want(t, http.StatusOK) // waiting: every agent sees it
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", agent1, nil).Want(t, http.StatusOK)
	srv.Do("GET", "/api/v1/conversations/"+id, agent2, nil).WantError(t, http.StatusForbidden, "forbidden")
	srv.Do("GET", "/api/v1/conversations/"+id+"/messages", agent2, nil).WantError(t, http.StatusForbidden, "forbidden")
	srv.Do("GET", "/api/v1/conversations/"+id, admin, nil).Want(t, http.StatusOK)
	// An admin reads every chat but writes only in one they take part in.
	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", admin, map[string]string{"body": "x", "client_msg_id": "a"}).WantError(t, http.StatusForbidden, "forbidden")
	if l := srv.Do("GET", "/api/v1/conversations?status=active", agent2, nil).List("conversations"); len(l) != 0 {
		t.Fatalf("agent 2 lists a colleague's active chat: %v", l)
	}
	srv.Do("POST", "/api/v1/conversations/"+id+"/close", agent1, nil).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt, map[string]string{"body": "late", "client_msg_id": "l"}).
		WantError(t, http.StatusConflict, "conversation_closed")
}

func TestCookieSessionNeedsCSRFToken(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	op, _ := srv.Operator(acc, domain.RoleAdmin)
	_ = op
	// Sign in as the console does, and keep the cookies.
	login := srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": op.Email, "password": "wrong"})
	login.WantError(t, http.StatusUnauthorized, "wrong_credentials")

	password := "console-password"
	setPassword(t, srv, op.ID, password)
	login = srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": strings.ToUpper(op.Email), "password": password}).Want(t, http.StatusOK)
	var session, csrf string
	for _, c := range (&http.Response{Header: login.Header}).Cookies() {
		switch c.Name {
		case "portico_session":
			session = c.Value
			if !c.HttpOnly {
				t.Error("the session cookie must be HttpOnly")
			}
		case "portico_csrf":
			csrf = c.Value
		}
	}
	if session == "" || csrf == "" || csrf != login.String("csrf_token") {
		t.Fatalf("cookies: session %q csrf %q (body %s)", session, csrf, login.Raw)
	}
	cookie := "portico_session=" + session
	testutil.DoHeaders(t, "GET", srv.URL+"/api/v1/me", "", nil, map[string]string{"Cookie": cookie}).Want(t, http.StatusOK)
	testutil.DoHeaders(t, "PATCH", srv.URL+"/api/v1/me", "", map[string]string{"status": "away"}, map[string]string{"Cookie": cookie}).
		WantError(t, http.StatusForbidden, "csrf_failed")
	testutil.DoHeaders(t, "PATCH", srv.URL+"/api/v1/me", "", map[string]string{"status": "away"}, map[string]string{"Cookie": cookie, "X-CSRF-Token": "guess"}).
		WantError(t, http.StatusForbidden, "csrf_failed")
	me := testutil.DoHeaders(t, "PATCH", srv.URL+"/api/v1/me", "", map[string]string{"status": "away"}, map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}).
		Want(t, http.StatusOK)
	if me.String("operator", "status") != "away" {
		t.Fatalf("status not changed: %s", me.Raw)
	}

	// A message is checked by its write alone (no read comes first): the CSRF token too.
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	chat := srv.StartChat(vt, "hello")
	withCSRF := map[string]string{"Cookie": cookie, "X-CSRF-Token": csrf}
	testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/conversations/"+chat+"/claim", "", nil, withCSRF).Want(t, http.StatusOK)
	send := func(clientID string, headers map[string]string) *testutil.Response {
		return testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/conversations/"+chat+"/messages", "",
			map[string]string{"body": "answer " + clientID, "client_msg_id": clientID}, headers)
	}
	send("no-csrf", map[string]string{"Cookie": cookie}).WantError(t, http.StatusForbidden, "csrf_failed")
	send("guess", map[string]string{"Cookie": cookie, "X-CSRF-Token": "guess"}).WantError(t, http.StatusForbidden, "csrf_failed")
	send("with-csrf", withCSRF).Want(t, http.StatusCreated)
	if got := srv.Do("GET", "/api/v1/widget/conversations/"+chat+"/messages", vt, nil).Want(t, http.StatusOK).List("messages"); len(got) != 2 {
		t.Fatalf("the chat has %d messages, want the visitor's and the one sent with the CSRF token", len(got))
	}

	testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/conversations/"+chat+"/messages", "", "{not json", withCSRF).
		WantError(t, http.StatusBadRequest, "invalid_json")
	testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/conversations/"+chat+"/messages", "", "{not json", map[string]string{"Cookie": cookie}).
		WantError(t, http.StatusForbidden, "csrf_failed")

	testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/auth/logout", "", nil, withCSRF).Want(t, http.StatusNoContent)
	testutil.DoHeaders(t, "GET", srv.URL+"/api/v1/me", "", nil, map[string]string{"Cookie": cookie}).WantError(t, http.StatusUnauthorized, "unauthorized")
	send("signed-out", withCSRF).WantError(t, http.StatusUnauthorized, "unauthorized")
	// A body that cannot be read does not tell a caller without a session more than that.
	testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/conversations/"+chat+"/messages", "", "{not json", withCSRF).
		WantError(t, http.StatusUnauthorized, "unauthorized")
}

func TestWidgetRequestsAreCheckedAgainstAllowedOrigins(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := &domain.Account{ID: domain.NewID(), Kind: domain.KindWebsite, Name: "Strict", Key: "strict-" + domain.NewSecret(4),
		AllowedOrigins: []string{"https://shop.example"}}
	if err := srv.Store.CreateAccount(t.Context(), acc); err != nil {
		t.Fatal(err)
	}
	visit := map[string]any{"account": acc.Key, "page": map[string]string{"url": "https://shop.example/p"}}
	testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/widget/visits", "", visit, map[string]string{"Origin": "https://evil.example"}).
		WantError(t, http.StatusForbidden, "origin_not_allowed")
	ok := testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/widget/visits", "", visit, map[string]string{"Origin": "https://shop.example"}).Want(t, http.StatusOK)
	if got := ok.Header.Get("Access-Control-Allow-Origin"); got != "https://shop.example" {
		t.Fatalf("Access-Control-Allow-Origin = %q", got)
	}
	vt := ok.String("visitor_token")
	testutil.DoHeaders(t, "GET", srv.URL+"/api/v1/widget/conversations", vt, nil, map[string]string{"Origin": "https://evil.example"}).
		WantError(t, http.StatusForbidden, "origin_not_allowed")
	testutil.DoHeaders(t, "GET", srv.URL+"/api/v1/widget/ws?token="+vt, "", nil, map[string]string{"Origin": "https://evil.example"}).
		WantError(t, http.StatusForbidden, "origin_not_allowed")
	pre := testutil.DoHeaders(t, "OPTIONS", srv.URL+"/api/v1/widget/conversations", "", nil, map[string]string{"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"})
	if pre.Status != http.StatusNoContent || !strings.Contains(pre.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: %d %v", pre.Status, pre.Header)
	}
}
