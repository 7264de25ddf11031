package httpapi_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// A rule sends chats from /cars/* to operator B only; a chat from elsewhere goes to everyone.
func TestRoutingRuleAlertsAndLetsOnlyItsOperatorsClaim(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, admin := srv.Operator(acc, domain.RoleAdmin)
		_, aTok := srv.Operator(acc, domain.RoleAgent)
		b, bTok := srv.Operator(acc, domain.RoleAgent)
		srv.Do("POST", "/api/v1/routing-rules", admin, map[string]any{"pattern": "/cars/*", "operator_ids": []string{b.ID}}).Want(t, http.StatusCreated)
		aSock, bSock := srv.DialOperator(aTok), srv.DialOperator(bTok)

		carsVisitor, _ := srv.Visitor(acc, "https://shop.example/cars/1")
		cars := srv.StartChat(carsVisitor, "is the red one still for sale?")
		created := bSock.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" })
		if testutil.Field(created, "conversation", "id") != cars {
			t.Fatalf("B's first new chat is %v, want the cars chat %s", testutil.Field(created, "conversation", "id"), cars)
		}
		if routed, _ := testutil.Field(created, "conversation", "routed_to").([]any); len(routed) != 1 || routed[0] != b.ID {
			t.Fatalf("routed_to = %v, want [%s]", routed, b.ID)
		}

		boatsVisitor, _ := srv.Visitor(acc, "https://shop.example/boats/2")
		boats := srv.StartChat(boatsVisitor, "and the boat?")
		// A hears of the boats chat, which was announced after the cars chat: the cars chat
		// would have come first, so A was never told of it.
		first := aSock.Next("conversation")
		if first["event"] != "created" || testutil.Field(first, "conversation", "id") != boats {
			t.Fatalf("A's first conversation frame: %v, want the boats chat %s created", first, boats)
		}
		bSock.NextWhere("conversation", func(f map[string]any) bool { return testutil.Field(f, "conversation", "id") == boats })

		// A does not see the cars chat waiting, may not open it and may not claim it.
		for _, c := range srv.Do("GET", "/api/v1/conversations?status=waiting", aTok, nil).Want(t, http.StatusOK).List("conversations") {
			if c.(map[string]any)["id"] == cars {
				t.Fatal("A lists the chat routed to B")
			}
		}
		if l := srv.Do("GET", "/api/v1/conversations?status=waiting", bTok, nil).List("conversations"); len(l) != 2 {
			t.Fatalf("B lists %d waiting chats, want 2", len(l))
		}
		srv.Do("GET", "/api/v1/conversations/"+cars, aTok, nil).WantError(t, http.StatusForbidden, "forbidden")
		srv.Do("POST", "/api/v1/conversations/"+cars+"/claim", aTok, nil).WantError(t, http.StatusForbidden, "not_routed")
		// Not even an admin: only the rule's operators may take it.
		srv.Do("POST", "/api/v1/conversations/"+cars+"/claim", admin, nil).WantError(t, http.StatusForbidden, "not_routed")
		claimed := srv.Do("POST", "/api/v1/conversations/"+cars+"/claim", bTok, nil).Want(t, http.StatusOK)
		if claimed.String("conversation", "owner_id") != b.ID {
			t.Fatalf("claim by B: %s", claimed.Raw)
		}
		// The boats chat was not routed: A may take it.
		srv.Do("POST", "/api/v1/conversations/"+boats+"/claim", aTok, nil).Want(t, http.StatusOK)
	})
}

// Deleting an operator who is in a chat: the chat waits again, the operator is signed out on
// the spot, and the history keeps their name.
func TestDeletingAnOperatorReopensTheirChatsAndSignsThemOut(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		admin, adminTok := srv.Operator(acc, domain.RoleAdmin)
		gone, goneTok := srv.Operator(acc, domain.RoleAgent)
		_, colleagueTok := srv.Operator(acc, domain.RoleAgent)
		vt, _ := srv.Visitor(acc, "https://shop.example/")
		id := srv.StartChat(vt, "hello")
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", goneTok, nil).Want(t, http.StatusOK)
		srv.Do("POST", "/api/v1/conversations/"+id+"/messages", goneTok, map[string]string{"body": "How can I help?", "client_msg_id": "g1"}).Want(t, http.StatusCreated)
		goneSock := srv.DialOperator(goneTok)
		colleagueSock := srv.DialOperator(colleagueTok)

		srv.Do("DELETE", "/api/v1/operators/"+gone.ID, adminTok, nil).Want(t, http.StatusNoContent)

		if code := goneSock.Closed(5 * time.Second); code != 4401 {
			t.Fatalf("the deleted operator's socket closed with %d, want 4401", code)
		}
		srv.Do("GET", "/api/v1/me", goneTok, nil).WantError(t, http.StatusUnauthorized, "unauthorized")
		srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": gone.Email, "password": "anything-at-all"}).WantError(t, http.StatusUnauthorized, "wrong_credentials")

		updated := colleagueSock.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "updated" })
		if testutil.Field(updated, "conversation", "id") != id || testutil.Field(updated, "conversation", "status") != "waiting" {
			t.Fatalf("colleagues were told %v, want the chat waiting again", updated)
		}
		c := srv.Do("GET", "/api/v1/conversations/"+id, adminTok, nil).Want(t, http.StatusOK)
		if c.String("conversation", "status") != "waiting" || c.String("conversation", "owner_id") != "" || c.Path("conversation", "owner") != nil {
			t.Fatalf("the chat after the delete: %s", c.Raw)
		}
		msgs := srv.Do("GET", "/api/v1/widget/conversations/"+id+"/messages", vt, nil).Want(t, http.StatusOK).List("messages")
		if len(msgs) != 2 || testutil.Field(msgs[1].(map[string]any), "author", "name") != gone.Name {
			t.Fatalf("history after the delete: %v", msgs)
		}
		if ops := srv.Do("GET", "/api/v1/operators", adminTok, nil).List("operators"); field(ops, gone.ID, "id") != nil {
			t.Fatal("the deleted operator is still listed")
		}
		// A colleague picks the chat up; the address is free for a new operator.
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", colleagueTok, nil).Want(t, http.StatusOK)
		srv.Do("POST", "/api/v1/operators", adminTok, map[string]string{"email": gone.Email, "name": "Back again"}).Want(t, http.StatusCreated)

		// The last admin can neither leave nor step down.
		srv.Do("DELETE", "/api/v1/operators/"+admin.ID, adminTok, nil).WantError(t, http.StatusConflict, "last_admin")
		srv.Do("PATCH", "/api/v1/operators/"+admin.ID, adminTok, map[string]string{"role": "agent"}).WantError(t, http.StatusConflict, "last_admin")
		srv.Do("GET", "/api/v1/me", adminTok, nil).Want(t, http.StatusOK)
	})
}

func TestAdminAddsOperatorsAndResetsPasswords(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin)

	res := srv.Do("POST", "/api/v1/operators", admin, map[string]string{"email": "Ana@Shop.example", "name": "Ana", "role": "admin"}).Want(t, http.StatusCreated)
	generated := res.String("password")
	if len(generated) < 16 || res.String("operator", "email") != "ana@shop.example" || res.String("operator", "role") != "admin" {
		t.Fatalf("created: %s", res.Raw)
	}
	ana := srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": "ana@shop.example", "password": generated}).Want(t, http.StatusOK)
	anaID, anaTok := ana.String("operator", "id"), ana.String("token")

	srv.Do("POST", "/api/v1/operators", admin, map[string]string{"email": "ana@shop.example", "name": "Ana 2"}).WantError(t, http.StatusConflict, "email_taken")
	srv.Do("POST", "/api/v1/operators", admin, map[string]string{"email": "bo@shop.example", "name": "Bo", "password": "short"}).WantError(t, http.StatusUnprocessableEntity, "weak_password")
	srv.Do("POST", "/api/v1/operators", admin, map[string]string{"email": "not an address", "name": "Bo"}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	srv.Do("POST", "/api/v1/operators", admin, map[string]string{"email": "bo@shop.example", "name": "Bo", "role": "owner"}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	bo := srv.Do("POST", "/api/v1/operators", admin, map[string]string{"email": "bo@shop.example", "name": "Bo", "password": "bo-password"}).Want(t, http.StatusCreated)
	if bo.Path("password") != nil {
		t.Fatalf("a password was returned although one was given: %s", bo.Raw)
	}

	// A new role closes the operator's sockets, but their session goes on with the new role.
	sock := srv.DialOperator(anaTok)
	srv.Do("PATCH", "/api/v1/operators/"+anaID, admin, map[string]string{"role": "agent"}).Want(t, http.StatusOK)
	if code := sock.Closed(5 * time.Second); code != 4401 {
		t.Fatalf("socket closed with %d after the role changed, want 4401", code)
	}
	if me := srv.Do("GET", "/api/v1/me", anaTok, nil).Want(t, http.StatusOK); me.String("operator", "role") != "agent" {
		t.Fatalf("after the role change: %s", me.Raw)
	}

	// A reset password signs the operator out.
	reset := srv.Do("PATCH", "/api/v1/operators/"+anaID, admin, map[string]any{"generate_password": true}).Want(t, http.StatusOK)
	newPassword := reset.String("password")
	if newPassword == "" || newPassword == generated {
		t.Fatalf("reset: %s", reset.Raw)
	}
	srv.Do("GET", "/api/v1/me", anaTok, nil).WantError(t, http.StatusUnauthorized, "unauthorized")
	srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": "ana@shop.example", "password": generated}).WantError(t, http.StatusUnauthorized, "wrong_credentials")
	srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": "ana@shop.example", "password": newPassword}).Want(t, http.StatusOK)
	srv.Do("PATCH", "/api/v1/operators/"+anaID, admin, map[string]any{"email": "bo@shop.example"}).WantError(t, http.StatusConflict, "email_taken")
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOperatorPhoto(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, op := srv.Operator(acc, domain.RoleAgent)
		upload := func(body []byte, contentType string) *testutil.Response {
			return testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/me/photo", op, string(body), map[string]string{"Content-Type": contentType})
		}

		photo := pngBytes(t)
		// The client's Content-Type is not believed: the bytes say PNG.
		res := upload(photo, "application/octet-stream").Want(t, http.StatusOK)
		url := res.String("operator", "photo_url")
		if !strings.HasPrefix(url, "/api/v1/photos/") {
			t.Fatalf("photo_url = %q", url)
		}
		got := testutil.DoHeaders(t, "GET", srv.URL+url, "", nil, map[string]string{"Origin": "https://customer.example"}).Want(t, http.StatusOK)
		if ct := got.Header.Get("Content-Type"); ct != "image/png" || !bytes.Equal(got.Raw, photo) {
			t.Fatalf("served %q, %d bytes", ct, len(got.Raw))
		}
		if got.Header.Get("Cross-Origin-Resource-Policy") != "cross-origin" || !strings.Contains(got.Header.Get("Cache-Control"), "max-age=31536000") {
			t.Fatalf("photo headers: %v", got.Header)
		}
		if got.Header.Get("Set-Cookie") != "" {
			t.Fatal("a photo answer sets a cookie")
		}

		gif := []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
		upload(gif, "image/gif").WantError(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
		upload([]byte("just some text, not a picture"), "image/png").WantError(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
		big := append(append([]byte{}, photo...), make([]byte, 2<<20)...)
		upload(big, "image/png").WantError(t, http.StatusRequestEntityTooLarge, "photo_too_large")
		upload(nil, "image/png").WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		if me := srv.Do("GET", "/api/v1/me", op, nil); me.String("operator", "photo_url") != url {
			t.Fatalf("refused uploads changed the photo: %s", me.Raw)
		}

		// As a form, the way a browser sends a file input.
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		fw, _ := mw.CreateFormFile("photo", "me.png")
		fw.Write(photo)
		mw.Close()
		res = upload(form.Bytes(), mw.FormDataContentType()).Want(t, http.StatusOK)
		newURL := res.String("operator", "photo_url")
		if newURL == url {
			t.Fatal("a new photo kept the old URL, which browsers cache for a year")
		}
		testutil.DoHeaders(t, "GET", srv.URL+url, "", nil, nil).WantError(t, http.StatusNotFound, "not_found")

		// Visitors see the photo of the operator who answers.
		vt, _ := srv.Visitor(acc, "https://shop.example/")
		id := srv.StartChat(vt, "hello")
		visitorSock := srv.DialVisitor(vt)
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", op, nil).Want(t, http.StatusOK)
		claimed := visitorSock.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "claimed" })
		if testutil.Field(claimed, "conversation", "owner", "photo_url") != newURL {
			t.Fatalf("the visitor's claimed event: %v", claimed)
		}
		convs := srv.Do("GET", "/api/v1/widget/conversations", vt, nil).Want(t, http.StatusOK).List("conversations")
		if len(convs) != 1 || testutil.Field(convs[0].(map[string]any), "owner", "photo_url") != newURL {
			t.Fatalf("the visitor's conversation: %v", convs)
		}

		srv.Do("DELETE", "/api/v1/me/photo", op, nil).Want(t, http.StatusOK)
		if me := srv.Do("GET", "/api/v1/me", op, nil); me.String("operator", "photo_url") != "" {
			t.Fatalf("after removing the photo: %s", me.Raw)
		}
		testutil.DoHeaders(t, "GET", srv.URL+newURL, "", nil, nil).WantError(t, http.StatusNotFound, "not_found")
	})
}

func TestProfile(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	me, tok := srv.Operator(acc, domain.RoleAgent)
	_, colleagueTok := srv.Operator(acc, domain.RoleAgent)
	colleague := srv.DialOperator(colleagueTok)

	res := srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"name": "  Ana Lima ", "phone": "+351 21 000 0000", "transcript_email": "ana@copies.example",
		"notify_colleague_pickup": true, "alert_sound": false, "status": "away"}).Want(t, http.StatusOK)
	if res.String("operator", "name") != "Ana Lima" || res.String("operator", "phone") != "+351 21 000 0000" || res.String("operator", "transcript_email") != "ana@copies.example" ||
		res.Path("operator", "notify_colleague_pickup") != true || res.Path("operator", "alert_sound") != false || res.String("operator", "status") != "away" {
		t.Fatalf("profile: %s", res.Raw)
	}
	again := srv.Do("GET", "/api/v1/me", tok, nil)
	if again.String("operator", "name") != "Ana Lima" || again.Path("operator", "alert_sound") != false {
		t.Fatalf("profile not stored: %s", again.Raw)
	}
	// Colleagues hear of the new name, and nothing more than colleagues may see.
	frame := colleague.NextWhere("operator", func(f map[string]any) bool { return testutil.Field(f, "operator", "name") == "Ana Lima" })
	if op, _ := frame["operator"].(map[string]any); op["email"] != nil || op["phone"] != nil || op["transcript_email"] != nil {
		t.Fatalf("an operator frame tells colleagues more than they may see: %v", frame)
	}

	srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"transcript_email": "not-an-address"}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"name": ""}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"name": "Changed", "status": "busy"}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"transcript_email": ""}).Want(t, http.StatusOK)
	if n := srv.Do("GET", "/api/v1/me", tok, nil).String("operator", "name"); n != "Ana Lima" {
		t.Fatalf("a refused change renamed the operator to %q", n)
	}

	// Changing the password needs the current one and ends the other sessions.
	setPassword(t, srv, me.ID, "first-password")
	second := srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": me.Email, "password": "first-password"}).Want(t, http.StatusOK).String("token")
	srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"current_password": "wrong-password", "new_password": "second-password"}).WantError(t, http.StatusUnprocessableEntity, "wrong_password")
	srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"current_password": "first-password", "new_password": "short"}).WantError(t, http.StatusUnprocessableEntity, "weak_password")
	srv.Do("PATCH", "/api/v1/me", tok, map[string]any{"current_password": "first-password", "new_password": "second-password"}).Want(t, http.StatusOK)
	srv.Do("GET", "/api/v1/me", tok, nil).Want(t, http.StatusOK)
	srv.Do("GET", "/api/v1/me", second, nil).WantError(t, http.StatusUnauthorized, "unauthorized")
	srv.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": me.Email, "password": "second-password"}).Want(t, http.StatusOK)
}

func TestUsageCountsOperatorsWhoSignedInOrWrote(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin) // signed in
	f := &teamFixture{srv: srv, acc: acc}
	f.colleague(t, domain.RoleAgent) // never signs in
	writer := f.colleague(t, domain.RoleAgent)
	// The writer's session was made without the login handler, so only their message counts.
	login, err := srv.App.Auth.StartSession(t.Context(), writer)
	if err != nil {
		t.Fatal(err)
	}
	usage := func() map[string]any {
		months := srv.Do("GET", "/api/v1/usage?months=3", admin, nil).Want(t, http.StatusOK).List("months")
		if len(months) != 3 {
			t.Fatalf("%d months, want 3", len(months))
		}
		return months[0].(map[string]any)
	}
	if now := usage(); now["month"] != time.Now().UTC().Format("2006-01") || now["active_operators"] != float64(1) {
		t.Fatalf("this month before the message: %v", now)
	}
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "hello")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", login.Token, nil).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", login.Token, map[string]string{"body": "Hi!", "client_msg_id": "w1"}).Want(t, http.StatusCreated)
	now := usage()
	if now["active_operators"] != float64(2) || field(now["operators"].([]any), writer.ID, "name") != writer.Name {
		t.Fatalf("this month after the message: %v", now)
	}
	srv.Do("GET", "/api/v1/usage?months=0", admin, nil).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	srv.Do("GET", "/api/v1/usage?months=x", admin, nil).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
}

func TestCannedResponsesAreValidated(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin)
	_, agent := srv.Operator(acc, domain.RoleAgent)
	post := func(tok string, body map[string]string) *testutil.Response {
		return srv.Do("POST", "/api/v1/canned-responses", tok, body)
	}
	created := post(agent, map[string]string{"shortcut": "/Hello", "title": "Greeting", "body": "  Hello, how can I help?  "}).Want(t, http.StatusCreated)
	if created.String("canned_response", "shortcut") != "hello" || created.String("canned_response", "body") != "Hello, how can I help?" {
		t.Fatalf("created: %s", created.Raw)
	}
	post(agent, map[string]string{"shortcut": "hello", "body": "again"}).WantError(t, http.StatusConflict, "shortcut_taken")
	post(admin, map[string]string{"scope": "account", "shortcut": "hello", "body": "The shop's hello"}).Want(t, http.StatusCreated)
	post(admin, map[string]string{"shortcut": "hello", "body": "The admin's own hello"}).Want(t, http.StatusCreated)
	for _, bad := range []map[string]string{
		{"shortcut": "two words", "body": "x"},
		{"shortcut": "", "body": "x"},
		{"shortcut": strings.Repeat("a", 33), "body": "x"},
		{"shortcut": "ok", "body": "   "},
		{"shortcut": "ok"},
		{"shortcut": "ok", "body": "x", "scope": "team"},
		{"shortcut": "ok", "body": "x", "title": strings.Repeat("t", 101)},
	} {
		post(agent, bad).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	}
	post(agent, map[string]string{"shortcut": "long", "body": strings.Repeat("é", 5001)}).WantError(t, http.StatusUnprocessableEntity, "message_too_long")
	list := srv.Do("GET", "/api/v1/canned-responses", agent, nil).Want(t, http.StatusOK).List("canned_responses")
	if len(list) != 2 {
		t.Fatalf("the agent sees %d responses, want their own and the account's: %v", len(list), list)
	}
}

// The operators list tells who is really there: "online" only while connected.
func TestOperatorListShowsLiveStatus(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin)
	agent, agentTok := srv.Operator(acc, domain.RoleAgent) // signing in sets "online"
	status := func() any {
		return field(srv.Do("GET", "/api/v1/operators", admin, nil).Want(t, http.StatusOK).List("operators"), agent.ID, "status")
	}
	if s := status(); s != "offline" {
		t.Fatalf("signed in but not connected: status %v, want offline", s)
	}
	sock := srv.DialOperator(agentTok)
	if s := status(); s != "online" {
		t.Fatalf("connected: status %v, want online", s)
	}
	srv.Do("PATCH", "/api/v1/me", agentTok, map[string]string{"status": "away"}).Want(t, http.StatusOK)
	if s := status(); s != "away" {
		t.Fatalf("away: status %v", s)
	}
	sock.Conn.CloseNow()
}
