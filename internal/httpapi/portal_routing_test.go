package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// portalVisit opens a portal page for an advertiser (and a listing, when listingID is not empty)
// as visitor vt ("" for a new visitor).
func portalVisit(t *testing.T, srv *testutil.Server, portal *domain.Account, vt, advertiser, listingID string) *testutil.Response {
	t.Helper()
	body := map[string]any{"account": portal.Key, "page": map[string]string{"url": "https://portal.example/l/" + listingID, "title": "Listing"}, "advertiser": advertiser}
	if vt != "" {
		body["visitor_token"] = vt
	}
	if listingID != "" {
		body["listing"] = map[string]string{"id": listingID, "title": "Flat " + listingID, "url": "https://portal.example/l/" + listingID}
	}
	return srv.Do("POST", "/api/v1/widget/visits", "", body).Want(t, http.StatusOK)
}

// portalChat starts a chat with the advertiser on the listing and returns the conversation.
func portalChat(t *testing.T, srv *testutil.Server, vt, advertiser, listingID, body string) *testutil.Response {
	t.Helper()
	req := map[string]any{"advertiser": advertiser, "message": map[string]string{"body": body, "client_msg_id": "start-" + domain.NewSecret(4)}}
	if listingID != "" {
		req["listing"] = map[string]string{"id": listingID, "title": "Flat " + listingID, "url": "https://portal.example/l/" + listingID}
	}
	return srv.Do("POST", "/api/v1/widget/conversations", vt, req).Want(t, http.StatusCreated)
}

func createdID(f map[string]any) string {
	id, _ := testutil.Field(f, "conversation", "id").(string)
	return id
}

func isCreated(f map[string]any) bool { return f["event"] == "created" }

// Two advertisers, two listings: each listing's visitors reach only that advertiser; a listing
// agent takes the listing's chats alone.
func TestPortalRoutesEachListingToItsAdvertiserAndAgents(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		portal := srv.Account(domain.KindPortal, nil, "")
		advA := srv.Account(domain.KindAdvertiser, portal, "adv-a")
		advB := srv.Account(domain.KindAdvertiser, portal, "adv-b")
		_, aAdmin := srv.Operator(advA, domain.RoleAdmin)
		agent1, a1Tok := srv.Operator(advA, domain.RoleAgent)
		_, a2Tok := srv.Operator(advA, domain.RoleAgent)
		_, bTok := srv.Operator(advB, domain.RoleAgent)
		a1Sock, a2Sock, bSock := srv.DialOperator(a1Tok), srv.DialOperator(a2Tok), srv.DialOperator(bTok)

		vA := portalVisit(t, srv, portal, "", "adv-a", "L1")
		if vA.Path("online") != true {
			t.Fatalf("visit on A's listing with A online: %s", vA.Raw)
		}
		vB := portalVisit(t, srv, portal, "", "adv-b", "L2")
		chatA := portalChat(t, srv, vA.String("visitor_token"), "adv-a", "L1", "Is the flat free?")
		chatB := portalChat(t, srv, vB.String("visitor_token"), "adv-b", "L2", "Is the house free?")
		idA, idB := chatA.String("conversation", "id"), chatB.String("conversation", "id")
		if chatA.String("conversation", "account_id") != advA.ID || chatA.String("conversation", "listing", "title") != "Flat L1" ||
			chatA.String("conversation", "advertiser", "external_id") != "adv-a" {
			t.Fatalf("A's chat: %s", chatA.Raw)
		}
		// B's operator hears of B's chat only: A's would have come first.
		if got := createdID(bSock.NextWhere("conversation", isCreated)); got != idB {
			t.Fatalf("B's operator was alerted to %s first, want only B's chat %s", got, idB)
		}
		if got := createdID(a1Sock.NextWhere("conversation", isCreated)); got != idA {
			t.Fatalf("A's operator alerted to %s, want %s", got, idA)
		}
		if got := createdID(a2Sock.NextWhere("conversation", isCreated)); got != idA {
			t.Fatalf("A's second operator alerted to %s, want %s", got, idA)
		}
		srv.Do("POST", "/api/v1/conversations/"+idA+"/claim", bTok, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("GET", "/api/v1/conversations/"+idA, bTok, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("POST", "/api/v1/conversations/"+idB+"/claim", a1Tok, nil).WantError(t, http.StatusNotFound, "not_found")

		// The listing was registered by the page; A's admin names agent 1 for it.
		listings := srv.Do("GET", "/api/v1/listings", aAdmin, nil).Want(t, http.StatusOK).List("listings")
		if len(listings) != 1 || listings[0].(map[string]any)["external_id"] != "L1" {
			t.Fatalf("A's listings: %v", listings)
		}
		l1 := listings[0].(map[string]any)["id"].(string)
		set := srv.Do("PUT", "/api/v1/listings/"+l1+"/operators", aAdmin, map[string]any{"operator_ids": []string{agent1.ID}}).Want(t, http.StatusOK)
		if ids := set.List("listing", "operator_ids"); len(ids) != 1 || ids[0] != agent1.ID {
			t.Fatalf("listing operators: %s", set.Raw)
		}

		routed := portalChat(t, srv, portalVisit(t, srv, portal, "", "adv-a", "L1").String("visitor_token"), "adv-a", "L1", "Viewing on Monday?")
		other := portalChat(t, srv, portalVisit(t, srv, portal, "", "adv-a", "").String("visitor_token"), "adv-a", "", "Any flats?")
		routedID, otherID := routed.String("conversation", "id"), other.String("conversation", "id")
		if got := createdID(a1Sock.NextWhere("conversation", isCreated)); got != routedID {
			t.Fatalf("the listing agent was alerted to %s, want %s", got, routedID)
		}
		// Agent 2 is not alerted to the listing's chat: the next chat they hear of is the other one.
		if got := createdID(a2Sock.NextWhere("conversation", isCreated)); got != otherID {
			t.Fatalf("agent 2 was alerted to %s, want only %s", got, otherID)
		}
		srv.Do("POST", "/api/v1/conversations/"+routedID+"/claim", a2Tok, nil).WantError(t, http.StatusForbidden, "not_routed")
		srv.Do("POST", "/api/v1/conversations/"+routedID+"/claim", a1Tok, nil).Want(t, http.StatusOK)
	})
}

// Nobody of the advertiser online: the portal's backup operator takes the chat when the portal
// enabled backup; otherwise the visitor gets the offline form.
func TestPortalBackupOperatorsTakeChatsOfAbsentAdvertisers(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		portal := srv.Account(domain.KindPortal, nil, "")
		adv := srv.Account(domain.KindAdvertiser, portal, "adv-c")
		srv.Operator(adv, domain.RoleAdmin) // signed in, never connected: not available
		_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
		backup, backupTok := srv.Operator(portal, domain.RoleAgent)
		_, otherTok := srv.Operator(portal, domain.RoleAgent)
		backupSock := srv.DialOperator(backupTok)
		srv.DialOperator(otherTok)

		if v := portalVisit(t, srv, portal, "", "adv-c", "L9"); v.Path("online") != false {
			t.Fatalf("no backup, nobody of the advertiser online: %s", v.Raw)
		}
		got := srv.Do("PUT", "/api/v1/portal/backup", pAdmin, map[string]any{"enabled": true, "operator_ids": []string{backup.ID}}).Want(t, http.StatusOK)
		if got.Path("backup", "enabled") != true {
			t.Fatalf("backup: %s", got.Raw)
		}
		v := portalVisit(t, srv, portal, "", "adv-c", "L9")
		if v.Path("online") != true {
			t.Fatalf("with a backup operator available the visit says %s", v.Raw)
		}
		chat := portalChat(t, srv, v.String("visitor_token"), "adv-c", "L9", "Hello?")
		id := chat.String("conversation", "id")
		if chat.String("conversation", "account_id") != adv.ID {
			t.Fatalf("the chat must stay the advertiser's: %s", chat.Raw)
		}
		if got := createdID(backupSock.NextWhere("conversation", isCreated)); got != id {
			t.Fatalf("the backup operator was alerted to %s, want %s", got, id)
		}
		srv.Do("GET", "/api/v1/conversations/"+id, backupTok, nil).Want(t, http.StatusOK)
		if l := srv.Do("GET", "/api/v1/conversations", backupTok, nil).Want(t, http.StatusOK).List("conversations"); len(l) != 1 || l[0].(map[string]any)["id"] != id {
			t.Fatalf("the backup operator's list: %v", l)
		}
		if l := srv.Do("GET", "/api/v1/conversations", otherTok, nil).Want(t, http.StatusOK).List("conversations"); len(l) != 0 {
			t.Fatalf("another portal agent's list: %v", l)
		}
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", otherTok, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", backupTok, nil).Want(t, http.StatusOK)
		srv.Do("POST", "/api/v1/conversations/"+id+"/messages", backupTok, map[string]string{"body": "The call centre here", "client_msg_id": "b1"}).Want(t, http.StatusCreated)

		// The node keeps the backup answer a moment for page views; a backup operator's own
		// change is heard at once all the same.
		srv.Do("PATCH", "/api/v1/me", backupTok, map[string]string{"status": "away"}).Want(t, http.StatusOK)
		if v := portalVisit(t, srv, portal, "", "adv-c", "L9"); v.Path("online") != false {
			t.Fatalf("the backup operator away: %s", v.Raw)
		}
		srv.Do("PATCH", "/api/v1/me", backupTok, map[string]string{"status": "online"}).Want(t, http.StatusOK)
		if v := portalVisit(t, srv, portal, "", "adv-c", "L9"); v.Path("online") != true {
			t.Fatalf("the backup operator back: %s", v.Raw)
		}
		srv.Do("PUT", "/api/v1/portal/backup", pAdmin, map[string]any{"enabled": false}).Want(t, http.StatusOK)
		if v := portalVisit(t, srv, portal, "", "adv-c", "L9"); v.Path("online") != false {
			t.Fatalf("backup disabled: %s", v.Raw)
		}
	})
}

// Without backup the offline message left on an advertiser's listing is mailed to the advertiser.
func TestPortalOfflineMessageIsMailedToTheAdvertiser(t *testing.T) {
	srv, smtpSrv := mailServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	adv := srv.Account(domain.KindAdvertiser, portal, "adv-d")
	advAdmin, advTok := srv.Operator(adv, domain.RoleAdmin)
	_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
	srv.DialOperator(pAdmin)

	v := portalVisit(t, srv, portal, "", "adv-d", "L4")
	if v.Path("online") != false {
		t.Fatalf("nobody of the advertiser online: %s", v.Raw)
	}
	srv.Do("POST", "/api/v1/widget/offline-messages", v.String("visitor_token"), map[string]string{
		"name": "Ann", "email": "ann@example.com", "body": "Please call me about L4", "advertiser": "adv-d"}).Want(t, http.StatusAccepted)
	smtpSrv.WaitFor(1, 10*time.Second)
	if got := smtpSrv.To(advAdmin.Email); len(got) != 1 {
		t.Fatalf("mails to the advertiser's admin: %d, all: %d", len(got), len(smtpSrv.Mails()))
	}
	list := srv.Do("GET", "/api/v1/offline-messages", advTok, nil).Want(t, http.StatusOK).List("offline_messages")
	if len(list) != 1 {
		t.Fatalf("the advertiser's offline messages: %v", list)
	}
	if l := srv.Do("GET", "/api/v1/offline-messages", pAdmin, nil).Want(t, http.StatusOK).List("offline_messages"); len(l) != 0 {
		t.Fatalf("the portal's own offline messages: %v", l)
	}
}

// One visitor talks to two advertisers at once; neither can read the other's conversation.
func TestOneVisitorTwoAdvertisersAreWalledOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		portal := srv.Account(domain.KindPortal, nil, "")
		advA := srv.Account(domain.KindAdvertiser, portal, "a")
		advB := srv.Account(domain.KindAdvertiser, portal, "b")
		_, aTok := srv.Operator(advA, domain.RoleAdmin)
		_, bTok := srv.Operator(advB, domain.RoleAdmin)
		aSock, bSock := srv.DialOperator(aTok), srv.DialOperator(bTok)

		vt := portalVisit(t, srv, portal, "", "a", "LA").String("visitor_token")
		idA := portalChat(t, srv, vt, "a", "LA", "to A").String("conversation", "id")
		idB := portalChat(t, srv, vt, "b", "LB", "to B").String("conversation", "id")
		// B's socket is told of B's chat, never of A's (which started first).
		if got := createdID(bSock.NextWhere("conversation", isCreated)); got != idB {
			t.Fatalf("B's socket was told of %s", got)
		}
		if got := createdID(aSock.NextWhere("conversation", isCreated)); got != idA {
			t.Fatalf("A's socket was told of %s", got)
		}
		if l := srv.Do("GET", "/api/v1/widget/conversations", vt, nil).Want(t, http.StatusOK).List("conversations"); len(l) != 2 {
			t.Fatalf("the visitor has %d conversations, want 2", len(l))
		}
		for _, c := range []struct{ tok, other string }{{aTok, idB}, {bTok, idA}} {
			srv.Do("GET", "/api/v1/conversations/"+c.other, c.tok, nil).WantError(t, http.StatusNotFound, "not_found")
			srv.Do("GET", "/api/v1/conversations/"+c.other+"/messages", c.tok, nil).WantError(t, http.StatusNotFound, "not_found")
			srv.Do("POST", "/api/v1/conversations/"+c.other+"/messages", c.tok, map[string]string{"body": "x", "client_msg_id": "x1"}).WantError(t, http.StatusNotFound, "not_found")
		}
		for _, tok := range []string{aTok, bTok} {
			for _, c := range srv.Do("GET", "/api/v1/conversations", tok, nil).Want(t, http.StatusOK).List("conversations") {
				if id := c.(map[string]any)["id"]; (tok == aTok && id == idB) || (tok == bTok && id == idA) {
					t.Fatal("an advertiser lists the other's conversation")
				}
			}
		}
		// Messages: the visitor writes to A, then to B; B's socket hears of B's message first.
		srv.Do("POST", "/api/v1/widget/conversations/"+idA+"/messages", vt, map[string]string{"body": "secret for A", "client_msg_id": "m1"}).Want(t, http.StatusCreated)
		srv.Do("POST", "/api/v1/widget/conversations/"+idB+"/messages", vt, map[string]string{"body": "for B", "client_msg_id": "m2"}).Want(t, http.StatusCreated)
		if got := testutil.Field(bSock.Next("message"), "message", "conversation_id"); got != idB {
			t.Fatalf("B's socket got a message of %v", got)
		}
		if got := testutil.Field(aSock.Next("message"), "message", "conversation_id"); got != idA {
			t.Fatalf("A's socket got a message of %v", got)
		}
	})
}

// An advertiser the portal has not registered creates nothing: the chat is the portal's, flagged.
func TestUnknownAdvertiserGoesToThePortalFlagged(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		portal := srv.Account(domain.KindPortal, nil, "")
		_, pTok := srv.Operator(portal, domain.RoleAgent)
		sock := srv.DialOperator(pTok)
		_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
		v := portalVisit(t, srv, portal, "", "nobody-knows", "L0")
		if v.Path("online") != true {
			t.Fatalf("the portal's operator is online: %s", v.Raw)
		}
		chat := portalChat(t, srv, v.String("visitor_token"), "nobody-knows", "L0", "hi")
		if chat.String("conversation", "account_id") != portal.ID || chat.Path("conversation", "flagged") != true || chat.Path("conversation", "listing") != nil {
			t.Fatalf("unknown advertiser's chat: %s", chat.Raw)
		}
		if got := createdID(sock.NextWhere("conversation", isCreated)); got != chat.String("conversation", "id") {
			t.Fatalf("the portal's operator was alerted to %s", got)
		}
		if l := srv.Do("GET", "/api/v1/listings", pAdmin, nil).Want(t, http.StatusOK).List("listings"); len(l) != 0 {
			t.Fatalf("an unknown advertiser registered listings: %v", l)
		}
	})
}

// The locked auto-open example of DESIGN §5 and the settings table, through the API.
func TestPortalSettingsLocksAndTheAdvertisersOwnSite(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		portal := srv.Account(domain.KindPortal, nil, "")
		adv := srv.Account(domain.KindAdvertiser, portal, "adv-s")
		_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
		_, aAdmin := srv.Operator(adv, domain.RoleAdmin)

		srv.Do("PATCH", "/api/v1/settings", aAdmin, map[string]any{"settings": map[string]any{"auto_open_after_seconds": 10, "color": "#112233", "greeting": "Hello from the agency"}}).Want(t, http.StatusOK)
		srv.Do("PATCH", "/api/v1/settings", pAdmin, map[string]any{"settings": map[string]any{"auto_open_after_seconds": 0, "color": "#ff0000", "video_enabled": true}, "locked": []string{"auto_open_after_seconds"}}).Want(t, http.StatusOK)

		ownSite := srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": adv.Key, "page": map[string]string{"url": "https://agency.example/"}}).Want(t, http.StatusOK)
		cases := []struct {
			name string
			res  *testutil.Response
			want map[string]any
		}{
			{"portal listing page", portalVisit(t, srv, portal, "", "adv-s", "LS"), map[string]any{"auto_open_after_seconds": 0.0, "color": "#112233", "greeting": "Hello from the agency", "video_enabled": true}},
			{"advertiser's own site", ownSite, map[string]any{"auto_open_after_seconds": 10.0, "color": "#112233", "greeting": "Hello from the agency", "video_enabled": false}},
			{"portal page, unknown advertiser", portalVisit(t, srv, portal, "", "unknown", ""), map[string]any{"auto_open_after_seconds": 0.0, "color": "#ff0000", "video_enabled": true}},
			{"portal's own page", srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": portal.Key, "page": map[string]string{"url": "https://portal.example/"}}).Want(t, http.StatusOK), map[string]any{"color": "#ff0000", "offline_form": true}},
		}
		for _, c := range cases {
			for k, want := range c.want {
				if got := c.res.Path("settings", k); got != want {
					t.Errorf("%s: %s = %v, want %v", c.name, k, got, want)
				}
			}
		}

		p := srv.Do("GET", "/api/v1/settings", pAdmin, nil).Want(t, http.StatusOK)
		if l := p.List("locked"); len(l) != 1 || l[0] != "auto_open_after_seconds" {
			t.Fatalf("the portal admin's view: %s", p.Raw)
		}
		a := srv.Do("GET", "/api/v1/settings", aAdmin, nil).Want(t, http.StatusOK)
		if o := a.List("overridden"); len(o) != 1 || o[0] != "auto_open_after_seconds" {
			t.Fatalf("the advertiser admin's view: %s", a.Raw)
		}
		if a.Path("settings", "auto_open_after_seconds") != 10.0 || a.Path("effective", "auto_open_after_seconds") != 0.0 {
			t.Fatalf("the advertiser admin's values: %s", a.Raw)
		}
		// Unlocking gives the advertiser its 10 s back on the portal.
		srv.Do("PATCH", "/api/v1/settings", pAdmin, map[string]any{"locked": []string{}}).Want(t, http.StatusOK)
		if got := portalVisit(t, srv, portal, "", "adv-s", "LS").Path("settings", "auto_open_after_seconds"); got != 10.0 {
			t.Fatalf("unlocked: auto-open on the portal %v, want 10", got)
		}
		if o := srv.Do("GET", "/api/v1/settings", aAdmin, nil).List("overridden"); len(o) != 0 {
			t.Fatalf("unlocked, still overridden: %v", o)
		}
	})
}

func TestSettingsValidation(t *testing.T) {
	srv := testutil.NewServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	adv := srv.Account(domain.KindAdvertiser, portal, "adv-v")
	_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
	_, aAdmin := srv.Operator(adv, domain.RoleAdmin)
	long := make([]byte, 501)
	for i := range long {
		long[i] = 'x'
	}
	bad := []struct {
		settings map[string]any
		code     string
	}{
		{map[string]any{"color": "red"}, "invalid_field"},
		{map[string]any{"color": "#12345g"}, "invalid_field"},
		{map[string]any{"greeting": string(long)}, "invalid_field"},
		{map[string]any{"auto_open_after_seconds": 3601}, "invalid_field"},
		{map[string]any{"auto_open_after_seconds": -1}, "invalid_field"},
		{map[string]any{"auto_open_after_seconds": 1.5}, "invalid_field"},
		{map[string]any{"video_enabled": "yes"}, "invalid_field"},
		{map[string]any{"prechat_form": 1}, "invalid_field"},
		{map[string]any{"sparkles": true}, "unknown_setting"},
	}
	for _, b := range bad {
		srv.Do("PATCH", "/api/v1/settings", pAdmin, map[string]any{"settings": b.settings}).WantError(t, http.StatusUnprocessableEntity, b.code)
	}
	srv.Do("PATCH", "/api/v1/settings", pAdmin, map[string]any{"locked": []string{"sparkles"}}).WantError(t, http.StatusUnprocessableEntity, "unknown_setting")
	srv.Do("PATCH", "/api/v1/settings", aAdmin, map[string]any{"locked": []string{"color"}}).WantError(t, http.StatusUnprocessableEntity, "not_a_portal")
	ok := srv.Do("PATCH", "/api/v1/settings", pAdmin, map[string]any{"settings": map[string]any{"greeting": string(long[:500]), "auto_open_after_seconds": 3600, "offline_form": false, "title": "Flats"}}).Want(t, http.StatusOK)
	if ok.Path("effective", "offline_form") != false || ok.Path("settings", "auto_open_after_seconds") != 3600.0 {
		t.Fatalf("valid settings: %s", ok.Raw)
	}
	// null returns a key to its default.
	back := srv.Do("PATCH", "/api/v1/settings", pAdmin, map[string]any{"settings": map[string]any{"offline_form": nil}}).Want(t, http.StatusOK)
	if back.Path("effective", "offline_form") != true || back.Path("settings", "offline_form") != nil {
		t.Fatalf("reset: %s", back.Raw)
	}
}

// Who may use the portal endpoints: portal admins, advertiser admins, agents, another portal.
func TestPortalEndpointsPermissions(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		portal := srv.Account(domain.KindPortal, nil, "")
		adv := srv.Account(domain.KindAdvertiser, portal, "adv-p")
		other := srv.Account(domain.KindPortal, nil, "")
		otherAdv := srv.Account(domain.KindAdvertiser, other, "adv-p")
		_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
		_, pAgent := srv.Operator(portal, domain.RoleAgent)
		_, aAdmin := srv.Operator(adv, domain.RoleAdmin)
		advAgent, aAgent := srv.Operator(adv, domain.RoleAgent)
		_, oAdmin := srv.Operator(other, domain.RoleAdmin)
		_, oaAdmin := srv.Operator(otherAdv, domain.RoleAdmin)
		otherAgentOfOther, _ := srv.Operator(otherAdv, domain.RoleAgent)

		portalVisit(t, srv, portal, "", "adv-p", "LP")
		listings := srv.Do("GET", "/api/v1/listings", pAdmin, nil).Want(t, http.StatusOK).List("listings")
		if len(listings) != 1 {
			t.Fatalf("the portal admin's listings: %v", listings)
		}
		lid := listings[0].(map[string]any)["id"].(string)
		if l := srv.Do("GET", "/api/v1/listings", aAgent, nil).Want(t, http.StatusOK).List("listings"); len(l) != 1 {
			t.Fatalf("an advertiser's agent sees its listings: %v", l)
		}
		for _, tok := range []string{oAdmin, oaAdmin, pAgent} {
			if l := srv.Do("GET", "/api/v1/listings", tok, nil).Want(t, http.StatusOK).List("listings"); len(l) != 0 {
				t.Fatalf("listings of others: %v", l)
			}
		}
		put := func(tok string, ids ...string) *testutil.Response {
			return srv.Do("PUT", "/api/v1/listings/"+lid+"/operators", tok, map[string]any{"operator_ids": ids})
		}
		put(pAdmin, advAgent.ID).Want(t, http.StatusOK)
		put(aAdmin).Want(t, http.StatusOK)
		put(aAgent, advAgent.ID).WantError(t, http.StatusForbidden, "forbidden")
		put(pAgent, advAgent.ID).WantError(t, http.StatusForbidden, "forbidden")
		put(oAdmin, advAgent.ID).WantError(t, http.StatusNotFound, "not_found")
		put(oaAdmin, advAgent.ID).WantError(t, http.StatusNotFound, "not_found")
		put(aAdmin, otherAgentOfOther.ID).WantError(t, http.StatusUnprocessableEntity, "invalid_operator")
		srv.Do("PUT", "/api/v1/listings/nope/operators", aAdmin, map[string]any{"operator_ids": []string{}}).WantError(t, http.StatusNotFound, "not_found")

		for _, tok := range []string{pAgent, aAdmin, aAgent} {
			srv.Do("GET", "/api/v1/portal/backup", tok, nil).WantError(t, http.StatusForbidden, "forbidden")
			srv.Do("PUT", "/api/v1/portal/backup", tok, map[string]any{"enabled": true}).WantError(t, http.StatusForbidden, "forbidden")
			srv.Do("GET", "/api/v1/portal/advertisers", tok, nil).WantError(t, http.StatusForbidden, "forbidden")
			srv.Do("PATCH", "/api/v1/settings", tok, map[string]any{"settings": map[string]any{"color": "#000000"}}).Want(t, map[bool]int{true: http.StatusOK, false: http.StatusForbidden}[tok == aAdmin])
		}
		srv.Do("PUT", "/api/v1/portal/backup", pAdmin, map[string]any{}).WantError(t, http.StatusUnprocessableEntity, "missing_field")
		srv.Do("PUT", "/api/v1/portal/backup", pAdmin, map[string]any{"enabled": true, "operator_ids": []string{advAgent.ID}}).WantError(t, http.StatusUnprocessableEntity, "invalid_operator")
		srv.Do("GET", "/api/v1/portal/backup", pAdmin, nil).Want(t, http.StatusOK)
		srv.Do("GET", "/api/v1/settings", aAgent, nil).Want(t, http.StatusOK)

		// The other portal's admin sees only its own advertiser.
		ads := srv.Do("GET", "/api/v1/portal/advertisers", oAdmin, nil).Want(t, http.StatusOK).List("advertisers")
		if len(ads) != 1 || ads[0].(map[string]any)["id"] != otherAdv.ID {
			t.Fatalf("the other portal's advertisers: %v", ads)
		}
	})
}

// The portal admin's overview: each advertiser with its operators and who is online.
func TestPortalAdvertisersShowWhoIsOnline(t *testing.T) {
	srv := testutil.NewServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	advA := srv.Account(domain.KindAdvertiser, portal, "a")
	advB := srv.Account(domain.KindAdvertiser, portal, "b")
	_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
	onA, onTok := srv.Operator(advA, domain.RoleAgent)
	offA, _ := srv.Operator(advA, domain.RoleAdmin)
	srv.Operator(advB, domain.RoleAdmin)
	srv.DialOperator(onTok)

	ads := srv.Do("GET", "/api/v1/portal/advertisers", pAdmin, nil).Want(t, http.StatusOK).List("advertisers")
	if len(ads) != 2 {
		t.Fatalf("advertisers: %v", ads)
	}
	byID := map[string]map[string]any{}
	for _, a := range ads {
		a := a.(map[string]any)
		byID[a["id"].(string)] = a
	}
	if byID[advA.ID]["online"] != true || byID[advB.ID]["online"] != false {
		t.Fatalf("online: %v", ads)
	}
	online := map[string]bool{}
	for _, o := range byID[advA.ID]["operators"].([]any) {
		o := o.(map[string]any)
		online[o["id"].(string)] = o["online"].(bool)
	}
	if !online[onA.ID] || online[offA.ID] || len(online) != 2 || !slices.Contains([]string{"a"}, byID[advA.ID]["external_id"].(string)) {
		t.Fatalf("A's operators: %v", byID[advA.ID])
	}
}

// The advertisers come a page at a time by name in any case, each with its listings; a portal
// admin finds one by name or external id.
func TestPortalAdvertisersComeAPageAtATime(t *testing.T) {
	srv := testutil.NewServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	_, pAdmin := srv.Operator(portal, domain.RoleAdmin)
	ctx := context.Background()
	for i, name := range []string{"delta Homes", "Alpha Estates", "Charlie Lets", "bravo Realty", "Echo Homes"} {
		adv := &domain.Account{ID: domain.NewID(), Kind: domain.KindAdvertiser, Name: name, Key: "pk_" + domain.NewSecret(8),
			ParentID: portal.ID, ExternalID: fmt.Sprintf("agency-%d", i), CreatedAt: time.Now()}
		if err := srv.Store.CreateAccount(ctx, adv); err != nil {
			t.Fatal(err)
		}
	}
	portalVisit(t, srv, portal, "", "agency-0", "L7") // the visit records delta's listing

	var names []string
	cursor := ""
	for pages := 1; ; pages++ {
		res := srv.Do("GET", "/api/v1/portal/advertisers?limit=2&cursor="+cursor, pAdmin, nil).Want(t, http.StatusOK)
		for _, a := range res.List("advertisers") {
			names = append(names, a.(map[string]any)["name"].(string))
		}
		if cursor = res.String("next_cursor"); cursor == "" {
			if pages != 3 {
				t.Fatalf("%d pages of two for five advertisers", pages)
			}
			break
		}
	}
	if want := []string{"Alpha Estates", "bravo Realty", "Charlie Lets", "delta Homes", "Echo Homes"}; !slices.Equal(names, want) {
		t.Fatalf("pages: %v, want %v", names, want)
	}
	found := srv.Do("GET", "/api/v1/portal/advertisers?q=HOMES", pAdmin, nil).Want(t, http.StatusOK)
	homes := found.List("advertisers")
	if len(homes) != 2 || found.String("next_cursor") != "" {
		t.Fatalf("q=HOMES: %s", found.Raw)
	}
	listings := homes[0].(map[string]any)["listings"].([]any)
	if len(listings) != 1 || listings[0].(map[string]any)["external_id"] != "L7" || len(homes[1].(map[string]any)["listings"].([]any)) != 0 {
		t.Fatalf("the listings of delta and echo: %s", found.Raw)
	}
	if l := srv.Do("GET", "/api/v1/portal/advertisers?q=agency-3", pAdmin, nil).Want(t, http.StatusOK).List("advertisers"); len(l) != 1 || l[0].(map[string]any)["name"] != "bravo Realty" {
		t.Fatalf("by external id: %v", l)
	}
	for _, bad := range []string{"limit=0", "limit=201", "limit=ten", "cursor=%21%21", "q=" + strings.Repeat("x", 201)} {
		srv.Do("GET", "/api/v1/portal/advertisers?"+bad, pAdmin, nil).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	}
}

// A portal of more advertisers than a query may name (SQLite takes 32,766 values): its
// visitors list their chats, its admins list, answer, search and export the advertisers'
// chats, without the server naming every advertiser to the database.
func TestAPortalOfTensOfThousandsOfAdvertisers(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		const advertisers = 33_000
		portal := srv.Account(domain.KindPortal, nil, "")
		_, portalAdmin := srv.Operator(portal, domain.RoleAdmin)
		other := srv.Account(domain.KindPortal, nil, "")
		_, outsider := srv.Operator(other, domain.RoleAdmin)
		srv.Account(domain.KindAdvertiser, other, "agency-1")
		ctx := context.Background()
		now := time.Now()
		var last *domain.Account
		for i := range advertisers {
			last = &domain.Account{ID: domain.NewID(), Kind: domain.KindAdvertiser, Name: fmt.Sprintf("Agency %d", i+1),
				Key: "pk_" + domain.NewSecret(8), ParentID: portal.ID, ExternalID: fmt.Sprintf("agency-%d", i+1), CreatedAt: now}
			if err := srv.Store.CreateAccount(ctx, last); err != nil {
				t.Fatal(err)
			}
		}
		vt := portalVisit(t, srv, portal, "", last.ExternalID, "L1").String("visitor_token")
		id := portalChat(t, srv, vt, last.ExternalID, "L1", "Is the loft still free?").String("conversation", "id")

		if l := srv.Do("GET", "/api/v1/widget/conversations", vt, nil).Want(t, http.StatusOK).List("conversations"); len(l) != 1 {
			t.Fatalf("the visitor's chats: %v", l)
		}
		if l := srv.Do("GET", "/api/v1/conversations", portalAdmin, nil).Want(t, http.StatusOK).List("conversations"); len(l) != 1 {
			t.Fatalf("the portal admin's list: %v", l)
		}
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", portalAdmin, nil).Want(t, http.StatusOK)
		srv.Do("POST", "/api/v1/conversations/"+id+"/messages", portalAdmin, map[string]string{"body": "It is", "client_msg_id": "p1"}).Want(t, http.StatusCreated)
		closeChat(t, srv, portalAdmin, id)
		if got := historyIDs(t, srv, portalAdmin, "q=loft"); !slices.Equal(got, []string{id}) {
			t.Fatalf("the portal admin's search: %v", got)
		}
		if got := historyIDs(t, srv, portalAdmin, "q=loft&account_id="+last.ID); !slices.Equal(got, []string{id}) {
			t.Fatalf("the portal admin's search of one advertiser: %v", got)
		}
		srv.Do("GET", "/api/v1/conversations/"+id+"/export", portalAdmin, nil).Want(t, http.StatusOK)
		if l := srv.Do("GET", "/api/v1/listings", portalAdmin, nil).Want(t, http.StatusOK).List("listings"); len(l) != 1 || l[0].(map[string]any)["advertiser_id"] != last.ID {
			t.Fatalf("the portal's listings: %v", l)
		}
		page := srv.Do("GET", "/api/v1/portal/advertisers?q="+last.ExternalID, portalAdmin, nil).Want(t, http.StatusOK)
		if l := page.List("advertisers"); len(l) != 1 || len(l[0].(map[string]any)["listings"].([]any)) != 1 {
			t.Fatalf("the last advertiser found: %s", page.Raw)
		}
		visitorID := srv.Do("GET", "/api/v1/conversations/"+id, portalAdmin, nil).Want(t, http.StatusOK).String("conversation", "visitor_id")
		srv.Do("GET", "/api/v1/visitors/"+visitorID, portalAdmin, nil).Want(t, http.StatusOK)

		// Another portal's admin sees none of it.
		if l := srv.Do("GET", "/api/v1/conversations", outsider, nil).Want(t, http.StatusOK).List("conversations"); len(l) != 0 {
			t.Fatalf("another portal's admin lists %v", l)
		}
		if got := historyIDs(t, srv, outsider, "q=loft"); len(got) != 0 {
			t.Fatalf("another portal's admin finds %v", got)
		}
		srv.Do("GET", "/api/v1/history?account_id="+last.ID, outsider, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("GET", "/api/v1/conversations/"+id+"/export", outsider, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("GET", "/api/v1/visitors/"+visitorID, outsider, nil).WantError(t, http.StatusNotFound, "not_found")
	})
}
