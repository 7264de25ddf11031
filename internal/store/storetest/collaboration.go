package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

func systemNote(body, clientID string) *domain.Message {
	return &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorSystem}, Body: body,
		ClientMsgID: clientID, CreatedAt: time.Now().UTC()}
}

func participantIDs(c *domain.Conversation) []string {
	var ids []string
	for _, p := range c.Participants {
		ids = append(ids, p.ID)
	}
	return ids
}

func claimed(t testing.TB, s store.Store, f *fixture, by *domain.Operator) *domain.Conversation {
	t.Helper()
	c := startConversation(t, s, f)
	if _, err := s.ClaimConversation(ctx, c.ID, by.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	return c
}

func testTransfer(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := claimed(t, s, f, f.admin)
	tr := &domain.Transfer{ID: domain.NewID(), ConversationID: c.ID, From: &domain.Person{ID: f.admin.ID}, To: domain.Person{ID: f.agent.ID},
		By: domain.Person{ID: f.admin.ID}, Note: "VIP, be nice", CreatedAt: time.Now().UTC()}
	got, added, err := s.TransferConversation(ctx, tr, []*domain.Message{
		systemNote("Agent joined the chat", "join-"+tr.ID), systemNote("Admin left the chat", "leave-"+tr.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if got.OwnerID != f.agent.ID || got.Status != domain.ConversationActive || !slices.Equal(participantIDs(got), []string{f.agent.ID}) {
		t.Fatalf("after the transfer: owner %s, participants %v", got.OwnerID, participantIDs(got))
	}
	if len(added) != 2 || added[0].Seq != 2 || added[1].Seq != 3 || added[0].Author.Type != domain.AuthorSystem || got.LastSeq != 3 {
		t.Fatalf("system messages: %+v, last_seq %d", added, got.LastSeq)
	}
	// The former owner took part, and still did after leaving.
	for _, op := range []*domain.Operator{f.admin, f.agent} {
		if took, err := s.OperatorTookPart(ctx, c.ID, op.ID); err != nil || !took {
			t.Fatalf("OperatorTookPart(%s) = %v, %v", op.Role, took, err)
		}
	}
	if took, _ := s.OperatorTookPart(ctx, c.ID, newOperator(t, s, f.account.ID, domain.RoleAgent).ID); took {
		t.Fatal("an operator who never took part is said to have")
	}
	list, err := s.ListTransfers(ctx, c.ID)
	if err != nil || len(list) != 1 || list[0].Note != "VIP, be nice" || list[0].From == nil || list[0].From.ID != f.admin.ID ||
		list[0].To.ID != f.agent.ID || list[0].To.Name != f.agent.Name || list[0].By.ID != f.admin.ID {
		t.Fatalf("ListTransfers = %+v, %v", list, err)
	}

	// A second transfer that still thinks the admin owns the chat lost the race.
	stale := *tr
	stale.ID, stale.To = domain.NewID(), domain.Person{ID: f.admin.ID}
	if _, _, err := s.TransferConversation(ctx, &stale, nil); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale transfer: err = %v, want ErrConflict", err)
	}
	waiting := startConversation(t, s, f)
	tr2 := &domain.Transfer{ID: domain.NewID(), ConversationID: waiting.ID, To: domain.Person{ID: f.agent.ID}, By: domain.Person{ID: f.admin.ID}, CreatedAt: time.Now()}
	if _, _, err := s.TransferConversation(ctx, tr2, nil); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("transfer of a waiting chat: err = %v, want ErrConflict", err)
	}
	if _, err := s.CloseConversation(ctx, c.ID, "", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	back := &domain.Transfer{ID: domain.NewID(), ConversationID: c.ID, From: &domain.Person{ID: f.agent.ID}, To: domain.Person{ID: f.admin.ID}, By: domain.Person{ID: f.agent.ID}, CreatedAt: time.Now()}
	if _, _, err := s.TransferConversation(ctx, back, nil); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("transfer of a closed chat: err = %v, want ErrClosed", err)
	}
	if _, _, err := s.TransferConversation(ctx, &domain.Transfer{ID: domain.NewID(), ConversationID: "nope", To: domain.Person{ID: f.agent.ID}, By: domain.Person{ID: f.admin.ID}, CreatedAt: time.Now()}, nil); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("transfer of a missing chat: err = %v, want ErrNotFound", err)
	}
}

func testInviteAndLeave(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	third := newOperator(t, s, f.account.ID, domain.RoleAgent)
	c := claimed(t, s, f, f.admin)

	got, added, err := s.AddParticipant(ctx, c.ID, f.agent.ID, time.Now(), systemNote("Agent joined the chat", "join-1"))
	if err != nil || len(added) != 1 || added[0].Seq != 2 {
		t.Fatalf("AddParticipant = %v, %+v", err, added)
	}
	if got.OwnerID != f.admin.ID || !slices.Equal(participantIDs(got), []string{f.admin.ID, f.agent.ID}) {
		t.Fatalf("after the invitation: owner %s, participants %v", got.OwnerID, participantIDs(got))
	}
	// Inviting someone who is there already changes nothing and says nothing.
	if got, added, err = s.AddParticipant(ctx, c.ID, f.agent.ID, time.Now(), systemNote("Agent joined the chat", "join-2")); err != nil || len(added) != 0 || got.LastSeq != 2 {
		t.Fatalf("second invitation: %v, %+v, last_seq %d", err, added, got.LastSeq)
	}
	if _, _, err := s.AddParticipant(ctx, c.ID, third.ID, time.Now().Add(time.Millisecond), systemNote("Third joined the chat", "join-3")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RemoveParticipant(ctx, c.ID, newOperator(t, s, f.account.ID, domain.RoleAgent).ID, time.Now(), nil); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("an outsider leaves: err = %v, want ErrForbidden", err)
	}

	// The owner leaves: the chat goes to whoever has been in it longest.
	got, added, err = s.RemoveParticipant(ctx, c.ID, f.admin.ID, time.Now(), systemNote("Admin left the chat", "leave-1"))
	if err != nil || len(added) != 1 {
		t.Fatalf("RemoveParticipant = %v, %+v", err, added)
	}
	if got.OwnerID != f.agent.ID || got.Status != domain.ConversationActive || !slices.Equal(participantIDs(got), []string{f.agent.ID, third.ID}) {
		t.Fatalf("after the owner left: owner %s, participants %v", got.OwnerID, participantIDs(got))
	}
	// A participant who is not the owner leaves: nothing else changes.
	if got, _, err = s.RemoveParticipant(ctx, c.ID, third.ID, time.Now(), nil); err != nil || got.OwnerID != f.agent.ID {
		t.Fatalf("third leaves: %v, owner %s", err, got.OwnerID)
	}
	// The last one leaves: the chat waits again for anyone to claim it.
	got, _, err = s.RemoveParticipant(ctx, c.ID, f.agent.ID, time.Now(), systemNote("Agent left the chat", "leave-2"))
	if err != nil || got.Status != domain.ConversationWaiting || got.OwnerID != "" || got.Owner != nil || len(got.Participants) != 0 {
		t.Fatalf("after the last left: %v, %+v", err, got)
	}
	if _, err := s.ClaimConversation(ctx, c.ID, third.ID, time.Now()); err != nil {
		t.Fatalf("claim after everyone left: %v", err)
	}
	if _, _, err := s.AddParticipant(ctx, startConversation(t, s, f).ID, f.agent.ID, time.Now(), nil); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("invitation into a waiting chat: err = %v, want ErrConflict", err)
	}
	msgs, err := s.MessagesAfter(ctx, c.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, fmt.Sprint(m.Seq, " ", m.Body))
	}
	want := []string{"1 hello", "2 Agent joined the chat", "3 Third joined the chat", "4 Admin left the chat", "5 Agent left the chat"}
	if !slices.Equal(bodies, want) {
		t.Fatalf("messages %q, want %q", bodies, want)
	}
}

func testRooms(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	third := newOperator(t, s, f.account.ID, domain.RoleAgent)
	now := time.Now().UTC()
	direct := &domain.Room{ID: domain.NewID(), AccountID: f.account.ID, Kind: domain.RoomDirect, CreatedBy: f.admin.ID, CreatedAt: now,
		Members: []domain.RoomMember{{ID: f.admin.ID}, {ID: f.agent.ID}}}
	if err := s.CreateRoom(ctx, direct); err != nil {
		t.Fatal(err)
	}
	again := &domain.Room{ID: domain.NewID(), AccountID: f.account.ID, Kind: domain.RoomDirect, CreatedBy: f.agent.ID, CreatedAt: now,
		Members: []domain.RoomMember{{ID: f.agent.ID}, {ID: f.admin.ID}}}
	if err := s.CreateRoom(ctx, again); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second direct room between the same two: err = %v, want ErrConflict", err)
	}
	if found, err := s.DirectRoom(ctx, f.agent.ID, f.admin.ID); err != nil || found.ID != direct.ID || len(found.Members) != 2 {
		t.Fatalf("DirectRoom = %+v, %v", found, err)
	}
	if _, err := s.DirectRoom(ctx, f.agent.ID, third.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("DirectRoom with nobody: err = %v", err)
	}
	if _, err := s.RoomFor(ctx, direct.ID, third.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("RoomFor a non-member: err = %v, want ErrNotFound", err)
	}

	// The admin writes twice while the agent is away: two unread for the agent, none for the admin.
	for i := 1; i <= 2; i++ {
		m := &domain.RoomMessage{ID: domain.NewID(), RoomID: direct.ID, Author: domain.Author{ID: f.admin.ID, Name: f.admin.Name},
			Body: fmt.Sprint("note ", i), ClientMsgID: fmt.Sprint("n", i), CreatedAt: time.Now().UTC()}
		stored, created, err := s.AppendRoomMessage(ctx, m)
		if err != nil || !created || stored.Seq != int64(i) {
			t.Fatalf("AppendRoomMessage %d = %+v, %v, %v", i, stored, created, err)
		}
	}
	dup := &domain.RoomMessage{ID: domain.NewID(), RoomID: direct.ID, Author: domain.Author{ID: f.admin.ID}, Body: "note 2", ClientMsgID: "n2", CreatedAt: now}
	if stored, created, err := s.AppendRoomMessage(ctx, dup); err != nil || created || stored.Seq != 2 {
		t.Fatalf("repeat = %+v, %v, %v; want the original", stored, created, err)
	}
	outsider := &domain.RoomMessage{ID: domain.NewID(), RoomID: direct.ID, Author: domain.Author{ID: third.ID}, Body: "hi", ClientMsgID: "x", CreatedAt: now}
	if _, _, err := s.AppendRoomMessage(ctx, outsider); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a non-member writes: err = %v, want ErrNotFound", err)
	}
	agentView, err := s.RoomFor(ctx, direct.ID, f.agent.ID)
	if err != nil || agentView.Unread != 2 || agentView.LastSeq != 2 || agentView.LastMessage == nil || agentView.LastMessage.Body != "note 2" {
		t.Fatalf("the agent's view: %+v, %v", agentView, err)
	}
	if adminView, _ := s.RoomFor(ctx, direct.ID, f.admin.ID); adminView.Unread != 0 || adminView.LastReadSeq != 2 {
		t.Fatalf("the author's view: unread %d, read up to %d", adminView.Unread, adminView.LastReadSeq)
	}
	if err := s.MarkRoomRead(ctx, direct.ID, f.agent.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRoomRead(ctx, direct.ID, f.agent.ID, 99); err != nil { // beyond the end: up to the end
		t.Fatal(err)
	}
	if err := s.MarkRoomRead(ctx, direct.ID, f.agent.ID, 1); err != nil { // never backwards
		t.Fatal(err)
	}
	if v, _ := s.RoomFor(ctx, direct.ID, f.agent.ID); v.Unread != 0 || v.LastReadSeq != 2 {
		t.Fatalf("after reading: unread %d, read up to %d", v.Unread, v.LastReadSeq)
	}
	if err := s.MarkRoomRead(ctx, direct.ID, third.ID, 1); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a non-member marks read: err = %v", err)
	}
	msgs, err := s.RoomMessagesAfter(ctx, direct.ID, 1, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Body != "note 2" || msgs[0].Author.Type != domain.AuthorOperator {
		t.Fatalf("RoomMessagesAfter = %+v, %v", msgs, err)
	}

	// A group: the creator is its admin; members come and go; the last admin leaving
	// leaves the longest member in charge.
	group := &domain.Room{ID: domain.NewID(), AccountID: f.account.ID, Kind: domain.RoomGroup, Name: "Night shift", CreatedBy: f.admin.ID,
		CreatedAt: now, Members: []domain.RoomMember{{ID: f.admin.ID, Admin: true}, {ID: f.agent.ID}}}
	if err := s.CreateRoom(ctx, group); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoomMember(ctx, group.ID, third.ID, false, now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRoomMember(ctx, group.ID, third.ID, true, now.Add(2*time.Second)); err != nil { // already there: unchanged
		t.Fatal(err)
	}
	g, err := s.RoomFor(ctx, group.ID, third.ID)
	if err != nil || len(g.Members) != 3 || g.Member(third.ID).Admin || !g.Member(f.admin.ID).Admin || g.Name != "Night shift" {
		t.Fatalf("the group: %+v, %v", g, err)
	}
	if err := s.SetRoomAdmin(ctx, group.ID, third.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRoomAdmin(ctx, group.ID, "nobody", true); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("SetRoomAdmin of a non-member: err = %v", err)
	}
	if err := s.RemoveRoomMember(ctx, group.ID, f.admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveRoomMember(ctx, group.ID, third.ID); err != nil {
		t.Fatal(err)
	}
	if g, _ = s.RoomFor(ctx, group.ID, f.agent.ID); len(g.Members) != 1 || !g.Members[0].Admin {
		t.Fatalf("after the admins left: %+v", g.Members)
	}
	if err := s.RemoveRoomMember(ctx, group.ID, third.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("removing a non-member: err = %v", err)
	}
	rooms, err := s.ListRooms(ctx, f.agent.ID)
	if err != nil || len(rooms) != 2 {
		t.Fatalf("ListRooms = %+v, %v", rooms, err)
	}
	if rooms, _ := s.ListRooms(ctx, f.admin.ID); len(rooms) != 1 || rooms[0].ID != direct.ID {
		t.Fatalf("the admin's rooms after leaving the group: %+v", rooms)
	}
}

func testHistorySearch(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	day := func(d int) time.Time { return time.Date(2025, 3, d, 12, 0, 0, 0, time.UTC) }
	chat := func(fx *fixture, at time.Time, by *domain.Operator, category string, bodies ...string) *domain.Conversation {
		t.Helper()
		c := &domain.Conversation{ID: domain.NewID(), AccountID: fx.account.ID, VisitorID: fx.visitor.ID, CreatedAt: at}
		if err := s.CreateConversation(ctx, c, visitorMessage(fx.visitor, bodies[0], "first-"+c.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ClaimConversation(ctx, c.ID, by.ID, at); err != nil {
			t.Fatal(err)
		}
		for i, b := range bodies[1:] {
			m := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorOperator, ID: by.ID},
				Body: b, ClientMsgID: fmt.Sprint("m", i), CreatedAt: at}
			if _, _, err := s.AppendMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CloseConversation(ctx, c.ID, category, at.Add(time.Hour), nil); err != nil {
			t.Fatal(err)
		}
		return c
	}
	vase := chat(f, day(1), f.admin, "", "Is the BLUE vase in stock?", "Yes, two left.")
	lamp := chat(f, day(2), f.agent, "cat-1", "Do you ship lamps abroad?", "We ship the blue lamp everywhere.")
	sofa := chat(f, day(3), f.admin, "", "Sofa colours?", "Grey and green.")
	otherVase := chat(other, day(2), other.admin, "", "The blue vase of another shop")
	open := startConversation(t, s, f) // never closed: never in the history
	still := visitorMessage(f.visitor, "blue vase blue lamp", "o1")
	still.ConversationID = open.ID
	if _, _, err := s.AppendMessage(ctx, still); err != nil {
		t.Fatal(err)
	}

	ids := func(hits []store.HistoryHit) []string {
		var out []string
		for _, h := range hits {
			out = append(out, h.Conversation.ID)
		}
		return out
	}
	search := func(fl store.HistoryFilter) []store.HistoryHit {
		t.Helper()
		if fl.AccountIDs == nil {
			fl.AccountIDs = []string{f.account.ID}
		}
		hits, err := s.SearchHistory(ctx, fl)
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	cases := []struct {
		name string
		f    store.HistoryFilter
		want []string
	}{
		{"everything, newest first", store.HistoryFilter{}, []string{sofa.ID, lamp.ID, vase.ID}},
		{"one word, any case", store.HistoryFilter{Words: []string{"Blue"}}, []string{lamp.ID, vase.ID}},
		{"all words in one message", store.HistoryFilter{Words: []string{"blue", "vase"}}, []string{vase.ID}},
		{"a word nobody wrote", store.HistoryFilter{Words: []string{"piano"}}, nil},
		{"from a day on", store.HistoryFilter{From: day(2)}, []string{sofa.ID, lamp.ID}},
		{"up to a time", store.HistoryFilter{To: day(2)}, []string{lamp.ID, vase.ID}},
		{"an operator's", store.HistoryFilter{OperatorID: f.agent.ID}, []string{lamp.ID}},
		{"what an agent took part in", store.HistoryFilter{TookPartIn: f.admin.ID}, []string{sofa.ID, vase.ID}},
		{"a category", store.HistoryFilter{CategoryID: "cat-1"}, []string{lamp.ID}},
		{"a visitor", store.HistoryFilter{VisitorID: f.visitor.ID, Words: []string{"ship"}}, []string{lamp.ID}},
		{"another visitor", store.HistoryFilter{VisitorID: other.visitor.ID}, nil},
		{"after a cursor", store.HistoryFilter{After: &store.HistoryCursor{CreatedAt: lamp.CreatedAt, ID: lamp.ID}}, []string{vase.ID}},
		{"a page", store.HistoryFilter{Limit: 2}, []string{sofa.ID, lamp.ID}},
		{"both accounts", store.HistoryFilter{AccountIDs: []string{f.account.ID, other.account.ID}, Words: []string{"vase"}}, []string{otherVase.ID, vase.ID}},
	}
	for _, tc := range cases {
		got := ids(search(tc.f))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}

	// The match is the message that holds the words, an operator's or visitor's first.
	hits := search(store.HistoryFilter{Words: []string{"ship"}})
	if len(hits) != 1 || hits[0].Match != "Do you ship lamps abroad?" {
		t.Fatalf("match: %+v", hits)
	}
	if hits := search(store.HistoryFilter{}); hits[0].Match != "Sofa colours?" {
		t.Fatalf("match without words: %q, want the first message", hits[0].Match)
	}
	if c := search(store.HistoryFilter{Words: []string{"lamps"}})[0].Conversation; c.Status != domain.ConversationClosed || c.Visitor.ID != f.visitor.ID {
		t.Fatalf("the conversation comes whole: %+v", c)
	}
	// Words that look like query syntax are searched for as words.
	for _, w := range []string{`"`, "OR", "NEAR", "*", "vase)"} {
		if _, err := s.SearchHistory(ctx, store.HistoryFilter{AccountIDs: []string{f.account.ID}, Words: []string{w}}); err != nil {
			t.Errorf("search for %q: %v", w, err)
		}
	}
}

// testConversationAccess follows a conversation through routing, a claim, an invitation, a
// departure and its close, and checks at each step that the lean access read says what the
// full read says about who may write in it and who hears of it.
func testConversationAccess(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	third := newOperator(t, s, f.account.ID, domain.RoleAgent)
	c := &domain.Conversation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID,
		RoutedTo: []string{f.agent.ID, third.ID}, CreatedAt: time.Now().UTC()}
	if err := s.CreateConversation(ctx, c, visitorMessage(f.visitor, "hello", "access-1")); err != nil {
		t.Fatal(err)
	}
	agree := func(step string) {
		t.Helper()
		full, err := s.ConversationByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		lean, err := s.ConversationAccess(ctx, c.ID)
		if err != nil {
			t.Fatalf("%s: ConversationAccess: %v", step, err)
		}
		want := fmt.Sprint(full.ID, full.AccountID, full.VisitorID, full.Status, full.OwnerID, sorted(participantIDs(full)), sorted(full.RoutedTo))
		got := fmt.Sprint(lean.ID, lean.AccountID, lean.VisitorID, lean.Status, lean.OwnerID, sorted(participantIDs(lean)), sorted(lean.RoutedTo))
		if got != want {
			t.Fatalf("%s: access read\n %s\nfull read\n %s", step, got, want)
		}
	}
	agree("waiting, routed to two")
	if _, err := s.ClaimConversation(ctx, c.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	agree("claimed")
	if _, _, err := s.AddParticipant(ctx, c.ID, third.ID, time.Now().Add(time.Millisecond), systemNote("Third joined the chat", "access-join")); err != nil {
		t.Fatal(err)
	}
	agree("with a second participant")
	if _, _, err := s.RemoveParticipant(ctx, c.ID, f.agent.ID, time.Now().Add(2*time.Millisecond), systemNote("Agent left the chat", "access-leave")); err != nil {
		t.Fatal(err)
	}
	agree("after the owner left")
	if _, err := s.CloseConversation(ctx, c.ID, "", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	agree("closed")
	if lean, _ := s.ConversationAccess(ctx, c.ID); lean.Status != domain.ConversationClosed || lean.OwnerID != third.ID {
		t.Fatalf("closed: %+v", lean)
	}
	if _, err := s.ConversationAccess(ctx, "missing"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing conversation: err = %v, want ErrNotFound", err)
	}
}

// testVisitorAndConversationAccess checks the read a visitor's message makes: the visitor of
// the token as VisitorByTokenHash reads it and the conversation as ConversationAccess does, each
// nil when missing, and another visitor's conversation read as it is (the caller refuses it).
func testVisitorAndConversationAccess(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f, f.agent.ID)
	if err := s.SetVisitorIdentity(ctx, f.visitor.ID, "Ann", "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	wantVisitor, err := s.VisitorByTokenHash(ctx, f.visitor.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	wantAccess, err := s.ConversationAccess(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	v, got, err := s.VisitorAndConversationAccess(ctx, f.visitor.TokenHash, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%+v", *v) != fmt.Sprintf("%+v", *wantVisitor) {
		t.Fatalf("visitor\n %+v\nwant\n %+v", *v, *wantVisitor)
	}
	if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *wantAccess) {
		t.Fatalf("access\n %+v\nwant\n %+v", *got, *wantAccess)
	}

	if v, got, err := s.VisitorAndConversationAccess(ctx, f.visitor.TokenHash, "missing"); err != nil || v == nil || got != nil {
		t.Fatalf("missing conversation: %v, %v, %v; want the visitor and no conversation", v, got, err)
	}
	if v, got, err := s.VisitorAndConversationAccess(ctx, "no-such-token", c.ID); err != nil || v != nil || got == nil {
		t.Fatalf("unknown token: %v, %v, %v; want no visitor", v, got, err)
	}
	other := newVisitor(t, s, f.account.ID)
	v, got, err = s.VisitorAndConversationAccess(ctx, other.TokenHash, c.ID)
	if err != nil || v == nil || v.ID != other.ID || got == nil || got.VisitorID != f.visitor.ID {
		t.Fatalf("another visitor's conversation: %v, %v, %v", v, got, err)
	}
}

func sorted(ids []string) []string {
	return slices.Sorted(slices.Values(ids))
}
