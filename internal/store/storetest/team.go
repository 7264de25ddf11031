package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

func testUpdateOperatorKeepsAnAdmin(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	agent := *f.agent
	agent.Name, agent.Email, agent.Phone, agent.TranscriptEmail = "Renamed", "New@Example.com", "+1 555 0100", "copies@example.com"
	agent.NotifyColleaguePickup, agent.AlertSound, agent.Role = true, false, domain.RoleAdmin
	if err := s.UpdateOperator(ctx, &agent); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.OperatorByID(ctx, agent.ID); got.Phone != "" || got.NotifyColleaguePickup {
		t.Fatalf("UpdateOperator changed the profile: %+v", got)
	}
	agent.Name = "Renamed"
	if err := s.UpdateOperatorProfile(ctx, &agent); err != nil {
		t.Fatal(err)
	}
	got, err := s.OperatorByEmail(ctx, "new@example.com")
	if err != nil || got.Name != "Renamed" || got.Role != domain.RoleAdmin || got.Phone != "+1 555 0100" ||
		got.TranscriptEmail != "copies@example.com" || !got.NotifyColleaguePickup || got.AlertSound {
		t.Fatalf("after UpdateOperator: %+v, %v", got, err)
	}

	// Two admins now: one may step down, the last may not.
	admin := *f.admin
	admin.Role = domain.RoleAgent
	if err := s.UpdateOperator(ctx, &admin); err != nil {
		t.Fatalf("demote one of two admins: %v", err)
	}
	agent.Role = domain.RoleAgent
	if err := s.UpdateOperator(ctx, &agent); !errors.Is(err, domain.ErrLastAdmin) {
		t.Fatalf("demote the last admin: err = %v, want ErrLastAdmin", err)
	}
	if got, _ := s.OperatorByID(ctx, agent.ID); got.Role != domain.RoleAdmin {
		t.Fatalf("the refused demotion changed the role to %s", got.Role)
	}

	admin.Email = agent.Email
	if err := s.UpdateOperator(ctx, &admin); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("e-mail of a colleague: err = %v, want ErrConflict", err)
	}
	other := newFixture(t, s)
	stranger := *other.agent
	stranger.AccountID = f.account.ID
	if err := s.UpdateOperator(ctx, &stranger); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("update through the wrong account: err = %v, want ErrNotFound", err)
	}
}

func testDeleteOperator(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	if _, err := s.ClaimConversation(ctx, c.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	reply := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorOperator, ID: f.agent.ID, Name: f.agent.Name},
		Body: "hi", ClientMsgID: "r1", CreatedAt: time.Now()}
	if _, _, err := s.AppendMessage(ctx, reply); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, hash := range []string{"h1-" + f.agent.ID, "h2-" + f.agent.ID} {
		if err := s.CreateSession(ctx, &domain.Session{TokenHash: hash, OperatorID: f.agent.ID, CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	rule := &domain.RoutingRule{ID: domain.NewID(), AccountID: f.account.ID, Pattern: "*", OperatorIDs: []string{f.agent.ID, f.admin.ID}, CreatedAt: now}
	if err := s.CreateRoutingRule(ctx, rule); err != nil {
		t.Fatal(err)
	}

	removal, err := s.DeleteOperator(ctx, f.agent.ID, now)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removal.SessionHashes)
	if !slices.Equal(removal.SessionHashes, []string{"h1-" + f.agent.ID, "h2-" + f.agent.ID}) || !slices.Equal(removal.Reopened, []string{c.ID}) {
		t.Fatalf("removal = %+v", removal)
	}
	if _, err := s.OperatorByID(ctx, f.agent.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted operator still found: %v", err)
	}
	if _, _, err := s.SessionByTokenHash(ctx, "h1-"+f.agent.ID, now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("session of a deleted operator: %v", err)
	}
	if list, _ := s.ListOperators(ctx, f.account.ID); len(list) != 1 || list[0].ID != f.admin.ID {
		t.Fatalf("ListOperators after delete: %+v", list)
	}
	got, err := s.ConversationByID(ctx, c.ID)
	if err != nil || got.Status != domain.ConversationWaiting || got.OwnerID != "" || got.Owner != nil || len(got.Participants) != 0 {
		t.Fatalf("the deleted operator's chat: %+v, %v", got, err)
	}
	msgs, _ := s.MessagesAfter(ctx, c.ID, 0, 10)
	if len(msgs) != 2 || msgs[1].Author.Name != f.agent.Name {
		t.Fatalf("history after delete: %+v", msgs)
	}
	if r, _ := s.RoutingRuleByID(ctx, rule.ID); !slices.Equal(r.OperatorIDs, []string{f.admin.ID}) {
		t.Fatalf("rule still routes to the deleted operator: %+v", r)
	}
	// The e-mail is free again.
	fresh := *f.agent
	fresh.ID = domain.NewID()
	if err := s.CreateOperator(ctx, &fresh); err != nil {
		t.Fatalf("reusing a deleted operator's e-mail: %v", err)
	}
	if _, err := s.DeleteOperator(ctx, f.agent.ID, now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
	if _, err := s.DeleteOperator(ctx, f.admin.ID, now); !errors.Is(err, domain.ErrLastAdmin) {
		t.Fatalf("deleting the last admin: err = %v, want ErrLastAdmin", err)
	}
}

func testOperatorSessions(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	now := time.Now()
	for _, hash := range []string{"keep-" + f.agent.ID, "end-" + f.agent.ID, "admin-" + f.admin.ID} {
		op := f.agent.ID
		if hash == "admin-"+f.admin.ID {
			op = f.admin.ID
		}
		if err := s.CreateSession(ctx, &domain.Session{TokenHash: hash, OperatorID: op, CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if all, err := s.OperatorSessions(ctx, f.agent.ID); err != nil || !slices.Equal(all, []string{"end-" + f.agent.ID, "keep-" + f.agent.ID}) {
		t.Fatalf("OperatorSessions = %v, %v", all, err)
	}
	ended, err := s.DeleteOperatorSessions(ctx, f.agent.ID, "keep-"+f.agent.ID)
	if err != nil || !slices.Equal(ended, []string{"end-" + f.agent.ID}) {
		t.Fatalf("DeleteOperatorSessions = %v, %v", ended, err)
	}
	for hash, alive := range map[string]bool{"keep-" + f.agent.ID: true, "end-" + f.agent.ID: false, "admin-" + f.admin.ID: true} {
		if _, _, err := s.SessionByTokenHash(ctx, hash, now); (err == nil) != alive {
			t.Fatalf("session %s: err = %v, want alive %v", hash, err, alive)
		}
	}
}

func testOperatorUsage(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	for _, a := range []struct {
		op    *domain.Operator
		month string
	}{
		{f.admin, "2025-11"}, {f.admin, "2025-11"}, {f.admin, "2025-12"}, {f.agent, "2025-12"}, {f.agent, "2025-10"}, {other.agent, "2025-12"},
	} {
		if err := s.RecordOperatorActivity(ctx, a.op.ID, a.op.AccountID, a.month); err != nil {
			t.Fatal(err)
		}
	}
	usage, err := s.OperatorUsage(ctx, f.account.ID, "2025-11")
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != 2 || usage[0].Month != "2025-11" || usage[0].ActiveOperators != 1 || usage[1].Month != "2025-12" ||
		usage[1].ActiveOperators != 2 || len(usage[1].Operators) != 2 {
		t.Fatalf("OperatorUsage = %+v", usage)
	}
}

func testOperatorPhotos(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	first := &domain.Photo{ID: domain.NewID(), OperatorID: f.agent.ID, ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n\x00\xff"), CreatedAt: time.Now()}
	if err := s.SaveOperatorPhoto(ctx, first, "/api/v1/photos/"+first.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.PhotoByID(ctx, first.ID)
	if err != nil || got.ContentType != "image/png" || !bytes.Equal(got.Data, first.Data) || got.OperatorID != f.agent.ID {
		t.Fatalf("PhotoByID = %+v, %v", got, err)
	}
	if op, _ := s.OperatorByID(ctx, f.agent.ID); op.PhotoURL != "/api/v1/photos/"+first.ID {
		t.Fatalf("photo_url = %q", op.PhotoURL)
	}
	second := &domain.Photo{ID: domain.NewID(), OperatorID: f.agent.ID, ContentType: "image/jpeg", Data: []byte{0xff, 0xd8, 0xff}, CreatedAt: time.Now()}
	if err := s.SaveOperatorPhoto(ctx, second, "/api/v1/photos/"+second.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PhotoByID(ctx, first.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the replaced photo is still there: %v", err)
	}
	if err := s.DeleteOperatorPhoto(ctx, f.agent.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PhotoByID(ctx, second.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the deleted photo is still there: %v", err)
	}
	if op, _ := s.OperatorByID(ctx, f.agent.ID); op.PhotoURL != "" {
		t.Fatalf("photo_url after delete = %q", op.PhotoURL)
	}
	missing := &domain.Photo{ID: domain.NewID(), OperatorID: "nobody", ContentType: "image/png", Data: []byte{1}, CreatedAt: time.Now()}
	if err := s.SaveOperatorPhoto(ctx, missing, "/x"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("photo of a missing operator: %v", err)
	}
}

func testCannedResponses(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	now := time.Now().UTC()
	canned := func(operatorID, shortcut string) *domain.CannedResponse {
		scope := domain.CannedAccount
		if operatorID != "" {
			scope = domain.CannedPersonal
		}
		return &domain.CannedResponse{ID: domain.NewID(), AccountID: f.account.ID, Scope: scope, OperatorID: operatorID,
			Shortcut: shortcut, Title: "T " + shortcut, Body: "Body of " + shortcut, CreatedAt: now, UpdatedAt: now}
	}
	hello := canned("", "hello")
	for _, c := range []*domain.CannedResponse{hello, canned("", "bye"), canned(f.agent.ID, "hello"), canned(f.admin.ID, "mine")} {
		if err := s.CreateCannedResponse(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateCannedResponse(ctx, canned("", "hello")); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("same shortcut in the same scope: err = %v, want ErrConflict", err)
	}
	list, err := s.ListCannedResponses(ctx, f.account.ID, f.agent.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range list {
		got = append(got, string(c.Scope)+":"+c.Shortcut)
	}
	if !slices.Equal(got, []string{"personal:hello", "account:bye", "account:hello"}) {
		t.Fatalf("the agent's list: %v", got)
	}
	hello.Body, hello.Shortcut, hello.UpdatedAt = "Hello there", "hi", now.Add(time.Minute)
	if err := s.UpdateCannedResponse(ctx, hello); err != nil {
		t.Fatal(err)
	}
	if c, err := s.CannedResponseByID(ctx, hello.ID); err != nil || c.Body != "Hello there" || c.Shortcut != "hi" || c.Scope != domain.CannedAccount || !c.UpdatedAt.After(c.CreatedAt) {
		t.Fatalf("CannedResponseByID = %+v, %v", c, err)
	}
	hello.Shortcut = "bye"
	if err := s.UpdateCannedResponse(ctx, hello); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("renaming onto a used shortcut: err = %v, want ErrConflict", err)
	}
	if err := s.DeleteCannedResponse(ctx, hello.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CannedResponseByID(ctx, hello.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted response: %v", err)
	}
	if err := s.DeleteCannedResponse(ctx, hello.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleting twice: %v", err)
	}
}

func testRoutingRules(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	now := time.Now().UTC()
	cars := &domain.RoutingRule{ID: domain.NewID(), AccountID: f.account.ID, Pattern: "*/cars/*", OperatorIDs: []string{f.agent.ID, f.admin.ID}, CreatedAt: now}
	boats := &domain.RoutingRule{ID: domain.NewID(), AccountID: f.account.ID, Pattern: "*/boats/*", OperatorIDs: []string{f.admin.ID}, CreatedAt: now}
	for _, r := range []*domain.RoutingRule{cars, boats} {
		if err := s.CreateRoutingRule(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if cars.Position >= boats.Position {
		t.Fatalf("positions %d, %d: a new rule goes last", cars.Position, boats.Position)
	}
	list, err := s.ListRoutingRules(ctx, f.account.ID)
	if err != nil || len(list) != 2 || list[0].ID != cars.ID || !slices.Equal(list[0].OperatorIDs, []string{f.agent.ID, f.admin.ID}) {
		t.Fatalf("ListRoutingRules = %+v, %v", list, err)
	}
	cars.Pattern, cars.OperatorIDs = "https://shop.example/cars/*", []string{f.admin.ID}
	if err := s.UpdateRoutingRule(ctx, cars); err != nil {
		t.Fatal(err)
	}
	if got, err := s.RoutingRuleByID(ctx, cars.ID); err != nil || got.Pattern != cars.Pattern || !slices.Equal(got.OperatorIDs, []string{f.admin.ID}) {
		t.Fatalf("RoutingRuleByID = %+v, %v", got, err)
	}
	if err := s.DeleteRoutingRule(ctx, cars.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RoutingRuleByID(ctx, cars.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted rule: %v", err)
	}
	if other, _ := s.ListRoutingRules(ctx, newFixture(t, s).account.ID); len(other) != 0 {
		t.Fatalf("another account lists %d rules", len(other))
	}
}

func testConversationRoutes(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	colleague := newOperator(t, s, f.account.ID, domain.RoleAgent)
	routed := &domain.Conversation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, RoutedTo: []string{colleague.ID}, CreatedAt: time.Now().UTC()}
	if err := s.CreateConversation(ctx, routed, visitorMessage(f.visitor, "cars?", "routed")); err != nil {
		t.Fatal(err)
	}
	open := startConversation(t, s, f)
	if got, err := s.ConversationByID(ctx, routed.ID); err != nil || !slices.Equal(got.RoutedTo, []string{colleague.ID}) {
		t.Fatalf("RoutedTo = %+v, %v", got, err)
	}
	if got, _ := s.ConversationByID(ctx, open.ID); got.RoutedTo == nil || len(got.RoutedTo) != 0 {
		t.Fatalf("an unrouted conversation has RoutedTo %#v, want empty", got.RoutedTo)
	}
	waitingFor := func(op *domain.Operator) []string {
		list, err := s.ListConversations(ctx, store.ConversationFilter{AccountIDs: []string{f.account.ID}, Status: domain.ConversationWaiting, VisibleTo: op.ID})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range list {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		return ids
	}
	both := []string{routed.ID, open.ID}
	slices.Sort(both)
	if got := waitingFor(colleague); !slices.Equal(got, both) {
		t.Fatalf("the routed agent sees %v, want %v", got, both)
	}
	if got := waitingFor(f.agent); !slices.Equal(got, []string{open.ID}) {
		t.Fatalf("an agent the chat was not routed to sees %v, want only %s", got, open.ID)
	}
	// Once they own it, it is theirs to see as always.
	if _, err := s.ClaimConversation(ctx, routed.ID, colleague.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	list, _ := s.ListConversations(ctx, store.ConversationFilter{AccountIDs: []string{f.account.ID}, Status: domain.ConversationActive, VisibleTo: colleague.ID})
	if len(list) != 1 || list[0].ID != routed.ID {
		t.Fatalf("the routed agent's active chats: %+v", list)
	}
}
