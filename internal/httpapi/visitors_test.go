package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/testutil"
)

func visit(t *testing.T, srv *testutil.Server, acc *domain.Account, token, url, title string, headers map[string]string) *testutil.Response {
	t.Helper()
	body := map[string]any{"account": acc.Key, "visitor_token": token, "page": map[string]string{"url": url, "title": title, "referrer": "https://www.google.com/search?q=cars"}}
	return testutil.DoHeaders(t, "POST", srv.URL+"/api/v1/widget/visits", "", body, headers).Want(t, http.StatusOK)
}

func onlineVisitors(t *testing.T, srv *testutil.Server, opToken string) []any {
	t.Helper()
	return srv.Do("GET", "/api/v1/visitors?online=true", opToken, nil).Want(t, http.StatusOK).List("visitors")
}

// Two tabs are one visitor; a visitor who was here yesterday has two visits; the trail holds
// this visit's pages in the order they were seen.
func TestTabsAndAReturningVisitMakeOneVisitor(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, opToken := srv.Operator(acc, domain.RoleAgent)
		ops := srv.DialOperator(opToken)

		// Yesterday's visit, as the store recorded it then.
		yesterday := time.Now().Add(-24 * time.Hour).UTC()
		token, id := "vt_returning_"+domain.NewSecret(8), domain.NewID()
		if err := srv.Store.CreateVisitor(context.Background(), &domain.Visitor{ID: id, AccountID: acc.ID, TokenHash: auth.HashToken(token),
			CreatedAt: yesterday, LastSeenAt: yesterday}); err != nil {
			t.Fatal(err)
		}
		if err := srv.Store.RecordPageView(context.Background(), store.PageViewInput{VisitorID: id, AccountID: acc.ID,
			URL: "https://shop.example/yesterday", At: yesterday}); err != nil {
			t.Fatal(err)
		}
		visit(t, srv, acc, token, "https://shop.example/", "Home", nil)
		// The returning visitor opens two tabs: a page each, a socket each.
		if got := visit(t, srv, acc, token, "https://shop.example/cars", "Cars", nil).String("visitor_id"); got != id {
			t.Fatalf("tab 1 is visitor %s, want %s", got, id)
		}
		tab1 := srv.DialVisitor(token)
		online := ops.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "online" })
		if testutil.Field(online, "visitor", "id") != id {
			t.Fatalf("online frame for %v, want %s", testutil.Field(online, "visitor", "id"), id)
		}
		visit(t, srv, acc, token, "https://shop.example/cars/1", "Car 1", nil)
		updated := ops.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "updated" })
		if testutil.Field(updated, "visitor", "page", "url") != "https://shop.example/cars/1" {
			t.Errorf("updated frame's page %v, want the new page", testutil.Field(updated, "visitor", "page"))
		}
		tab2 := srv.DialVisitor(token)

		list := onlineVisitors(t, srv, opToken)
		if len(list) != 1 {
			t.Fatalf("%d visitors online, want one for two tabs: %v", len(list), list)
		}
		v := list[0].(map[string]any)
		if v["id"] != id || v["visits"] != float64(2) || testutil.Field(v, "visit", "page_count") != float64(3) {
			t.Errorf("visitor %v: want 2 visits, this one of 3 pages", v)
		}
		if testutil.Field(v, "visit", "source", "kind") != "search" || testutil.Field(v, "visit", "source", "name") != "Google" {
			t.Errorf("source %v, want search/Google", testutil.Field(v, "visit", "source"))
		}

		details := srv.Do("GET", "/api/v1/visitors/"+id, opToken, nil).Want(t, http.StatusOK)
		var urls []string
		for _, p := range details.List("pages") {
			urls = append(urls, p.(map[string]any)["url"].(string))
		}
		want := []string{"https://shop.example/", "https://shop.example/cars", "https://shop.example/cars/1"}
		if !slices.Equal(urls, want) {
			t.Errorf("page trail %v, want this visit's %v (not yesterday's)", urls, want)
		}

		// One tab closes: still online. Both close: offline.
		tab1.Conn.CloseNow()
		ops.Quiet("presence", 300*time.Millisecond)
		if len(onlineVisitors(t, srv, opToken)) != 1 {
			t.Error("closing one of two tabs took the visitor offline")
		}
		tab2.Conn.CloseNow()
		ops.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "offline" && f["visitor_id"] == id })
		if n := len(onlineVisitors(t, srv, opToken)); n != 0 {
			t.Errorf("%d visitors online after every tab closed", n)
		}
	})
}

// The visitor whose tabs are gone for the leave delay has left: the console and integrations
// hear it; one who comes back in time has not.
func TestVisitorLeftIsAnnounced(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithConfig(func(c *config.Config) { c.VisitorLeaveAfter = 400 * time.Millisecond }))
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, opToken := srv.Operator(acc, domain.RoleAgent)
	ops := srv.DialOperator(opToken)
	events := make(chan map[string]any, 4)
	unsubscribe, err := srv.App.Bus.Subscribe(bus.IntegrationTopic(acc.ID), func(payload []byte) {
		var e map[string]any
		if json.Unmarshal(payload, &e) == nil {
			events <- e
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()

	token, id := srv.Visitor(acc, "https://shop.example/")
	tab := srv.DialVisitor(token)
	tab.Conn.CloseNow()
	// Back within the delay (the next page loading): not left.
	time.Sleep(100 * time.Millisecond)
	tab = srv.DialVisitor(token)
	ops.QuietWhere("visitor", func(f map[string]any) bool { return f["event"] == "left" }, 700*time.Millisecond)
	select {
	case e := <-events:
		t.Fatalf("a visitor who came back was announced as left: %v", e)
	default:
	}

	tab.Conn.CloseNow()
	left := ops.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "left" })
	if left["visitor_id"] != id {
		t.Errorf("left frame %v, want visitor %s", left, id)
	}
	select {
	case e := <-events:
		if e["type"] != "visitor.left" || e["visitor_id"] != id || e["account_id"] != acc.ID {
			t.Errorf("integration event %v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no visitor.left event for integrations")
	}
}

// An operator invites a visitor from the list; the visitor accepts with a reply: the chat is the
// operator's, and starts with the invitation. A declined one is recorded and shown.
func TestInviteAVisitor(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		op, opToken := srv.Operator(acc, domain.RoleAgent)
		ops := srv.DialOperator(opToken)
		other := srv.Account(domain.KindWebsite, nil, "")
		_, strangerToken := srv.Operator(other, domain.RoleAdmin)

		token, id := srv.Visitor(acc, "https://shop.example/cars/1")
		srv.Do("POST", "/api/v1/visitors/"+id+"/invite", opToken, map[string]string{"message": "Hello!"}).WantError(t, http.StatusConflict, "visitor_offline")
		tab1, tab2 := srv.DialVisitor(token), srv.DialVisitor(token)

		srv.Do("POST", "/api/v1/visitors/"+id+"/invite", opToken, map[string]string{"message": ""}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		srv.Do("POST", "/api/v1/visitors/"+id+"/invite", strangerToken, map[string]string{"message": "Hi"}).WantError(t, http.StatusNotFound, "not_found")
		res := srv.Do("POST", "/api/v1/visitors/"+id+"/invite", opToken, map[string]string{"message": "Can I help you with this car?"}).Want(t, http.StatusAccepted)
		invID := res.String("invitation", "id")
		for _, tab := range []*testutil.Socket{tab1, tab2} {
			f := tab.NextWhere("invitation", func(f map[string]any) bool { return f["event"] == "shown" })
			if testutil.Field(f, "invitation", "operator", "name") != op.Name || testutil.Field(f, "invitation", "message") != "Can I help you with this car?" {
				t.Errorf("invitation frame %v: want the operator's name and message", f)
			}
		}

		// On the visitor's next page the invitation is offered again, until it is answered.
		next := visit(t, srv, acc, token, "https://shop.example/cars/2", "Car 2", nil)
		if next.String("invitation", "id") != invID {
			t.Errorf("the next page's visit offers invitation %v, want %s", next.Path("invitation"), invID)
		}
		accept := map[string]any{"message": map[string]string{"body": "Yes, is it still for sale?", "client_msg_id": "r1"}}
		c := srv.Do("POST", "/api/v1/widget/invitations/"+invID+"/accept", token, accept).Want(t, http.StatusCreated)
		convID := c.String("conversation", "id")
		if c.String("conversation", "status") != "active" || c.String("conversation", "owner_id") != op.ID {
			t.Errorf("conversation %s: want active, owned by the inviting operator", c.Raw)
		}
		// Accepting again (a retry) is the same conversation with no second reply.
		again := srv.Do("POST", "/api/v1/widget/invitations/"+invID+"/accept", token, accept).Want(t, http.StatusCreated)
		if again.String("conversation", "id") != convID {
			t.Errorf("a retried accept started another conversation")
		}
		msgs := srv.Do("GET", "/api/v1/conversations/"+convID+"/messages", opToken, nil).Want(t, http.StatusOK).List("messages")
		if len(msgs) != 2 || testutil.Field(msgs[0].(map[string]any), "author", "type") != "operator" ||
			msgs[0].(map[string]any)["body"] != "Can I help you with this car?" || msgs[1].(map[string]any)["body"] != "Yes, is it still for sale?" {
			t.Errorf("messages %v: want the invitation, then the reply", msgs)
		}
		answered := ops.NextWhere("invitation", func(f map[string]any) bool { return f["event"] == "accepted" })
		if testutil.Field(answered, "invitation", "conversation_id") != convID {
			t.Errorf("accepted frame %v", answered)
		}
		tab2.NextWhere("invitation", func(f map[string]any) bool { return f["event"] == "accepted" })
		// Chatting now: no second invitation.
		srv.Do("POST", "/api/v1/visitors/"+id+"/invite", opToken, map[string]string{"message": "Hi again"}).WantError(t, http.StatusConflict, "already_chatting")

		// Another visitor declines.
		token2, id2 := srv.Visitor(acc, "https://shop.example/")
		srv.DialVisitor(token2)
		inv2 := srv.Do("POST", "/api/v1/visitors/"+id2+"/invite", opToken, map[string]string{"message": "Hello"}).Want(t, http.StatusAccepted).String("invitation", "id")
		srv.Do("POST", "/api/v1/widget/invitations/"+inv2+"/decline", token, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("POST", "/api/v1/widget/invitations/"+inv2+"/decline", token2, nil).Want(t, http.StatusOK)
		ops.NextWhere("invitation", func(f map[string]any) bool { return f["event"] == "declined" })
		srv.Do("POST", "/api/v1/widget/invitations/"+inv2+"/accept", token2, nil).WantError(t, http.StatusConflict, "conflict")
		if p := visit(t, srv, acc, token2, "https://shop.example/2", "Two", nil).Path("invitation"); p != nil {
			t.Errorf("a declined invitation is offered again: %v", p)
		}

		stats := srv.Do("GET", "/api/v1/invitations/stats", opToken, nil).Want(t, http.StatusOK)
		if stats.Path("operator", "shown") != float64(2) || stats.Path("operator", "accepted") != float64(1) || stats.Path("operator", "declined") != float64(1) {
			t.Errorf("stats %s: want 2 shown, 1 accepted, 1 declined", stats.Raw)
		}
		details := srv.Do("GET", "/api/v1/visitors/"+id2, opToken, nil).Want(t, http.StatusOK)
		if invs := details.List("invitations"); len(invs) != 1 || invs[0].(map[string]any)["status"] != "declined" {
			t.Errorf("visitor's invitations %v: want the declined one", invs)
		}
	})
}

// A proactive rule greets after enough pages on a matching page; it is off until an admin adds it.
func TestProactiveRule(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, adminToken := srv.Operator(acc, domain.RoleAdmin)
		_, agentToken := srv.Operator(acc, domain.RoleAgent)

		first := visit(t, srv, acc, "", "https://shop.example/cars/1", "Car", nil)
		if first.Path("proactive") != nil {
			t.Fatalf("a greeting with no rules: %s", first.Raw)
		}
		rule := map[string]any{"pattern": "/cars/*", "after_seconds": 5, "after_pages": 2, "greeting": "Looking for a car?"}
		srv.Do("POST", "/api/v1/proactive-rules", agentToken, rule).WantError(t, http.StatusForbidden, "forbidden")
		srv.Do("POST", "/api/v1/proactive-rules", adminToken, map[string]any{"pattern": "/cars/*", "after_seconds": -1, "greeting": "x"}).
			WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		ruleID := srv.Do("POST", "/api/v1/proactive-rules", adminToken, rule).Want(t, http.StatusCreated).String("proactive_rule", "id")
		if n := len(srv.Do("GET", "/api/v1/proactive-rules", agentToken, nil).Want(t, http.StatusOK).List("proactive_rules")); n != 1 {
			t.Errorf("agent sees %d rules", n)
		}

		token := first.String("visitor_token")
		if p := visit(t, srv, acc, token, "https://shop.example/about", "About", nil).Path("proactive"); p != nil {
			t.Errorf("greeting on a page the pattern does not match: %v", p)
		}
		second := visit(t, srv, acc, token, "https://shop.example/cars/2", "Car 2", nil)
		if second.String("proactive", "id") != ruleID || second.String("proactive", "greeting") != "Looking for a car?" || second.Path("proactive", "after_seconds") != float64(5) {
			t.Fatalf("third page: proactive %v, want the rule", second.Path("proactive"))
		}
		fresh := visit(t, srv, acc, "", "https://shop.example/cars/3", "Car 3", nil)
		if fresh.Path("proactive") != nil {
			t.Errorf("a first page met after_pages 2: %v", fresh.Path("proactive"))
		}

		inv := srv.Do("POST", "/api/v1/widget/invitations", token, map[string]string{"rule_id": ruleID}).Want(t, http.StatusCreated)
		invID := inv.String("invitation", "id")
		// Shown again at once (a second tab, a reload): the same invitation, counted once.
		if again := srv.Do("POST", "/api/v1/widget/invitations", token, map[string]string{"rule_id": ruleID}).Want(t, http.StatusCreated); again.String("invitation", "id") != invID {
			t.Errorf("showing the greeting again made invitation %s, want %s", again.String("invitation", "id"), invID)
		}
		srv.Do("POST", "/api/v1/widget/invitations", token, map[string]string{"rule_id": "nope"}).WantError(t, http.StatusUnprocessableEntity, "unknown_rule")
		srv.Do("POST", "/api/v1/widget/invitations/"+invID+"/accept", token, nil).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		c := srv.Do("POST", "/api/v1/widget/invitations/"+invID+"/accept", token,
			map[string]any{"message": map[string]string{"body": "Yes please", "client_msg_id": "p1"}}).Want(t, http.StatusCreated)
		if c.String("conversation", "status") != "waiting" {
			t.Errorf("a proactive chat starts waiting for an operator: %s", c.Raw)
		}
		stats := srv.Do("GET", "/api/v1/invitations/stats", adminToken, nil).Want(t, http.StatusOK)
		if stats.Path("proactive", "accepted") != float64(1) || len(stats.List("rules")) != 1 {
			t.Errorf("stats %s", stats.Raw)
		}

		srv.Do("PATCH", "/api/v1/proactive-rules/"+ruleID, adminToken, map[string]any{"enabled": false}).Want(t, http.StatusOK)
		if p := visit(t, srv, acc, token, "https://shop.example/cars/4", "Car 4", nil).Path("proactive"); p != nil {
			t.Errorf("a disabled rule greets: %v", p)
		}
		srv.Do("DELETE", "/api/v1/proactive-rules/"+ruleID, agentToken, nil).WantError(t, http.StatusForbidden, "forbidden")
		srv.Do("DELETE", "/api/v1/proactive-rules/"+ruleID, adminToken, nil).Want(t, http.StatusNoContent)
	})
}

// Identify, the pre-chat form and an address typed in the chat update the visitor live; the
// same e-mail on a second device makes the two one person for operators, with one history,
// while neither device's token opens the other's chats (the address is not verified).
func TestIdentityAndDevicesWithOneEmail(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, opToken := srv.Operator(acc, domain.RoleAdmin)
		ops := srv.DialOperator(opToken)

		laptop, laptopID := srv.Visitor(acc, "https://shop.example/")
		srv.DialVisitor(laptop)
		ops.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "online" })
		convID := srv.StartChat(laptop, "Hello, my name is Ann Lee")
		named := ops.NextWhere("visitor", func(f map[string]any) bool { return testutil.Field(f, "visitor", "name") == "Ann Lee" })
		if testutil.Field(named, "visitor", "id") != laptopID {
			t.Errorf("name update for %v", testutil.Field(named, "visitor", "id"))
		}
		srv.Do("POST", "/api/v1/widget/conversations/"+convID+"/messages", laptop, map[string]string{"body": "write to ann@example.com please", "client_msg_id": "m2"}).Want(t, http.StatusCreated)
		ops.NextWhere("visitor", func(f map[string]any) bool { return testutil.Field(f, "visitor", "email") == "ann@example.com" })

		srv.Do("POST", "/api/v1/widget/identify", laptop, map[string]string{"email": "not an address"}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")

		phone, phoneID := srv.Visitor(acc, "https://shop.example/m")
		srv.DialVisitor(phone)
		res := srv.Do("POST", "/api/v1/widget/identify", phone, map[string]string{"name": "Ann", "email": "ann@example.com"}).Want(t, http.StatusOK)
		if res.String("visitor_id") != phoneID {
			t.Fatalf("identify answered visitor %s, want the phone's own %s", res.String("visitor_id"), phoneID)
		}
		updated := ops.NextWhere("visitor", func(f map[string]any) bool {
			return testutil.Field(f, "visitor", "id") == phoneID && testutil.Field(f, "visitor", "email") == "ann@example.com"
		})
		if testutil.Field(updated, "visitor", "visits") != float64(2) || testutil.Field(updated, "visitor", "chats") != float64(1) {
			t.Errorf("the phone as operators see it: %v; want the person's 2 visits and 1 chat", updated["visitor"])
		}
		// Whoever types Ann's address does not get Ann's chats.
		if convs := srv.Do("GET", "/api/v1/widget/conversations", phone, nil).Want(t, http.StatusOK).List("conversations"); len(convs) != 0 {
			t.Errorf("the phone sees conversations %v: an unverified e-mail opened another device's chats", convs)
		}
		srv.Do("GET", "/api/v1/widget/conversations/"+convID+"/messages", phone, nil).WantError(t, http.StatusNotFound, "not_found")
		// The operator sees one history on either device.
		details := srv.Do("GET", "/api/v1/visitors/"+phoneID, opToken, nil).Want(t, http.StatusOK)
		if convs := details.List("conversations"); len(convs) != 1 || convs[0].(map[string]any)["id"] != convID {
			t.Errorf("the phone's earlier conversations %v, want the laptop's chat", convs)
		}
		if details.Path("visitor", "visits") != float64(2) {
			t.Errorf("visits %v, want both devices'", details.Path("visitor", "visits"))
		}
	})
}

// Privacy: Do Not Track keeps page views out of the store when the option is on; the address is
// kept without its last part; GeoIP gives the place.
func TestPrivacyAndLocation(t *testing.T) {
	geo := testutil.WriteGeoIPDB(t, map[string]testutil.GeoIPEntry{
		"81.2.69.0/24": {Country: "United Kingdom", CountryCode: "GB", City: "London"},
	})
	srv := testutil.NewServer(t, testutil.WithConfig(func(c *config.Config) {
		c.RespectDNT, c.AnonymizeIP, c.GeoIPDB, c.ClientIPHeader = true, true, geo, "X-Forwarded-For"
	}))
	acc := srv.Account(domain.KindWebsite, nil, "")
	ctx := context.Background()

	dnt := visit(t, srv, acc, "", "https://shop.example/", "Home", map[string]string{"DNT": "1", "X-Forwarded-For": "81.2.69.160"})
	if dnt.String("visitor_token") == "" {
		t.Fatal("a Do Not Track visitor gets no token, so cannot chat")
	}
	if v, err := srv.Store.VisitorByID(ctx, dnt.String("visitor_id")); err != nil || v.Visits != 0 {
		t.Fatalf("a Do Not Track visitor is stored, without visits: %+v, %v", v, err)
	}
	if pages, err := srv.Store.PagesOfLatestVisit(ctx, dnt.String("visitor_id"), 10); err != nil || len(pages) != 0 {
		t.Errorf("Do Not Track: %d page views stored (%v)", len(pages), err)
	}

	tracked := visit(t, srv, acc, "", "https://shop.example/", "Home", map[string]string{"X-Forwarded-For": "10.0.0.1, 81.2.69.160",
		"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"})
	list, err := srv.Store.LiveVisitors(ctx, []string{tracked.String("visitor_id")})
	if err != nil || len(list) != 1 || list[0].Visit == nil {
		t.Fatalf("visitor %v (%v)", list, err)
	}
	vi := list[0].Visit
	if vi.IP != "81.2.69.0" {
		t.Errorf("stored address %q, want 81.2.69.0 (anonymised)", vi.IP)
	}
	if vi.Location == nil || vi.Location.City != "London" || vi.Location.CountryCode != "GB" {
		t.Errorf("location %+v, want London, GB", vi.Location)
	}
	if vi.Device.Kind != "desktop" || vi.Device.OS == "" || vi.Device.Browser == "" {
		t.Errorf("device %+v, want a desktop with its OS and browser", vi.Device)
	}
}

// Without --geoip-db there is no location and no error.
func TestNoGeoIPDatabaseMeansNoLocation(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	res := visit(t, srv, acc, "", "https://shop.example/", "Home", nil)
	list, err := srv.Store.LiveVisitors(context.Background(), []string{res.String("visitor_id")})
	if err != nil || len(list) != 1 || list[0].Visit == nil {
		t.Fatalf("visitor %v (%v)", list, err)
	}
	if list[0].Visit.Location != nil {
		t.Errorf("location %+v without a GeoIP database", list[0].Visit.Location)
	}
}

func TestVisitorListNeedsOnline(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, opToken := srv.Operator(acc, domain.RoleAgent)
	srv.Do("GET", "/api/v1/visitors", opToken, nil).WantError(t, http.StatusBadRequest, "invalid_query")
	srv.Do("GET", "/api/v1/visitors?online=true", "", nil).WantError(t, http.StatusUnauthorized, "unauthorized")
}

// On a portal, an advertiser's operators see the portal's visitors who are on its listings, and
// only while they are: not the visitors of another advertiser's listings, and not after they
// move on. They can invite them, and the chat is the advertiser's.
func TestAdvertisersSeeTheVisitorsOfTheirListings(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		portal := srv.Account(domain.KindPortal, nil, "")
		advA := srv.Account(domain.KindAdvertiser, portal, "adv-a")
		advB := srv.Account(domain.KindAdvertiser, portal, "adv-b")
		opA, aTok := srv.Operator(advA, domain.RoleAgent)
		_, bTok := srv.Operator(advB, domain.RoleAgent)
		_, portalTok := srv.Operator(portal, domain.RoleAdmin)
		aSock, bSock := srv.DialOperator(aTok), srv.DialOperator(bTok)

		v := portalVisit(t, srv, portal, "", "adv-a", "L1")
		token, id := v.String("visitor_token"), v.String("visitor_id")
		tab := srv.DialVisitor(token)
		if f := aSock.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "online" }); testutil.Field(f, "visitor", "id") != id {
			t.Fatalf("advertiser A's online frame: %v", f)
		}
		bSock.QuietWhere("visitor", func(map[string]any) bool { return true }, 300*time.Millisecond)
		if n := len(onlineVisitors(t, srv, aTok)); n != 1 {
			t.Errorf("advertiser A lists %d visitors, want the one on its listing", n)
		}
		if n := len(onlineVisitors(t, srv, bTok)); n != 0 {
			t.Errorf("advertiser B lists %d visitors, want none", n)
		}
		if n := len(onlineVisitors(t, srv, portalTok)); n != 1 {
			t.Errorf("the portal lists %d visitors, want its one", n)
		}
		srv.Do("GET", "/api/v1/visitors/"+id, aTok, nil).Want(t, http.StatusOK)
		srv.Do("GET", "/api/v1/visitors/"+id, bTok, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("POST", "/api/v1/visitors/"+id+"/invite", bTok, map[string]string{"message": "Hi"}).WantError(t, http.StatusNotFound, "not_found")

		inv := srv.Do("POST", "/api/v1/visitors/"+id+"/invite", aTok, map[string]string{"message": "About this flat?"}).Want(t, http.StatusAccepted).String("invitation", "id")
		tab.Next("invitation")
		c := srv.Do("POST", "/api/v1/widget/invitations/"+inv+"/accept", token, nil).Want(t, http.StatusCreated)
		if c.String("conversation", "account_id") != advA.ID || c.String("conversation", "owner_id") != opA.ID {
			t.Errorf("the accepted chat %s: want advertiser A's, owned by its operator", c.Raw)
		}

		// The visitor moves on to B's listing: A hears they are gone, B that they arrived.
		portalVisit(t, srv, portal, token, "adv-b", "L2")
		aSock.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "left" && f["visitor_id"] == id })
		bSock.NextWhere("visitor", func(f map[string]any) bool { return testutil.Field(f, "visitor", "id") == id })
		if n := len(onlineVisitors(t, srv, aTok)); n != 0 {
			t.Errorf("advertiser A still lists %d visitors after they moved on", n)
		}
		tab.Conn.CloseNow()
		bSock.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "offline" && f["visitor_id"] == id })
	})
}

// A chat started in one tab is the same chat in every tab: each tab's socket gets the
// conversation and every message, whichever side writes.
func TestEveryTabHasTheSameChat(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, opToken := srv.Operator(acc, domain.RoleAgent)
	token, _ := srv.Visitor(acc, "https://shop.example/")
	tab1, tab2 := srv.DialVisitor(token), srv.DialVisitor(token)

	id := srv.StartChat(token, "hello from tab 1")
	for _, tab := range []*testutil.Socket{tab1, tab2} {
		tab.NextWhere("conversation", func(f map[string]any) bool {
			return f["event"] == "created" && testutil.Field(f, "conversation", "id") == id
		})
	}
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", opToken, nil).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", opToken, map[string]string{"body": "hi both tabs", "client_msg_id": "o1"}).Want(t, http.StatusCreated)
	srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", token, map[string]string{"body": "typed in tab 2", "client_msg_id": "v2"}).Want(t, http.StatusCreated)
	for i, tab := range []*testutil.Socket{tab1, tab2} {
		for _, body := range []string{"hi both tabs", "typed in tab 2"} {
			tab.NextWhere("message", func(f map[string]any) bool { return testutil.Field(f, "message", "body") == body })
		}
		if convs := srv.Do("GET", "/api/v1/widget/conversations", token, nil).List("conversations"); len(convs) != 1 {
			t.Errorf("tab %d lists %d conversations, want the one", i+1, len(convs))
		}
	}
}
