// Package storetest is the behaviour every store backend must have. store/sqlite and
// store/postgres run it against a real database.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// Run runs the whole suite; open must return a fresh, migrated store.
func Run(t *testing.T, open func(t testing.TB) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Migrate is idempotent", testMigrateTwice},
		{"accounts and advertisers", testAccounts},
		{"operators and sessions", testOperators},
		{"visitors, visits and page views", testVisits},
		{"a first page view stores its new visitor", testFirstPageViewStoresTheVisitor},
		{"concurrent page views are all stored", testConcurrentPageViews},
		{"conversation lifecycle", testConversationLifecycle},
		{"claim race has one winner", testClaimRace},
		{"starting twice with one client id is one conversation", testStartTwice},
		{"append is idempotent per author", testIdempotentAppend},
		{"concurrent appends keep seq gap-free", testConcurrentAppends},
		{"concurrent repeats are answered with the original", testConcurrentRepeats},
		{"a message is stored only for a sender who takes part", testAppendMessageIn},
		{"a bad write among many fails alone", testBadWriteFailsAlone},
		{"messages after seq", testMessagesAfter},
		{"tenant filter", testTenantFilter},
		{"listings are upserted", testListings},
		{"offline messages", testOfflineMessages},
		{"transfer hands a chat over", testTransfer},
		{"invite and leave", testInviteAndLeave},
		{"colleague rooms", testRooms},
		{"history search", testHistorySearch},
		{"categories", testCategories},
		{"closing queues its mail in the same transaction", testCloseQueuesMail},
		{"offline message and its mail are one transaction", testOfflineMessageMail},
		{"offline message recipients", testOfflineRecipients},
		{"outbox claims are compare-and-set", testOutboxClaim},
		{"visitor transcripts are rate limited", testTranscriptLimits},
		{"operators who took part", testConversationOperators},
		{"updating operators keeps an admin", testUpdateOperatorKeepsAnAdmin},
		{"deleting an operator", testDeleteOperator},
		{"ending an operator's other sessions", testOperatorSessions},
		{"operator usage per month", testOperatorUsage},
		{"operator photos", testOperatorPhotos},
		{"canned responses", testCannedResponses},
		{"routing rules", testRoutingRules},
		{"conversation routes", testConversationRoutes},
		{"the access read agrees with the full read", testConversationAccess},
		{"a visitor and a conversation's access read together", testVisitorAndConversationAccess},
		{"portal routing: settings, listing agents, backup", testPortalRouting},
		{"portal external authentication", testPortalAuth},
		{"operators signed in by a portal", testExternalOperators},
		{"live visitors", testLiveVisitors},
		{"a conversation started with an owner", testOwnedConversation},
		{"visitors of one person", testSamePerson},
		{"invitations and their counts", testInvitations},
		{"a returning visitor is read with its latest invitation", testReturningVisitor},
		{"proactive rules", testProactiveRules},
		{"page view retention", testPageViewRetention},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

var ctx = context.Background()

// fixture is a website account with an admin, an agent and a visitor.
type fixture struct {
	account      *domain.Account
	admin, agent *domain.Operator
	visitor      *domain.Visitor
}

func newAccount(t testing.TB, s store.Store, kind domain.AccountKind, parentID, externalID string) *domain.Account {
	t.Helper()
	a := &domain.Account{ID: domain.NewID(), Kind: kind, Name: "Acme " + string(kind), Key: "k_" + domain.NewSecret(8),
		ParentID: parentID, ExternalID: externalID, AllowedOrigins: []string{"https://acme.example"},
		Settings: map[string]any{"color": "#123456"}, CreatedAt: time.Now().UTC()}
	if err := s.CreateAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	return a
}

func newOperator(t testing.TB, s store.Store, accountID string, role domain.Role) *domain.Operator {
	t.Helper()
	o := &domain.Operator{ID: domain.NewID(), AccountID: accountID, Email: domain.NewSecret(6) + "@Example.com", Name: "Op " + string(role),
		Role: role, Status: domain.StatusOffline, PasswordHash: "x", CreatedAt: time.Now().UTC()}
	if err := s.CreateOperator(ctx, o); err != nil {
		t.Fatal(err)
	}
	return o
}

func newVisitor(t testing.TB, s store.Store, accountID string) *domain.Visitor {
	t.Helper()
	now := time.Now().UTC()
	v := &domain.Visitor{ID: domain.NewID(), AccountID: accountID, TokenHash: domain.NewSecret(16), CreatedAt: now, LastSeenAt: now}
	if err := s.CreateVisitor(ctx, v); err != nil {
		t.Fatal(err)
	}
	return v
}

func newFixture(t testing.TB, s store.Store) *fixture {
	t.Helper()
	acc := newAccount(t, s, domain.KindWebsite, "", "")
	return &fixture{
		account: acc,
		admin:   newOperator(t, s, acc.ID, domain.RoleAdmin),
		agent:   newOperator(t, s, acc.ID, domain.RoleAgent),
		visitor: newVisitor(t, s, acc.ID),
	}
}

func visitorMessage(v *domain.Visitor, body, clientID string) *domain.Message {
	return &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorVisitor, ID: v.ID}, Body: body,
		ClientMsgID: clientID, CreatedAt: time.Now().UTC()}
}

// startConversation starts a conversation of the fixture's visitor, routed to routedTo.
func startConversation(t testing.TB, s store.Store, f *fixture, routedTo ...string) *domain.Conversation {
	t.Helper()
	c := &domain.Conversation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, RoutedTo: routedTo, CreatedAt: time.Now().UTC()}
	if err := s.CreateConversation(ctx, c, visitorMessage(f.visitor, "hello", "first-"+c.ID)); err != nil {
		t.Fatal(err)
	}
	return c
}

func testStartTwice(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	again := &domain.Conversation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, CreatedAt: time.Now().UTC()}
	if err := s.CreateConversation(ctx, again, visitorMessage(f.visitor, "hello", "first-"+c.ID)); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second start with the same client id: err = %v, want ErrConflict", err)
	}
	found, err := s.ConversationByStart(ctx, f.visitor.ID, "first-"+c.ID)
	if err != nil || found.ID != c.ID {
		t.Fatalf("ConversationByStart = %+v, %v", found, err)
	}
	if _, err := s.ConversationByID(ctx, again.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the refused conversation exists: %v", err)
	}
}

func testMigrateTwice(t *testing.T, s store.Store) {
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func testAccounts(t *testing.T, s store.Store) {
	portal := newAccount(t, s, domain.KindPortal, "", "")
	adv := newAccount(t, s, domain.KindAdvertiser, portal.ID, "agency-7")

	got, err := s.AccountByKey(ctx, portal.Key)
	if err != nil || got.ID != portal.ID || got.Kind != domain.KindPortal || got.Settings["color"] != "#123456" ||
		len(got.AllowedOrigins) != 1 {
		t.Fatalf("AccountByKey = %+v, %v", got, err)
	}
	for range 2 { // read, then from the cache
		origins, err := s.AccountOrigins(ctx, portal.ID)
		if err != nil || len(origins) != 1 || origins[0] != "https://acme.example" {
			t.Fatalf("AccountOrigins = %v, %v", origins, err)
		}
	}
	if _, err := s.AccountOrigins(ctx, "missing"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("origins of a missing account: err = %v, want ErrNotFound", err)
	}
	found, err := s.AdvertiserByExternalID(ctx, portal.ID, "agency-7")
	if err != nil || found.ID != adv.ID || found.ParentID != portal.ID {
		t.Fatalf("AdvertiserByExternalID = %+v, %v", found, err)
	}
	if _, err := s.AdvertiserByExternalID(ctx, portal.ID, "nope"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown advertiser: err = %v, want ErrNotFound", err)
	}
	dup := &domain.Account{ID: domain.NewID(), Kind: domain.KindAdvertiser, Name: "dup", Key: "k_" + domain.NewSecret(8),
		ParentID: portal.ID, ExternalID: "agency-7", CreatedAt: time.Now()}
	if err := s.CreateAccount(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate external id: err = %v, want ErrConflict", err)
	}
	if _, err := s.AccountByKey(ctx, "missing"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing key: err = %v", err)
	}
}

func testOperators(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	got, err := s.OperatorByEmail(ctx, f.admin.Email) // stored lower-case, found whatever the case
	if err != nil || got.ID != f.admin.ID || got.Role != domain.RoleAdmin {
		t.Fatalf("OperatorByEmail = %+v, %v", got, err)
	}
	again := *f.admin
	again.ID = domain.NewID()
	if err := s.CreateOperator(ctx, &again); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("duplicate e-mail: err = %v, want ErrConflict", err)
	}
	if err := s.SetOperatorStatus(ctx, f.agent.ID, domain.StatusAway); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListOperators(ctx, f.account.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListOperators = %v, %v", list, err)
	}
	if err := s.SetOperatorStatus(ctx, "nobody", domain.StatusAway); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("status of a missing operator: %v", err)
	}

	now := time.Now()
	sess := &domain.Session{TokenHash: domain.NewSecret(16), OperatorID: f.admin.ID, CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	live, owner, err := s.SessionByTokenHash(ctx, sess.TokenHash, now)
	if err != nil || live.OperatorID != f.admin.ID || live.CSRFToken != "c" || !live.ExpiresAt.Equal(sess.ExpiresAt.Truncate(time.Millisecond)) {
		t.Fatalf("SessionByTokenHash = %+v, %v", live, err)
	}
	if owner.ID != f.admin.ID || !strings.EqualFold(owner.Email, f.admin.Email) || owner.Role != f.admin.Role || owner.AccountID != f.admin.AccountID {
		t.Fatalf("operator of the session = %+v, want %+v", owner, f.admin)
	}
	if _, _, err := s.SessionByTokenHash(ctx, sess.TokenHash, now.Add(2*time.Hour)); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("expired session: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteSession(ctx, sess.TokenHash); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByTokenHash(ctx, sess.TokenHash, now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted session: err = %v", err)
	}
}

func testVisits(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	start := time.Now().UTC().Truncate(time.Millisecond)
	view := func(url string, at time.Time) {
		t.Helper()
		if err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: f.visitor.ID, AccountID: f.account.ID, URL: url, Title: "T " + url, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	view("https://acme.example/a", start)
	view("https://acme.example/b", start.Add(time.Minute))
	view("https://acme.example/c", start.Add(time.Minute+store.VisitGap+time.Second)) // a new visit

	v, err := s.VisitorByID(ctx, f.visitor.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Visits != 2 || v.CurrentPage == nil || v.CurrentPage.URL != "https://acme.example/c" {
		t.Fatalf("visitor = visits %d, current page %+v; want 2 visits, current /c", v.Visits, v.CurrentPage)
	}
	pages, err := s.PagesOfLatestVisit(ctx, f.visitor.ID, 10)
	if err != nil || len(pages) != 1 {
		t.Fatalf("pages of the second visit = %v, %v", pages, err)
	}
	if err := s.SetVisitorIdentity(ctx, f.visitor.ID, "Ada", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVisitorIdentity(ctx, f.visitor.ID, "", "ada@example.com"); err != nil {
		t.Fatal(err)
	}
	v, err = s.VisitorByTokenHash(ctx, f.visitor.TokenHash)
	if err != nil || v.Name != "Ada" || v.Email != "ada@example.com" {
		t.Fatalf("identity = %+v, %v; an empty field must keep the old value", v, err)
	}
}

func testConversationLifecycle(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	got, err := s.ConversationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.ConversationWaiting || got.LastSeq != 1 || got.LastMessage == nil || got.LastMessage.Body != "hello" {
		t.Fatalf("new conversation = %+v", got)
	}
	claimed, err := s.ClaimConversation(ctx, c.ID, f.agent.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if claimed.Status != domain.ConversationActive || claimed.OwnerID != f.agent.ID || claimed.Owner == nil ||
		claimed.Owner.Name != f.agent.Name || len(claimed.Participants) != 1 {
		t.Fatalf("claimed = %+v", claimed)
	}
	var ce *domain.ClaimedError
	if _, err := s.ClaimConversation(ctx, c.ID, f.admin.ID, time.Now()); !errors.As(err, &ce) || ce.Owner.ID != f.agent.ID {
		t.Fatalf("second claim: err = %v, want ClaimedError naming the agent", err)
	}
	m := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorOperator, ID: f.agent.ID, Name: f.agent.Name},
		Body: "hi", ClientMsgID: "op-1", CreatedAt: time.Now()}
	if _, _, err := s.AppendMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	closed, err := s.CloseConversation(ctx, c.ID, "", time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Status != domain.ConversationClosed || closed.ClosedAt == nil || !closed.Meaningful {
		t.Fatalf("closed = %+v (an operator answered, so it is meaningful)", closed)
	}
	if _, err := s.CloseConversation(ctx, c.ID, "", time.Now(), nil); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("closing twice: %v", err)
	}
	late := visitorMessage(f.visitor, "still there?", "late")
	late.ConversationID = c.ID
	if _, _, err := s.AppendMessage(ctx, late); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("message to a closed conversation: err = %v, want ErrClosed", err)
	}
	if got, _ := s.ConversationByID(ctx, c.ID); got.LastSeq != 2 {
		t.Fatalf("last_seq = %d after a refused message, want 2", got.LastSeq)
	}
	if _, err := s.ClaimConversation(ctx, c.ID, f.admin.ID, time.Now()); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("claiming a closed conversation: %v", err)
	}
	if _, err := s.ConversationByID(ctx, "missing"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("missing conversation: %v", err)
	}
}

func testClaimRace(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	const n = 20
	ops := make([]*domain.Operator, n)
	for i := range ops {
		ops[i] = newOperator(t, s, f.account.ID, domain.RoleAgent)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners, losers := 0, 0
	var winner string
	for _, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ClaimConversation(ctx, c.ID, op.ID, time.Now())
			mu.Lock()
			defer mu.Unlock()
			var ce *domain.ClaimedError
			switch {
			case err == nil:
				winners++
				winner = op.ID
			case errors.As(err, &ce):
				losers++
			default:
				t.Errorf("claim: %v", err)
			}
		}()
	}
	wg.Wait()
	if winners != 1 || losers != n-1 {
		t.Fatalf("winners %d, losers %d; want 1 and %d", winners, losers, n-1)
	}
	got, _ := s.ConversationByID(ctx, c.ID)
	if got.OwnerID != winner || len(got.Participants) != 1 {
		t.Fatalf("owner %s participants %v, want the one winner %s", got.OwnerID, got.Participants, winner)
	}
}

func testIdempotentAppend(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	m := visitorMessage(f.visitor, "once", "retry-me")
	m.ConversationID = c.ID
	first, created, err := s.AppendMessage(ctx, m)
	if err != nil || !created || first.Seq != 2 {
		t.Fatalf("first append = %+v, %v, %v", first, created, err)
	}
	again := visitorMessage(f.visitor, "once (again)", "retry-me")
	again.ConversationID = c.ID
	second, created, err := s.AppendMessage(ctx, again)
	if err != nil || created || second.ID != first.ID || second.Seq != 2 || second.Body != "once" {
		t.Fatalf("repeat = %+v, created %v, %v; want the original", second, created, err)
	}
	// The same client id from another author is another message.
	op := &domain.Message{ID: domain.NewID(), ConversationID: c.ID, Author: domain.Author{Type: domain.AuthorOperator, ID: f.agent.ID},
		Body: "mine", ClientMsgID: "retry-me", CreatedAt: time.Now()}
	third, created, err := s.AppendMessage(ctx, op)
	if err != nil || !created || third.Seq != 3 {
		t.Fatalf("other author's message = %+v, %v, %v; want seq 3 (no gap after the repeat)", third, created, err)
	}
}

func testConcurrentAppends(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	const writers, each = 8, 10
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Every message is sent twice, as a client retrying after a lost answer would.
				id := fmt.Sprintf("w%d-%d", w, i)
				for range 2 {
					m := visitorMessage(f.visitor, id, id)
					m.ConversationID = c.ID
					if _, _, err := s.AppendMessage(ctx, m); err != nil {
						t.Errorf("append %s: %v", id, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	msgs, err := s.MessagesAfter(ctx, c.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1+writers*each {
		t.Fatalf("%d messages, want %d", len(msgs), 1+writers*each)
	}
	seen := map[string]bool{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: seq must be gap-free", i, m.Seq)
		}
		if seen[m.ClientMsgID] {
			t.Fatalf("client id %s stored twice", m.ClientMsgID)
		}
		seen[m.ClientMsgID] = true
	}
	if got, _ := s.ConversationByID(ctx, c.ID); got.LastSeq != int64(len(msgs)) {
		t.Fatalf("last_seq = %d, want %d", got.LastSeq, len(msgs))
	}
}

func testMessagesAfter(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	for i := 2; i <= 6; i++ {
		m := visitorMessage(f.visitor, fmt.Sprint(i), fmt.Sprint("c", i))
		m.ConversationID = c.ID
		if _, _, err := s.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.MessagesAfter(ctx, c.ID, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Seq != 4 || got[2].Seq != 6 || got[0].Body != "4" {
		t.Fatalf("after 3 = %+v; want seq 4, 5, 6", got)
	}
	if got, _ := s.MessagesAfter(ctx, c.ID, 6, 0); len(got) != 0 {
		t.Fatalf("after the last = %d messages, want none", len(got))
	}
	if got, _ := s.MessagesAfter(ctx, c.ID, 0, 2); len(got) != 2 {
		t.Fatalf("limit 2 gave %d", len(got))
	}
}

func testTenantFilter(t *testing.T, s store.Store) {
	a, b := newFixture(t, s), newFixture(t, s)
	ca, cb := startConversation(t, s, a), startConversation(t, s, b)
	list, err := s.ListConversations(ctx, store.ConversationFilter{AccountIDs: []string{a.account.ID}})
	if err != nil || len(list) != 1 || list[0].ID != ca.ID {
		t.Fatalf("account A's list = %v, %v", list, err)
	}
	if _, err := s.ListConversations(ctx, store.ConversationFilter{}); err == nil {
		t.Fatal("a list without accounts must be refused")
	}
	// An agent sees waiting chats and their own, not a colleague's.
	colleague := newOperator(t, s, b.account.ID, domain.RoleAgent)
	if _, err := s.ClaimConversation(ctx, cb.ID, colleague.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	cb2 := startConversation(t, s, b)
	list, err = s.ListConversations(ctx, store.ConversationFilter{AccountIDs: []string{b.account.ID}, VisibleTo: b.agent.ID})
	if err != nil || len(list) != 1 || list[0].ID != cb2.ID {
		t.Fatalf("agent's view = %v, %v; want only the waiting chat", list, err)
	}
	list, _ = s.ListConversations(ctx, store.ConversationFilter{AccountIDs: []string{b.account.ID}, Status: domain.ConversationActive})
	if len(list) != 1 || list[0].ID != cb.ID {
		t.Fatalf("active filter = %v", list)
	}
}

func testListings(t *testing.T, s store.Store) {
	portal := newAccount(t, s, domain.KindPortal, "", "")
	adv := newAccount(t, s, domain.KindAdvertiser, portal.ID, "a1")
	l := &domain.Listing{AccountID: adv.ID, ExternalID: "L1", Title: "Flat", URL: "https://p.example/L1"}
	if err := s.UpsertListing(ctx, l); err != nil {
		t.Fatal(err)
	}
	again := &domain.Listing{AccountID: adv.ID, ExternalID: "L1", Title: "Flat, renovated"}
	if err := s.UpsertListing(ctx, again); err != nil {
		t.Fatal(err)
	}
	if again.ID != l.ID || again.Title != "Flat, renovated" || again.URL != "https://p.example/L1" {
		t.Fatalf("upsert = %+v; want the same listing, new title, URL kept", again)
	}
}

func testOfflineMessages(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	m := &domain.OfflineMessage{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, Name: "Ada", Email: "ada@example.com",
		Body: "call me", CreatedAt: time.Now()}
	if err := s.CreateOfflineMessage(ctx, m, nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListOfflineMessages(ctx, f.account.ID, 10)
	if err != nil || len(list) != 1 || list[0].Body != "call me" {
		t.Fatalf("offline messages = %v, %v", list, err)
	}
	other := newFixture(t, s)
	if list, _ := s.ListOfflineMessages(ctx, other.account.ID, 10); len(list) != 0 {
		t.Fatalf("another account sees %d offline messages", len(list))
	}
}
