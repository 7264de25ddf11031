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

// The live visitor list reads a visitor's latest visit in one go: where it came from, on what,
// where from, its page count and current page, and the open chat.
func testLiveVisitors(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	start := time.Now().UTC().Truncate(time.Millisecond)
	info := domain.VisitInfo{
		Source:   domain.VisitSource{Kind: "search", Name: "Google"},
		Device:   domain.Device{Kind: "mobile", OS: "iOS 17.2", Browser: "Safari 17.2"},
		Location: &domain.Location{Country: "Germany", CountryCode: "DE", City: "Berlin"},
		IP:       "81.2.69.0",
	}
	pages := []string{"https://acme.example/", "https://acme.example/cars", "https://acme.example/cars/1"}
	for i, u := range pages {
		err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: f.visitor.ID, AccountID: f.account.ID, URL: u, Title: "Page " + u,
			Referrer: "https://www.google.com/", Language: "de-DE", At: start.Add(time.Duration(i) * time.Second), Visit: info})
		if err != nil {
			t.Fatal(err)
		}
	}
	other := newVisitor(t, s, f.account.ID) // no page views yet
	list, err := s.LiveVisitors(ctx, []string{f.visitor.ID, other.ID, "no-such-visitor"})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("got %d visitors, want 2", len(list))
	}
	byID := map[string]domain.LiveVisitor{}
	for _, lv := range list {
		byID[lv.ID] = lv
	}
	lv := byID[f.visitor.ID]
	if lv.Visit == nil || lv.Page == nil {
		t.Fatalf("visitor without visit or page: %+v", lv)
	}
	if lv.Visits != 1 || lv.Visit.PageCount != 3 || lv.Page.URL != pages[2] || !lv.Page.Since.Equal(start.Add(2*time.Second)) {
		t.Errorf("visits %d, pages %d, page %+v; want 1 visit of 3 pages, now on %s since +2s", lv.Visits, lv.Visit.PageCount, lv.Page, pages[2])
	}
	if !lv.Visit.StartedAt.Equal(start) || lv.Visit.Referrer != "https://www.google.com/" || lv.Visit.Language != "de-DE" {
		t.Errorf("visit %+v: want started at the first page, with its referrer and language", lv.Visit)
	}
	if lv.Visit.Source != info.Source || lv.Visit.Device != info.Device || lv.Visit.IP != info.IP || lv.Visit.Location == nil || *lv.Visit.Location != *info.Location {
		t.Errorf("visit %+v: want source, device and location as recorded", lv.Visit)
	}
	if lv.Chat != nil || lv.Chats != 0 {
		t.Errorf("chat %+v, chats %d before any conversation", lv.Chat, lv.Chats)
	}
	if o := byID[other.ID]; o.Visit != nil || o.Page != nil {
		t.Errorf("a visitor with no page views has visit %+v, page %+v", o.Visit, o.Page)
	}

	c := startConversation(t, s, f)
	if _, err := s.ClaimConversation(ctx, c.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	list, err = s.LiveVisitors(ctx, []string{f.visitor.ID})
	if err != nil {
		t.Fatal(err)
	}
	chat := list[0].Chat
	if chat == nil || chat.ConversationID != c.ID || chat.Status != domain.ConversationActive || len(chat.Operators) != 1 || chat.Operators[0].ID != f.agent.ID {
		t.Errorf("chat %+v: want the active conversation answered by the agent", chat)
	}
	if list[0].Chats != 1 {
		t.Errorf("chats = %d, want 1", list[0].Chats)
	}
}

// A conversation created with an owner (an accepted invitation) starts active and claimed.
func testOwnedConversation(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := &domain.Conversation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, OwnerID: f.agent.ID, CreatedAt: time.Now().UTC()}
	first := &domain.Message{ID: domain.NewID(), Author: domain.Author{Type: domain.AuthorOperator, ID: f.agent.ID}, Body: "Can I help?",
		ClientMsgID: "invitation-1", CreatedAt: c.CreatedAt}
	if err := s.CreateConversation(ctx, c, first); err != nil {
		t.Fatal(err)
	}
	got, err := s.ConversationByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != domain.ConversationActive || got.OwnerID != f.agent.ID || got.LastSeq != 1 {
		t.Errorf("conversation %+v: want active, owned by the agent, one message", got)
	}
	if _, err := s.ClaimConversation(ctx, c.ID, f.admin.ID, time.Now()); err == nil {
		t.Error("an owned conversation could be claimed again")
	}
}

// Linking makes two visitors one person for operators (their visits and chats count together)
// and moves nothing: each token still leads to its own visitor and its own chats.
func testSamePerson(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	phone := newVisitor(t, s, f.account.ID)
	now := time.Now().UTC()
	for _, v := range []*domain.Visitor{f.visitor, phone} {
		if err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: v.ID, AccountID: f.account.ID, URL: "https://acme.example/" + v.ID, At: now}); err != nil {
			t.Fatal(err)
		}
	}
	c := &domain.Conversation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, CreatedAt: now}
	if err := s.CreateConversation(ctx, c, visitorMessage(f.visitor, "from my laptop", "l1")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVisitorIdentity(ctx, f.visitor.ID, "Ann", "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetVisitorIdentity(ctx, phone.ID, "", "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	found, err := s.VisitorByEmail(ctx, f.account.ID, "ann@example.com", phone.ID)
	if err != nil || found.ID != f.visitor.ID {
		t.Fatalf("VisitorByEmail = %v, %v; want the first visitor", found, err)
	}
	if err := s.LinkVisitor(ctx, phone.ID, f.visitor.ID); err != nil {
		t.Fatal(err)
	}
	byToken, err := s.VisitorByTokenHash(ctx, phone.TokenHash)
	if err != nil || byToken.ID != phone.ID {
		t.Fatalf("the phone's token leads to %v (%v), want the phone's own visitor", byToken, err)
	}
	if got, err := s.ConversationByID(ctx, c.ID); err != nil || got.VisitorID != f.visitor.ID {
		t.Fatalf("the laptop's conversation moved: %v (%v)", got, err)
	}
	for _, id := range []string{f.visitor.ID, phone.ID} {
		same, err := s.SamePerson(ctx, id)
		slices.Sort(same)
		want := []string{f.visitor.ID, phone.ID}
		slices.Sort(want)
		if err != nil || !slices.Equal(same, want) {
			t.Errorf("SamePerson(%s) = %v (%v), want both", id, same, err)
		}
	}
	list, err := s.LiveVisitors(ctx, []string{phone.ID})
	if err != nil || len(list) != 1 || list[0].Visits != 2 || list[0].Chats != 1 {
		t.Errorf("the phone as operators see it: %+v (%v); want 2 visits and 1 chat of the person", list, err)
	}
	if same, _ := s.SamePerson(ctx, newVisitor(t, s, f.account.ID).ID); len(same) != 1 {
		t.Errorf("a visitor linked to no one is %d people", len(same))
	}
	if _, err := s.VisitorByEmail(ctx, f.account.ID, "ann@example.com", f.visitor.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a linked visitor is found by e-mail: %v", err)
	}
}

func testReturningVisitor(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	other := newVisitor(t, s, f.account.ID)
	v, latest, err := s.ReturningVisitor(ctx, f.visitor.TokenHash)
	if err != nil || v.ID != f.visitor.ID || v.AccountID != f.account.ID || v.TokenHash != f.visitor.TokenHash || latest != nil {
		t.Fatalf("a visitor never invited: %+v, %+v, %v", v, latest, err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	var newest *domain.Invitation
	for i, kind := range []domain.InvitationKind{domain.InvitationByOperator, domain.InvitationByProactive, domain.InvitationByOperator} {
		inv := &domain.Invitation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, Kind: kind,
			Message: fmt.Sprint("invitation ", i), Status: domain.InvitationShown, CreatedAt: now.Add(time.Duration(i) * time.Second)}
		if kind == domain.InvitationByOperator {
			inv.OperatorID = f.agent.ID
		}
		if err := s.CreateInvitation(ctx, inv); err != nil {
			t.Fatal(err)
		}
		newest = inv
	}
	// Another visitor's later invitation is not this one's.
	if err := s.CreateInvitation(ctx, &domain.Invitation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: other.ID,
		Kind: domain.InvitationByOperator, OperatorID: f.agent.ID, Message: "not yours", Status: domain.InvitationShown, CreatedAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	v, latest, err = s.ReturningVisitor(ctx, f.visitor.TokenHash)
	if err != nil || v.ID != f.visitor.ID {
		t.Fatalf("the invited visitor: %+v, %v", v, err)
	}
	if latest == nil || latest.ID != newest.ID || latest.Message != "invitation 2" || latest.Operator == nil || latest.Operator.Name != f.agent.Name ||
		!latest.CreatedAt.Equal(newest.CreatedAt) || latest.Status != domain.InvitationShown {
		t.Fatalf("latest invitation %+v, want the last one made, from the agent", latest)
	}
	if _, _, err := s.ReturningVisitor(ctx, "no-such-token"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an unknown token: %v, want ErrNotFound", err)
	}

	// A page view of a visitor already known reads the same invitation with its write.
	page := func(v *domain.Visitor, url string) *domain.Invitation {
		t.Helper()
		latest, err := s.RecordReturningPageView(ctx, store.PageViewInput{VisitorID: v.ID, AccountID: f.account.ID, URL: url, At: now})
		if err != nil {
			t.Fatal(err)
		}
		return latest
	}
	if latest := page(f.visitor, "https://acme.example/a"); latest == nil || latest.ID != newest.ID || latest.Operator == nil || latest.Operator.Name != f.agent.Name {
		t.Fatalf("latest invitation read with a page view: %+v, want %s", latest, newest.ID)
	}
	if latest := page(newVisitor(t, s, f.account.ID), "https://acme.example/b"); latest != nil {
		t.Fatalf("a visitor never invited: %+v", latest)
	}
	if pages, err := s.PagesOfLatestVisit(ctx, f.visitor.ID, 10); err != nil || len(pages) != 1 || pages[0].URL != "https://acme.example/a" {
		t.Fatalf("the returning page view stored: %+v, %v", pages, err)
	}
}

func testInvitations(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	now := time.Now().UTC().Truncate(time.Millisecond)
	inv := &domain.Invitation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, Kind: domain.InvitationByOperator,
		OperatorID: f.agent.ID, Message: "Hello!", Status: domain.InvitationShown, CreatedAt: now}
	if err := s.CreateInvitation(ctx, inv); err != nil {
		t.Fatal(err)
	}
	got, err := s.InvitationByID(ctx, inv.ID)
	if err != nil || got.Operator == nil || got.Operator.Name != f.agent.Name || got.Status != domain.InvitationShown {
		t.Fatalf("invitation %+v (%v): want shown, from the agent", got, err)
	}
	answered, err := s.AnswerInvitation(ctx, inv.ID, domain.InvitationAccepted, "conv-1", now.Add(time.Second))
	if err != nil || answered.Status != domain.InvitationAccepted || answered.ConversationID != "conv-1" || answered.AnsweredAt == nil {
		t.Fatalf("answered %+v (%v)", answered, err)
	}
	if _, err := s.AnswerInvitation(ctx, inv.ID, domain.InvitationDeclined, "", now); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("answering twice: %v, want ErrConflict", err)
	}
	if _, err := s.AnswerInvitation(ctx, "no-such", domain.InvitationDeclined, "", now); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("answering an unknown invitation: %v, want ErrNotFound", err)
	}

	rule := &domain.ProactiveRule{ID: domain.NewID(), AccountID: f.account.ID, Pattern: "/cars/*", AfterSeconds: 5, AfterPages: 2, Greeting: "Looking for a car?", Enabled: true, CreatedAt: now}
	if err := s.CreateProactiveRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	for _, status := range []domain.InvitationStatus{domain.InvitationShown, domain.InvitationDeclined, domain.InvitationAccepted} {
		p := &domain.Invitation{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, Kind: domain.InvitationByProactive,
			RuleID: rule.ID, Message: rule.Greeting, Status: domain.InvitationShown, CreatedAt: now}
		if err := s.CreateInvitation(ctx, p); err != nil {
			t.Fatal(err)
		}
		if status != domain.InvitationShown {
			if _, err := s.AnswerInvitation(ctx, p.ID, status, "", now); err != nil {
				t.Fatal(err)
			}
		}
	}
	stats, err := s.InvitationStats(ctx, f.account.ID, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := domain.InvitationStats{
		Operator:  domain.InvitationCounts{Shown: 1, Accepted: 1},
		Proactive: domain.InvitationCounts{Shown: 3, Accepted: 1, Declined: 1},
	}
	if stats.Operator != want.Operator || stats.Proactive != want.Proactive || len(stats.Rules) != 1 || stats.Rules[0].RuleID != rule.ID || stats.Rules[0].InvitationCounts != want.Proactive {
		t.Errorf("stats %+v, want %+v with one rule line", stats, want)
	}
	list, err := s.ListInvitations(ctx, f.visitor.ID, 10)
	if err != nil || len(list) != 4 {
		t.Errorf("ListInvitations: %d (%v), want 4", len(list), err)
	}
}

func testProactiveRules(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	r := &domain.ProactiveRule{ID: domain.NewID(), AccountID: f.account.ID, Pattern: "", Greeting: "Hi", Enabled: true, CreatedAt: time.Now().UTC()}
	if err := s.CreateProactiveRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.Enabled, r.Greeting, r.AfterPages = false, "Hello", 3
	if err := s.UpdateProactiveRule(ctx, r); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListProactiveRules(ctx, f.account.ID)
	if err != nil || len(list) != 1 || list[0].Enabled || list[0].Greeting != "Hello" || list[0].AfterPages != 3 {
		t.Fatalf("rules %+v (%v)", list, err)
	}
	if err := s.DeleteProactiveRule(ctx, other.account.ID, r.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("another account deleted the rule: %v", err)
	}
	if err := s.DeleteProactiveRule(ctx, f.account.ID, r.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.ListProactiveRules(ctx, f.account.ID); len(list) != 0 {
		t.Errorf("%d rules after delete", len(list))
	}
}

func testPageViewRetention(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	now := time.Now().UTC()
	for _, at := range []time.Time{now.Add(-100 * 24 * time.Hour), now.Add(-95 * 24 * time.Hour), now.Add(-time.Hour)} {
		if err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: f.visitor.ID, AccountID: f.account.ID, URL: "https://acme.example/", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeletePageViewsBefore(ctx, now.Add(-90*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Other tests share the database; at least this visitor's two old page views went.
	if n < 2 {
		t.Errorf("deleted %d page views, want at least 2", n)
	}
	left, err := s.PagesOfLatestVisit(ctx, f.visitor.ID, 10)
	if err != nil || len(left) != 1 {
		t.Errorf("%d page views left (%v), want the recent one", len(left), err)
	}
}

// A new visitor is stored by the same write as its first page view, and only with it: a page
// view that fails (its visitor's token is taken) leaves no visitor behind.
func testFirstPageViewStoresTheVisitor(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	at := time.Now().UTC().Truncate(time.Millisecond)
	v := &domain.Visitor{ID: domain.NewID(), AccountID: f.account.ID, TokenHash: domain.NewSecret(16), CreatedAt: at, LastSeenAt: at}
	err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: v.ID, AccountID: f.account.ID, URL: "https://acme.example/first",
		Title: "First", At: at, NewVisitor: v})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.VisitorByTokenHash(ctx, v.TokenHash)
	if err != nil || got.ID != v.ID || got.AccountID != f.account.ID || !got.CreatedAt.Equal(at) {
		t.Fatalf("the new visitor: %+v, %v", got, err)
	}
	pages, err := s.PagesOfLatestVisit(ctx, v.ID, 10)
	if err != nil || len(pages) != 1 || pages[0].URL != "https://acme.example/first" {
		t.Fatalf("pages of the new visitor: %+v, %v", pages, err)
	}
	// The next page view of the same visitor does not create it again.
	if err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: v.ID, AccountID: f.account.ID, URL: "https://acme.example/second", At: at.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if lv, err := s.LiveVisitors(ctx, []string{v.ID}); err != nil || len(lv) != 1 || lv[0].Visit.PageCount != 2 {
		t.Fatalf("live visitor after two pages: %+v, %v", lv, err)
	}

	clash := &domain.Visitor{ID: domain.NewID(), AccountID: f.account.ID, TokenHash: v.TokenHash, CreatedAt: at, LastSeenAt: at}
	err = s.RecordPageView(ctx, store.PageViewInput{VisitorID: clash.ID, AccountID: f.account.ID, URL: "https://acme.example/", At: at, NewVisitor: clash})
	if err == nil {
		t.Fatal("a new visitor with a taken token was stored")
	}
	if _, err := s.VisitorByID(ctx, clash.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the refused visitor: %v, want not found", err)
	}
	if pages, err := s.PagesOfLatestVisit(ctx, clash.ID, 10); err != nil || len(pages) != 0 {
		t.Fatalf("the refused visitor's pages: %+v, %v", pages, err)
	}
}
