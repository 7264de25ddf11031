package httpapi_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// team is an account with an admin and three agents, a visitor in a chat that agent a owns,
// and an operator of another account.
type team struct {
	acc                *domain.Account
	admin, a, b, c     *domain.Operator
	adminT, aT, bT, cT string
	outsiderAcc        *domain.Account
	outsider           *domain.Operator
	outsiderT          string
	visitorT           string
	chat               string
}

func newTeam(t *testing.T, srv *testutil.Server) *team {
	t.Helper()
	tm := &team{acc: srv.Account(domain.KindWebsite, nil, "")}
	tm.admin, tm.adminT = srv.Operator(tm.acc, domain.RoleAdmin)
	tm.a, tm.aT = srv.Operator(tm.acc, domain.RoleAgent)
	tm.b, tm.bT = srv.Operator(tm.acc, domain.RoleAgent)
	tm.c, tm.cT = srv.Operator(tm.acc, domain.RoleAgent)
	tm.outsiderAcc = srv.Account(domain.KindWebsite, nil, "")
	tm.outsider, tm.outsiderT = srv.Operator(tm.outsiderAcc, domain.RoleAdmin)
	tm.visitorT, _ = srv.Visitor(tm.acc, "https://shop.example/")
	tm.chat = srv.StartChat(tm.visitorT, "I need help with my order")
	srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/claim", tm.aT, nil).Want(t, http.StatusOK)
	return tm
}

func operatorSend(t *testing.T, srv *testutil.Server, token, conv, body string) *testutil.Response {
	t.Helper()
	return srv.Do("POST", "/api/v1/conversations/"+conv+"/messages", token, map[string]string{"body": body, "client_msg_id": "c-" + domain.NewSecret(4)})
}

func participantIDs(r *testutil.Response) []string {
	var ids []string
	for _, p := range r.List("conversation", "participants") {
		ids = append(ids, p.(map[string]any)["id"].(string))
	}
	return ids
}

// systemBodies lists the system messages of a conversation as the visitor reads them.
func systemBodies(t *testing.T, srv *testutil.Server, visitorT, conv string) []string {
	t.Helper()
	var out []string
	for _, m := range srv.Do("GET", "/api/v1/widget/conversations/"+conv+"/messages", visitorT, nil).Want(t, http.StatusOK).List("messages") {
		m := m.(map[string]any)
		if testutil.Field(m, "author", "type") == "system" {
			out = append(out, m["body"].(string))
		}
	}
	return out
}

func isSystemMessage(body string) func(map[string]any) bool {
	return func(f map[string]any) bool {
		return testutil.Field(f, "message", "author", "type") == "system" && testutil.Field(f, "message", "body") == body
	}
}

func TestTransferHandsTheChatOver(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		tm := newTeam(t, srv)
		visitor := srv.DialVisitor(tm.visitorT)
		oldOwner := srv.DialOperator(tm.aT)
		newOwner := srv.DialOperator(tm.bT)

		res := srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/transfer", tm.aT,
			map[string]string{"operator_id": tm.b.ID, "note": "Order 1234, wants a refund"}).Want(t, http.StatusOK)
		if res.String("conversation", "owner_id") != tm.b.ID || !slices.Equal(participantIDs(res), []string{tm.b.ID}) ||
			res.String("conversation", "status") != "active" {
			t.Fatalf("after the transfer: %s", res.Raw)
		}
		if res.String("transfer", "note") != "Order 1234, wants a refund" || res.String("transfer", "from", "id") != tm.a.ID {
			t.Fatalf("transfer: %s", res.Raw)
		}

		// The new owner is told, with the note; the former owner and the visitor without it.
		transferred := func(f map[string]any) bool { return f["event"] == "transferred" }
		got := newOwner.NextWhere("conversation", transferred)
		if got["note"] != "Order 1234, wants a refund" || testutil.Field(got, "conversation", "owner_id") != tm.b.ID ||
			testutil.Field(got, "by", "id") != tm.a.ID || testutil.Field(got, "from", "id") != tm.a.ID {
			t.Fatalf("the new owner's frame: %v", got)
		}
		for name, s := range map[string]*testutil.Socket{"former owner": oldOwner, "visitor": visitor} {
			f := s.NextWhere("conversation", transferred)
			if _, leaked := f["note"]; leaked || testutil.Field(f, "conversation", "owner_id") != tm.b.ID || testutil.Field(f, "by", "id") != tm.a.ID {
				t.Fatalf("the %s's frame: %v", name, f)
			}
		}
		joined, left := tm.b.Name+" joined the chat", tm.a.Name+" left the chat"
		visitor.NextWhere("message", isSystemMessage(joined))
		visitor.NextWhere("message", isSystemMessage(left))
		newOwner.NextWhere("message", isSystemMessage(left))
		if got := systemBodies(t, srv, tm.visitorT, tm.chat); !slices.Equal(got, []string{joined, left}) {
			t.Fatalf("the visitor reads %q", got)
		}

		// The former owner may read what they took part in, but no longer write; the new owner writes.
		operatorSend(t, srv, tm.aT, tm.chat, "still here?").WantError(t, http.StatusForbidden, "forbidden")
		operatorSend(t, srv, tm.bT, tm.chat, "Hello, I have your order in front of me").Want(t, http.StatusCreated)
		srv.Do("GET", "/api/v1/conversations/"+tm.chat, tm.aT, nil).Want(t, http.StatusOK)

		// The note stays with the conversation, for its operators only.
		list := srv.Do("GET", "/api/v1/conversations/"+tm.chat+"/transfers", tm.bT, nil).Want(t, http.StatusOK).List("transfers")
		if len(list) != 1 || list[0].(map[string]any)["note"] != "Order 1234, wants a refund" {
			t.Fatalf("transfers: %v", list)
		}
		srv.Do("GET", "/api/v1/conversations/"+tm.chat+"/transfers", tm.cT, nil).WantError(t, http.StatusForbidden, "forbidden")
		srv.Do("GET", "/api/v1/conversations/"+tm.chat+"/transfers", tm.outsiderT, nil).WantError(t, http.StatusNotFound, "not_found")

		// Who may transfer, and to whom.
		to := func(token, operatorID, note string) *testutil.Response {
			return srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/transfer", token, map[string]string{"operator_id": operatorID, "note": note})
		}
		to(tm.aT, tm.c.ID, "").WantError(t, http.StatusForbidden, "forbidden")       // no longer the owner
		to(tm.cT, tm.c.ID, "").WantError(t, http.StatusForbidden, "forbidden")       // never in the chat
		to(tm.outsiderT, tm.c.ID, "").WantError(t, http.StatusNotFound, "not_found") // another account
		to(tm.bT, tm.outsider.ID, "").WantError(t, http.StatusUnprocessableEntity, "unknown_operator")
		to(tm.bT, "no-such-operator", "").WantError(t, http.StatusUnprocessableEntity, "unknown_operator")
		gone, _ := srv.Operator(tm.acc, domain.RoleAgent)
		srv.Do("DELETE", "/api/v1/operators/"+gone.ID, tm.adminT, nil).Want(t, http.StatusNoContent)
		to(tm.bT, gone.ID, "").WantError(t, http.StatusUnprocessableEntity, "unknown_operator")
		to(tm.bT, tm.b.ID, "").WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		to(tm.bT, tm.c.ID, strings.Repeat("n", 501)).WantError(t, http.StatusUnprocessableEntity, "note_too_long")
		srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/transfer", tm.bT, `{"operator_id":`).WantError(t, http.StatusBadRequest, "invalid_json")

		// An admin may move a colleague's chat.
		res = to(tm.adminT, tm.c.ID, "")
		res.Want(t, http.StatusOK)
		if res.String("conversation", "owner_id") != tm.c.ID || res.String("transfer", "by", "id") != tm.admin.ID {
			t.Fatalf("the admin's transfer: %s", res.Raw)
		}
		// A waiting chat is claimed, not transferred; a closed one stays closed.
		waiting := srv.StartChat(tm.visitorT, "another question")
		srv.Do("POST", "/api/v1/conversations/"+waiting+"/transfer", tm.adminT, map[string]string{"operator_id": tm.a.ID}).WantError(t, http.StatusConflict, "conflict")
		srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/close", tm.cT, nil).Want(t, http.StatusOK)
		to(tm.adminT, tm.a.ID, "").WantError(t, http.StatusConflict, "conversation_closed")
	})
}

func TestInviteAndLeave(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		tm := newTeam(t, srv)
		visitor := srv.DialVisitor(tm.visitorT)
		invited := srv.DialOperator(tm.bT)
		bystander := srv.DialOperator(tm.cT)
		conv := "/api/v1/conversations/" + tm.chat

		srv.Do("POST", conv+"/invite", tm.cT, map[string]string{"operator_id": tm.c.ID}).WantError(t, http.StatusForbidden, "forbidden")
		srv.Do("POST", conv+"/invite", tm.aT, map[string]string{"operator_id": tm.outsider.ID}).WantError(t, http.StatusUnprocessableEntity, "unknown_operator")
		srv.Do("POST", conv+"/invite", tm.outsiderT, map[string]string{"operator_id": tm.outsider.ID}).WantError(t, http.StatusNotFound, "not_found")

		res := srv.Do("POST", conv+"/invite", tm.aT, map[string]string{"operator_id": tm.b.ID}).Want(t, http.StatusOK)
		if res.String("conversation", "owner_id") != tm.a.ID || !slices.Equal(participantIDs(res), []string{tm.a.ID, tm.b.ID}) {
			t.Fatalf("after the invitation: %s", res.Raw)
		}
		f := invited.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "invited" })
		if testutil.Field(f, "by", "id") != tm.a.ID || len(testutil.Field(f, "conversation", "participants").([]any)) != 2 {
			t.Fatalf("the invited operator's frame: %v", f)
		}
		visitor.NextWhere("message", isSystemMessage(tm.b.Name+" joined the chat"))
		// Inviting again changes nothing and tells the visitor nothing.
		srv.Do("POST", conv+"/invite", tm.aT, map[string]string{"operator_id": tm.b.ID}).Want(t, http.StatusOK)

		// Two operators write in one conversation.
		operatorSend(t, srv, tm.aT, tm.chat, "My colleague knows more about refunds").Want(t, http.StatusCreated)
		operatorSend(t, srv, tm.bT, tm.chat, "Hello, I can help with that").Want(t, http.StatusCreated)
		operatorSend(t, srv, tm.cT, tm.chat, "me too").WantError(t, http.StatusForbidden, "forbidden")

		// The owner leaves: the chat is the invited operator's now.
		srv.Do("POST", conv+"/leave", tm.cT, nil).WantError(t, http.StatusForbidden, "forbidden")
		res = srv.Do("POST", conv+"/leave", tm.aT, nil).Want(t, http.StatusOK)
		if res.String("conversation", "owner_id") != tm.b.ID || !slices.Equal(participantIDs(res), []string{tm.b.ID}) {
			t.Fatalf("after the owner left: %s", res.Raw)
		}
		f = invited.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "left" })
		if testutil.Field(f, "conversation", "owner_id") != tm.b.ID {
			t.Fatalf("the new owner's frame: %v", f)
		}
		operatorSend(t, srv, tm.aT, tm.chat, "one more thing").WantError(t, http.StatusForbidden, "forbidden")

		// The last one leaves: the chat waits again, and everyone may claim it.
		res = srv.Do("POST", conv+"/leave", tm.bT, nil).Want(t, http.StatusOK)
		if res.String("conversation", "status") != "waiting" || res.String("conversation", "owner_id") != "" || len(participantIDs(res)) != 0 {
			t.Fatalf("after the last one left: %s", res.Raw)
		}
		f = bystander.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "left" })
		if testutil.Field(f, "conversation", "status") != "waiting" {
			t.Fatalf("a colleague's frame: %v", f)
		}
		visitor.NextWhere("message", isSystemMessage(tm.b.Name+" left the chat"))
		want := []string{tm.b.Name + " joined the chat", tm.a.Name + " left the chat", tm.b.Name + " left the chat"}
		if got := systemBodies(t, srv, tm.visitorT, tm.chat); !slices.Equal(got, want) {
			t.Fatalf("the visitor reads %q, want %q", got, want)
		}
		srv.Do("POST", conv+"/invite", tm.aT, map[string]string{"operator_id": tm.c.ID}).WantError(t, http.StatusConflict, "conflict")
		srv.Do("POST", conv+"/claim", tm.cT, nil).Want(t, http.StatusOK)
	})
}

func roomPath(id string, rest ...string) string {
	return "/api/v1/rooms/" + id + strings.Join(rest, "")
}

func sendRoom(t *testing.T, srv *testutil.Server, token, room, body, clientID string) *testutil.Response {
	t.Helper()
	return srv.Do("POST", roomPath(room, "/messages"), token, map[string]string{"body": body, "client_msg_id": clientID})
}

func unreadIn(t *testing.T, srv *testutil.Server, token, room string) float64 {
	t.Helper()
	for _, r := range srv.Do("GET", "/api/v1/rooms", token, nil).Want(t, http.StatusOK).List("rooms") {
		if r := r.(map[string]any); r["id"] == room {
			return r["unread"].(float64)
		}
	}
	t.Fatalf("room %s is not in the list", room)
	return 0
}

func TestColleagueRooms(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		tm := newTeam(t, srv)

		// A direct room is one room, whoever asks for it.
		direct := srv.Do("POST", "/api/v1/rooms", tm.aT, map[string]any{"member_ids": []string{tm.b.ID}}).Want(t, http.StatusCreated)
		room := direct.String("room", "id")
		if direct.String("room", "kind") != "direct" || len(direct.List("room", "members")) != 2 {
			t.Fatalf("direct room: %s", direct.Raw)
		}
		for _, who := range []struct{ token, other string }{{tm.aT, tm.b.ID}, {tm.bT, tm.a.ID}} {
			again := srv.Do("POST", "/api/v1/rooms", who.token, map[string]any{"member_ids": []string{who.other}}).Want(t, http.StatusOK)
			if again.String("room", "id") != room {
				t.Fatalf("asked again: %s, want room %s", again.Raw, room)
			}
		}
		srv.Do("POST", "/api/v1/rooms", tm.aT, map[string]any{"member_ids": []string{tm.outsider.ID}}).WantError(t, http.StatusUnprocessableEntity, "unknown_operator")
		srv.Do("POST", "/api/v1/rooms", tm.aT, map[string]any{"member_ids": []string{tm.b.ID, tm.c.ID}}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		srv.Do("POST", "/api/v1/rooms", tm.aT, map[string]any{"member_ids": []string{tm.a.ID}}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")

		// B is offline: the messages wait, counted as unread.
		first := sendRoom(t, srv, tm.aT, room, "Can you take the 3 pm call?", "r-1").Want(t, http.StatusCreated)
		sendRoom(t, srv, tm.aT, room, "It is the Schmidt order", "r-2").Want(t, http.StatusCreated)
		repeat := sendRoom(t, srv, tm.aT, room, "Can you take the 3 pm call?", "r-1").Want(t, http.StatusOK)
		if repeat.String("message", "id") != first.String("message", "id") || repeat.Path("message", "seq") != float64(1) {
			t.Fatalf("a repeat: %s, want the original %s", repeat.Raw, first.Raw)
		}
		sendRoom(t, srv, tm.aT, room, "", "r-3").WantError(t, http.StatusUnprocessableEntity, "message_empty")
		sendRoom(t, srv, tm.aT, room, strings.Repeat("x", 5001), "r-3").WantError(t, http.StatusUnprocessableEntity, "message_too_long")
		sendRoom(t, srv, tm.aT, room, "hi", "").WantError(t, http.StatusUnprocessableEntity, "invalid_client_msg_id")
		if n := unreadIn(t, srv, tm.bT, room); n != 2 {
			t.Fatalf("B has %v unread, want 2", n)
		}
		if n := unreadIn(t, srv, tm.aT, room); n != 0 {
			t.Fatalf("the author has %v unread, want 0", n)
		}
		msgs := srv.Do("GET", roomPath(room, "/messages?after=1"), tm.bT, nil).Want(t, http.StatusOK).List("messages")
		if len(msgs) != 1 || msgs[0].(map[string]any)["body"] != "It is the Schmidt order" {
			t.Fatalf("after=1: %v", msgs)
		}
		read := srv.Do("POST", roomPath(room, "/read"), tm.bT, map[string]any{"seq": 2}).Want(t, http.StatusOK)
		if read.Path("room", "unread") != float64(0) || unreadIn(t, srv, tm.bT, room) != 0 {
			t.Fatalf("after reading: %s", read.Raw)
		}
		srv.Do("POST", roomPath(room, "/read"), tm.bT, map[string]any{}).WantError(t, http.StatusUnprocessableEntity, "invalid_field")

		// Nobody else can read, write or even find the room.
		for _, token := range []string{tm.cT, tm.adminT, tm.outsiderT} {
			srv.Do("GET", roomPath(room), token, nil).WantError(t, http.StatusNotFound, "not_found")
			srv.Do("GET", roomPath(room, "/messages"), token, nil).WantError(t, http.StatusNotFound, "not_found")
			sendRoom(t, srv, token, room, "let me in", "x-1").WantError(t, http.StatusNotFound, "not_found")
			srv.Do("POST", roomPath(room, "/read"), token, map[string]any{"seq": 1}).WantError(t, http.StatusNotFound, "not_found")
		}
		srv.Do("POST", roomPath(room, "/leave"), tm.aT, nil).WantError(t, http.StatusUnprocessableEntity, "direct_room")

		// A group: its creator is its admin and manages the members.
		group := srv.Do("POST", "/api/v1/rooms", tm.aT, map[string]any{"name": "Refunds", "member_ids": []string{tm.b.ID}}).Want(t, http.StatusCreated)
		g := group.String("room", "id")
		if group.String("room", "kind") != "group" || group.String("room", "name") != "Refunds" {
			t.Fatalf("group: %s", group.Raw)
		}
		srv.Do("POST", roomPath(g, "/members"), tm.bT, map[string]any{"operator_id": tm.c.ID}).WantError(t, http.StatusForbidden, "forbidden")
		srv.Do("POST", roomPath(g, "/members"), tm.aT, map[string]any{"operator_id": tm.outsider.ID}).WantError(t, http.StatusUnprocessableEntity, "unknown_operator")
		added := srv.Do("POST", roomPath(g, "/members"), tm.aT, map[string]any{"operator_id": tm.c.ID}).Want(t, http.StatusOK)
		if len(added.List("room", "members")) != 3 {
			t.Fatalf("after adding C: %s", added.Raw)
		}
		srv.Do("GET", roomPath(g), tm.cT, nil).Want(t, http.StatusOK)
		srv.Do("PATCH", roomPath(g, "/members/"+tm.b.ID), tm.bT, map[string]any{"admin": true}).WantError(t, http.StatusForbidden, "forbidden")
		srv.Do("PATCH", roomPath(g, "/members/"+tm.a.ID), tm.aT, map[string]any{"admin": false}).WantError(t, http.StatusConflict, "conflict")
		srv.Do("PATCH", roomPath(g, "/members/"+tm.b.ID), tm.aT, map[string]any{"admin": true}).Want(t, http.StatusOK)
		srv.Do("DELETE", roomPath(g, "/members/"+tm.c.ID), tm.bT, nil).Want(t, http.StatusNoContent)
		srv.Do("GET", roomPath(g), tm.cT, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("DELETE", roomPath(g, "/members/"+tm.c.ID), tm.bT, nil).WantError(t, http.StatusNotFound, "not_found")
		// Members may leave; the room stays with the others.
		srv.Do("POST", roomPath(g, "/leave"), tm.bT, nil).Want(t, http.StatusNoContent)
		left := srv.Do("GET", roomPath(g), tm.aT, nil).Want(t, http.StatusOK)
		if len(left.List("room", "members")) != 1 {
			t.Fatalf("after B left: %s", left.Raw)
		}
		rooms := srv.Do("GET", "/api/v1/rooms", tm.bT, nil).Want(t, http.StatusOK).List("rooms")
		if len(rooms) != 1 || rooms[0].(map[string]any)["id"] != room {
			t.Fatalf("B's rooms: %v", rooms)
		}
	})
}

// Room messages go live to the room's members and to nobody else.
func TestRoomMessagesReachMembersOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		tm := newTeam(t, srv)
		private := srv.Do("POST", "/api/v1/rooms", tm.aT, map[string]any{"member_ids": []string{tm.b.ID}}).Want(t, http.StatusCreated).String("room", "id")
		b := srv.DialOperator(tm.bT)
		c := srv.DialOperator(tm.cT)
		admin := srv.DialOperator(tm.adminT)

		sendRoom(t, srv, tm.aT, private, "just between us", "p-1").Want(t, http.StatusCreated)
		f := b.Next("room_message")
		if testutil.Field(f, "message", "body") != "just between us" || testutil.Field(f, "message", "room_id") != private ||
			testutil.Field(f, "message", "author", "id") != tm.a.ID {
			t.Fatalf("B's frame: %v", f)
		}

		// Then a group with C and the admin: the first room frames and room messages they see
		// are the group's, so the private one never reached them.
		group := srv.Do("POST", "/api/v1/rooms", tm.aT, map[string]any{"name": "All hands", "member_ids": []string{tm.c.ID, tm.admin.ID}}).
			Want(t, http.StatusCreated).String("room", "id")
		sendRoom(t, srv, tm.aT, group, "hello all", "g-1").Want(t, http.StatusCreated)
		for name, s := range map[string]*testutil.Socket{"C": c, "the admin": admin} {
			if f := s.Next("room"); f["event"] != "created" || testutil.Field(f, "room", "id") != group {
				t.Fatalf("%s's first room frame: %v", name, f)
			}
			if f := s.Next("room_message"); testutil.Field(f, "message", "room_id") != group {
				t.Fatalf("%s received a message of a room they are not in: %v", name, f)
			}
		}
		// Taking C out tells C (so the console drops the room), and C hears no more of it.
		srv.Do("DELETE", roomPath(group, "/members/"+tm.c.ID), tm.aT, nil).Want(t, http.StatusNoContent)
		f = c.Next("room")
		for _, m := range testutil.Field(f, "room", "members").([]any) {
			if m.(map[string]any)["id"] == tm.c.ID {
				t.Fatalf("the frame after C's removal still lists C: %v", f)
			}
		}
		sendRoom(t, srv, tm.aT, group, "C is gone", "g-2").Want(t, http.StatusCreated)
		sendRoom(t, srv, tm.aT, private, "are you there?", "p-2").Want(t, http.StatusCreated)
		direct := srv.Do("POST", "/api/v1/rooms", tm.bT, map[string]any{"member_ids": []string{tm.c.ID}}).Want(t, http.StatusCreated).String("room", "id")
		sendRoom(t, srv, tm.bT, direct, "C, a word?", "d-1").Want(t, http.StatusCreated)
		if f := c.Next("room_message"); testutil.Field(f, "message", "room_id") != direct {
			t.Fatalf("C received %v, want only the message of its own room", f)
		}
	})
}

func closeChat(t *testing.T, srv *testutil.Server, token, conv string) {
	t.Helper()
	srv.Do("POST", "/api/v1/conversations/"+conv+"/close", token, nil).Want(t, http.StatusOK)
}

func historyIDs(t *testing.T, srv *testutil.Server, token, query string) []string {
	t.Helper()
	res := srv.Do("GET", "/api/v1/history?"+query, token, nil).Want(t, http.StatusOK)
	var ids []string
	for _, r := range res.List("results") {
		ids = append(ids, testutil.Field(r.(map[string]any), "conversation", "id").(string))
	}
	return ids
}

func TestHistorySearchAndFilters(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		tm := newTeam(t, srv) // tm.chat is a's
		operatorSend(t, srv, tm.aT, tm.chat, "Your Zeppelin model ships on Monday.").Want(t, http.StatusCreated)
		category := srv.Do("POST", "/api/v1/categories", tm.adminT, map[string]string{"name": "Orders", "email": "orders@shop.example"}).
			Want(t, http.StatusCreated).String("category", "id")
		srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/close", tm.aT, map[string]string{"category_id": category}).Want(t, http.StatusOK)

		otherVisitor, otherVisitorID := srv.Visitor(tm.acc, "https://shop.example/boats")
		boats := srv.StartChat(otherVisitor, "Do you sell submarines?")
		srv.Do("POST", "/api/v1/conversations/"+boats+"/claim", tm.bT, nil).Want(t, http.StatusOK)
		operatorSend(t, srv, tm.bT, boats, "Only a yellow submarine, and a zeppelin poster.").Want(t, http.StatusCreated)
		closeChat(t, srv, tm.bT, boats)

		// Open chats are not history, whatever they say.
		open := srv.StartChat(tm.visitorT, "zeppelin zeppelin")
		srv.Do("POST", "/api/v1/conversations/"+open+"/claim", tm.cT, nil).Want(t, http.StatusOK)
		// Another account's closed chat with the same word.
		theirVisitor, _ := srv.Visitor(tm.outsiderAcc, "https://elsewhere.example/")
		theirs := srv.StartChat(theirVisitor, "Is the zeppelin still for sale?")
		srv.Do("POST", "/api/v1/conversations/"+theirs+"/claim", tm.outsiderT, nil).Want(t, http.StatusOK)
		closeChat(t, srv, tm.outsiderT, theirs)

		created := srv.Do("GET", "/api/v1/conversations/"+tm.chat, tm.adminT, nil).Want(t, http.StatusOK).String("conversation", "created_at")
		at, err := time.Parse(time.RFC3339, created)
		if err != nil {
			t.Fatal(err)
		}
		day := at.UTC().Format(time.DateOnly)
		before := at.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		after := at.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		q := url.QueryEscape
		cases := []struct {
			who, token, query string
			want              []string
		}{
			{"admin", tm.adminT, "", []string{boats, tm.chat}},
			{"admin", tm.adminT, "q=" + q("ZEPPELIN"), []string{boats, tm.chat}},
			{"admin", tm.adminT, "q=" + q("zeppelin model"), []string{tm.chat}},
			{"admin", tm.adminT, "q=" + q("yellow, submarine!"), []string{boats}},
			{"admin", tm.adminT, "q=piano", nil},
			{"admin", tm.adminT, "operator_id=" + tm.b.ID, []string{boats}},
			{"admin", tm.adminT, "visitor_id=" + otherVisitorID, []string{boats}},
			{"admin", tm.adminT, "category_id=" + category, []string{tm.chat}},
			{"admin", tm.adminT, "category_id=" + category + "&q=submarine", nil},
			{"admin", tm.adminT, "from=" + day + "&to=" + day, []string{boats, tm.chat}},
			{"admin", tm.adminT, "from=" + after, nil},
			{"admin", tm.adminT, "to=" + before, nil},
			{"admin", tm.adminT, "to=" + q(at.Add(-time.Second).Format(time.RFC3339)), nil},
			{"admin", tm.adminT, "account_id=" + tm.acc.ID + "&q=zeppelin&operator_id=" + tm.a.ID, []string{tm.chat}},
			{"agent a", tm.aT, "", []string{tm.chat}},
			{"agent a", tm.aT, "q=submarine", nil},
			{"agent b", tm.bT, "q=zeppelin", []string{boats}},
			{"agent c", tm.cT, "q=zeppelin", nil},
			{"another account's admin", tm.outsiderT, "q=zeppelin", []string{theirs}},
		}
		for _, tc := range cases {
			if got := historyIDs(t, srv, tc.token, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %q: got %v, want %v", tc.who, tc.query, got, tc.want)
			}
		}

		res := srv.Do("GET", "/api/v1/history?q=submarine", tm.adminT, nil).Want(t, http.StatusOK)
		if s := testutil.Field(res.List("results")[0].(map[string]any), "snippet"); s != "Do you sell submarines?" && s != "Only a yellow submarine, and a zeppelin poster." {
			t.Fatalf("snippet %q", s)
		}
		if s := testutil.Field(res.List("results")[0].(map[string]any), "snippet"); !strings.Contains(strings.ToLower(s.(string)), "submarine") {
			t.Fatalf("the snippet %q does not show the word", s)
		}

		// Pages follow each other without a gap or a repeat.
		page1 := srv.Do("GET", "/api/v1/history?limit=1", tm.adminT, nil).Want(t, http.StatusOK)
		cursor := page1.String("next_cursor")
		if len(page1.List("results")) != 1 || cursor == "" {
			t.Fatalf("page 1: %s", page1.Raw)
		}
		page2 := srv.Do("GET", "/api/v1/history?limit=1&cursor="+q(cursor), tm.adminT, nil).Want(t, http.StatusOK)
		if got := testutil.Field(page2.List("results")[0].(map[string]any), "conversation", "id"); got != tm.chat || page2.String("next_cursor") != "" {
			t.Fatalf("page 2: %s", page2.Raw)
		}

		for _, bad := range []string{"from=yesterday", "to=2025-13-01", "from=2025-02-02&to=2025-02-01", "limit=0", "limit=101",
			"cursor=bm9wZQ", "q=" + strings.Repeat("a", 201), "q=" + strings.Repeat("a+", 11)} {
			srv.Do("GET", "/api/v1/history?"+bad, tm.adminT, nil).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		}
		// An account the caller does not work for is not found, not empty.
		srv.Do("GET", "/api/v1/history?account_id="+tm.acc.ID, tm.outsiderT, nil).WantError(t, http.StatusNotFound, "not_found")
		srv.Do("GET", "/api/v1/history", "", nil).WantError(t, http.StatusUnauthorized, "unauthorized")
	})
}

// A portal's admins find their advertisers' closed chats; the advertiser's admin only its own.
func TestHistoryOfAPortal(t *testing.T) {
	srv := testutil.NewServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	adv := srv.Account(domain.KindAdvertiser, portal, "agency-1")
	other := srv.Account(domain.KindAdvertiser, portal, "agency-2")
	_, portalAdmin := srv.Operator(portal, domain.RoleAdmin)
	_, advAdmin := srv.Operator(adv, domain.RoleAdmin)
	_, otherAgent := srv.Operator(other, domain.RoleAgent)
	vt, _ := srv.Visitor(portal, "https://portal.example/flat-1")
	res := srv.Do("POST", "/api/v1/widget/conversations", vt, map[string]any{"advertiser": "agency-1",
		"message": map[string]string{"body": "Is the flat with the balcony free?", "client_msg_id": "s-1"}}).Want(t, http.StatusCreated)
	id := res.String("conversation", "id")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", advAdmin, nil).Want(t, http.StatusOK)
	closeChat(t, srv, advAdmin, id)

	if got := historyIDs(t, srv, portalAdmin, "q=balcony"); !slices.Equal(got, []string{id}) {
		t.Fatalf("the portal admin finds %v", got)
	}
	if got := historyIDs(t, srv, portalAdmin, "q=balcony&account_id="+adv.ID); !slices.Equal(got, []string{id}) {
		t.Fatalf("the portal admin, one advertiser: %v", got)
	}
	if got := historyIDs(t, srv, portalAdmin, "q=balcony&account_id="+other.ID); len(got) != 0 {
		t.Fatalf("the portal admin, another advertiser: %v", got)
	}
	if got := historyIDs(t, srv, advAdmin, "q=balcony"); !slices.Equal(got, []string{id}) {
		t.Fatalf("the advertiser's admin finds %v", got)
	}
	if got := historyIDs(t, srv, otherAgent, "q=balcony"); len(got) != 0 {
		t.Fatalf("another advertiser's agent finds %v", got)
	}
	srv.Do("GET", "/api/v1/conversations/"+id+"/export", portalAdmin, nil).Want(t, http.StatusOK)
	srv.Do("GET", "/api/v1/conversations/"+id+"/export", otherAgent, nil).WantError(t, http.StatusNotFound, "not_found")
}

func TestExportTranscript(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		tm := newTeam(t, srv)
		hostile := "=cmd|' /C calc'!A0"
		for _, body := range []string{hostile, "+1 555 0100", "-2 items", "@SUM(A1)", "Price: €40, \"boxed\"\nsecond line"} {
			srv.Do("POST", "/api/v1/widget/conversations/"+tm.chat+"/messages", tm.visitorT, map[string]string{"body": body, "client_msg_id": "v-" + domain.NewSecret(4)}).
				Want(t, http.StatusCreated)
		}
		operatorSend(t, srv, tm.aT, tm.chat, "Noted.").Want(t, http.StatusCreated)
		// C is invited and leaves again: C took part, and keeps the transcript.
		srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/invite", tm.aT, map[string]string{"operator_id": tm.c.ID}).Want(t, http.StatusOK)
		srv.Do("POST", "/api/v1/conversations/"+tm.chat+"/leave", tm.cT, nil).Want(t, http.StatusOK)
		closeChat(t, srv, tm.aT, tm.chat)
		path := "/api/v1/conversations/" + tm.chat + "/export"

		res := srv.Do("GET", path+"?format=json", tm.aT, nil).Want(t, http.StatusOK)
		if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="conversation-`+tm.chat+`.json"` {
			t.Fatalf("Content-Disposition %q", cd)
		}
		var doc struct {
			Conversation domain.Conversation `json:"conversation"`
			Messages     []domain.Message    `json:"messages"`
		}
		if err := json.Unmarshal(res.Raw, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Conversation.ID != tm.chat || len(doc.Messages) != 9 || doc.Messages[1].Body != hostile {
			t.Fatalf("JSON export: %s", res.Raw)
		}

		res = srv.Do("GET", path+"?format=csv", tm.adminT, nil).Want(t, http.StatusOK)
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("Content-Type %q", ct)
		}
		if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="conversation-`+tm.chat+`.csv"` {
			t.Fatalf("Content-Disposition %q", cd)
		}
		rows, err := csv.NewReader(strings.NewReader(string(res.Raw))).ReadAll()
		if err != nil {
			t.Fatalf("the CSV does not parse: %v\n%s", err, res.Raw)
		}
		if len(rows) != 10 || strings.Join(rows[0], ",") != "seq,time,author_type,author_name,body" {
			t.Fatalf("CSV rows: %q", rows)
		}
		bodies := []string{}
		for _, r := range rows[1:] {
			bodies = append(bodies, r[4])
		}
		want := []string{"I need help with my order", "'" + hostile, "'+1 555 0100", "'-2 items", "'@SUM(A1)", "Price: €40, \"boxed\"\nsecond line", "Noted.",
			tm.c.Name + " joined the chat", tm.c.Name + " left the chat"}
		if !slices.Equal(bodies, want) {
			t.Fatalf("CSV bodies %q, want %q", bodies, want)
		}
		if rows[2][0] != "2" || rows[2][2] != "visitor" || rows[7][2] != "operator" || rows[7][3] != tm.a.Name || rows[9][2] != "system" {
			t.Fatalf("CSV columns: %q", rows)
		}

		// Who may export: the admin and agents who took part; others are not told it exists.
		for _, tc := range []struct {
			who, token string
			status     int
		}{
			{"admin", tm.adminT, http.StatusOK},
			{"the agent who answered", tm.aT, http.StatusOK},
			{"an agent who was invited and left", tm.cT, http.StatusOK},
			{"an agent who was not in it", tm.bT, http.StatusNotFound},
			{"another account's admin", tm.outsiderT, http.StatusNotFound},
		} {
			for _, format := range []string{"json", "csv"} {
				if got := srv.Do("GET", path+"?format="+format, tc.token, nil); got.Status != tc.status {
					t.Errorf("%s, %s: status %d, want %d: %s", tc.who, format, got.Status, tc.status, got.Raw)
				}
			}
		}
		srv.Do("GET", path+"?format=xml", tm.adminT, nil).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
		srv.Do("GET", "/api/v1/conversations/nope/export", tm.adminT, nil).WantError(t, http.StatusNotFound, "not_found")
	})
}
