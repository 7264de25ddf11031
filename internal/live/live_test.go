package live_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/bus"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/live"
	"github.com/portico/portico/internal/testutil"
)

func TestOperatorsAndVisitorsGetLiveEvents(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	other := srv.Account(domain.KindWebsite, nil, "")
	me, myToken := srv.Operator(acc, domain.RoleAgent)
	_, colleagueToken := srv.Operator(acc, domain.RoleAgent)
	_, strangerToken := srv.Operator(other, domain.RoleAdmin)
	mine, colleague, stranger := srv.DialOperator(myToken), srv.DialOperator(colleagueToken), srv.DialOperator(strangerToken)

	vt, vid := srv.Visitor(acc, "https://shop.example/")
	visitor := srv.DialVisitor(vt)
	mine.NextWhere("presence", func(f map[string]any) bool { return f["visitor_id"] == vid && f["online"] == true })

	id := srv.StartChat(vt, "hello")
	for _, s := range []*testutil.Socket{mine, colleague} {
		f := s.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" })
		if testutil.Field(f, "conversation", "id") != id || testutil.Field(f, "conversation", "status") != "waiting" {
			t.Fatalf("created event: %v", f)
		}
	}

	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", myToken, nil).Want(t, http.StatusOK)
	for _, s := range []*testutil.Socket{mine, colleague, visitor} {
		f := s.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "claimed" })
		if testutil.Field(f, "by", "id") != me.ID || testutil.Field(f, "conversation", "owner", "name") != me.Name {
			t.Fatalf("claimed event: %v", f)
		}
	}

	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", myToken, map[string]string{"body": "<script>alert(1)</script>", "client_msg_id": "o1"}).Want(t, http.StatusCreated)
	f := visitor.Next("message")
	if testutil.Field(f, "message", "body") != "<script>alert(1)</script>" || testutil.Field(f, "message", "seq") != float64(2) {
		t.Fatalf("visitor got %v", f)
	}
	srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt, map[string]string{"body": "thanks", "client_msg_id": "v2"}).Want(t, http.StatusCreated)
	// The operator's own message reaches their other tabs too; the visitor's follows it.
	if f := mine.Next("message"); testutil.Field(f, "message", "seq") != float64(2) {
		t.Fatalf("operator got %v", f)
	}
	if f := mine.Next("message"); testutil.Field(f, "message", "body") != "thanks" || testutil.Field(f, "message", "seq") != float64(3) {
		t.Fatalf("operator got %v", f)
	}
	// A colleague's chat is not theirs to follow; another account hears nothing at all.
	colleague.Quiet("message", 200*time.Millisecond)
	stranger.Quiet("conversation", 50*time.Millisecond)
	stranger.Quiet("message", 50*time.Millisecond)

	visitor.Send(map[string]any{"type": "typing", "conversation_id": id, "typing": true})
	if f := mine.Next("typing"); f["typing"] != true || testutil.Field(f, "author", "type") != "visitor" {
		t.Fatalf("typing: %v", f)
	}
	mine.Send(map[string]any{"type": "typing", "conversation_id": id, "typing": true})
	if f := visitor.Next("typing"); testutil.Field(f, "author", "name") != me.Name {
		t.Fatalf("visitor typing frame: %v", f)
	}
	// Typing into someone else's conversation goes nowhere.
	stranger.Send(map[string]any{"type": "typing", "conversation_id": id, "typing": true})
	visitor.Quiet("typing", 200*time.Millisecond)

	visitor.Send(map[string]any{"type": "ping"})
	visitor.Next("pong")

	visitor.Conn.CloseNow()
	mine.NextWhere("presence", func(f map[string]any) bool { return f["visitor_id"] == vid && f["online"] == false })
}

func TestVisitorsLearnWhenSomeoneCanAnswer(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	visitor := srv.DialVisitor(vt)
	if f := visitor.Next("presence"); f["online"] != false {
		t.Fatalf("presence after hello with nobody signed in: %v", f)
	}
	if r := srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": acc.Key, "visitor_token": vt, "page": map[string]string{"url": "https://shop.example/2"}}); r.Path("online") != false {
		t.Fatalf("online with nobody signed in: %s", r.Raw)
	}
	_, token := srv.Operator(acc, domain.RoleAgent) // signing in sets the status to online
	op := srv.DialOperator(token)
	if f := visitor.Next("presence"); f["online"] != true {
		t.Fatalf("presence: %v", f)
	}
	if r := srv.Do("POST", "/api/v1/widget/visits", "", map[string]any{"account": acc.Key, "visitor_token": vt, "page": map[string]string{"url": "https://shop.example/3"}}); r.Path("online") != true {
		t.Fatalf("online with an operator connected: %s", r.Raw)
	}
	srv.Do("PATCH", "/api/v1/me", token, map[string]string{"status": "away"}).Want(t, http.StatusOK)
	if f := visitor.Next("presence"); f["online"] != false {
		t.Fatalf("presence after away: %v", f)
	}
	op.Conn.CloseNow()
}

func TestServerShutdownAsksClientsToReconnect(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	visitor := srv.DialVisitor(vt)
	srv.Close()
	visitor.Next("reconnect")
	if code := visitor.Closed(5 * time.Second); code != 1001 {
		t.Fatalf("close code %d, want 1001 going away", code)
	}
}

// A node that crashed cannot say that its operators and visitors are gone: once it is forgotten,
// the node that leads says it for it, for whom nobody else holds.
func TestTheLeadingNodeAnnouncesWhatACrashedNodeHeld(t *testing.T) {
	srv := testutil.NewServer(t, testutil.WithConfig(func(c *config.Config) { c.VisitorLeaveAfter = 300 * time.Millisecond }))
	alone := srv.Account(domain.KindWebsite, nil, "")
	helped := srv.Account(domain.KindWebsite, nil, "")
	_, aloneAdmin := srv.Operator(alone, domain.RoleAdmin)
	srv.Do("PATCH", "/api/v1/me", aloneAdmin, map[string]string{"status": "away"}).Want(t, http.StatusOK)
	_, helpedToken := srv.Operator(helped, domain.RoleAgent)
	srv.DialOperator(helpedToken)
	watcher := srv.DialOperator(aloneAdmin)

	aloneToken, _ := srv.Visitor(alone, "https://alone.example/")
	aloneVisitor := srv.DialVisitor(aloneToken)
	aloneVisitor.Next("presence")
	helpedToken2, _ := srv.Visitor(helped, "https://helped.example/")
	helpedVisitor := srv.DialVisitor(helpedToken2)
	helpedVisitor.Next("presence")

	// A node ("a-crashed", whose name comes first) holds an operator of each account and a
	// visitor of the first; it told the first account's visitors that someone answers.
	ghost := domain.NewID()
	crashed := live.PresenceMsg{Node: "a-crashed", Snapshot: true, Envelope: live.EnvelopeVersion,
		Visitors:  map[string][]string{alone.ID: {ghost}},
		Operators: map[string][]string{alone.ID: {domain.NewID()}, helped.ID: {domain.NewID()}}}
	payload, _ := json.Marshal(crashed)
	if err := srv.App.Bus.Publish(t.Context(), live.PresenceTopic, payload); err != nil {
		t.Fatal(err)
	}
	srv.App.Bus.Publish(t.Context(), bus.AccountVisitorsTopic(alone.ID), []byte(`{"type":"presence","online":true}`))
	if f := aloneVisitor.Next("presence"); f["online"] != true {
		t.Fatalf("the crashed node's announcement: %v", f)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !srv.App.Hub.VisitorOnline(ghost) {
		if time.Now().After(deadline) {
			t.Fatal("the crashed node's snapshot never arrived")
		}
		time.Sleep(10 * time.Millisecond)
	}

	srv.App.Hub.LoseNode("a-crashed")
	if f := aloneVisitor.Next("presence"); f["online"] != false {
		t.Fatalf("after the crashed node was forgotten: %v", f)
	}
	watcher.NextWhere("presence", func(f map[string]any) bool { return f["visitor_id"] == ghost && f["online"] == false })
	watcher.NextWhere("visitor", func(f map[string]any) bool { return f["visitor_id"] == ghost && f["event"] == "left" })
	// Someone of the other account answers here all along.
	helpedVisitor.Quiet("presence", 300*time.Millisecond)
}

// A portal visitor's socket hears the availability of the advertisers its page follows, at once
// and when it changes, and nothing of the portal's other advertisers.
func TestPortalVisitorsHearOnlyTheAdvertisersTheyFollow(t *testing.T) {
	srv := testutil.NewServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	north := srv.Account(domain.KindAdvertiser, portal, "north")
	south := srv.Account(domain.KindAdvertiser, portal, "south")
	_, northToken := srv.Operator(north, domain.RoleAgent)
	_, southToken := srv.Operator(south, domain.RoleAgent)
	dial := func(page string, follow ...string) *testutil.Socket {
		vt, _ := srv.Visitor(portal, page)
		s := srv.DialVisitor(vt)
		if f := s.Next("presence"); f["advertiser"] != nil {
			t.Fatalf("the greeting's presence names an advertiser: %v", f)
		}
		s.Send(map[string]any{"type": "follow", "advertisers": follow})
		return s
	}
	onNorth := dial("https://portal.example/north/1", "north", "nobody-of-ours", "north", "")
	if f := onNorth.Next("presence"); f["online"] != false || f["advertiser"] != "north" {
		t.Fatalf("north's availability on following it, nobody connected: %v", f)
	}
	// Once for north, nothing for an id that is no advertiser of the portal.
	onNorth.Quiet("presence", 200*time.Millisecond)
	onSouth := dial("https://portal.example/south/1", "south")
	if f := onSouth.NextWhere("presence", isAbout("south")); f["online"] != false {
		t.Fatalf("south's availability on following it: %v", f)
	}

	srv.DialOperator(northToken)
	if f := onNorth.NextWhere("presence", isAbout("north")); f["online"] != true {
		t.Fatalf("north's operator connected: %v", f)
	}
	onSouth.QuietWhere("presence", isAbout("north"), 300*time.Millisecond)

	// The page now follows south alone: it gets south's state at once, then south's changes,
	// and north's no more.
	onNorth.Send(map[string]any{"type": "follow", "advertisers": []string{"south"}})
	if f := onNorth.NextWhere("presence", isAbout("south")); f["online"] != false {
		t.Fatalf("south's availability on following it: %v", f)
	}
	srv.Do("PATCH", "/api/v1/me", northToken, map[string]string{"status": "away"}).Want(t, http.StatusOK)
	south2 := srv.DialOperator(southToken)
	for name, s := range map[string]*testutil.Socket{"north's page": onNorth, "south's page": onSouth} {
		if f := s.NextWhere("presence", isAbout("south")); f["online"] != true {
			t.Fatalf("%s: south's operator connected: %v", name, f)
		}
	}
	onNorth.QuietWhere("presence", isAbout("north"), 300*time.Millisecond)

	// The portal's backup operators answer for an advertiser nobody of whose is available.
	_, admin := srv.Operator(portal, domain.RoleAdmin)
	srv.DialOperator(admin)
	srv.Do("PUT", "/api/v1/portal/backup", admin, map[string]any{"enabled": true}).Want(t, http.StatusOK)
	south2.Conn.CloseNow()
	if f := onSouth.NextWhere("presence", isAbout("south")); f["online"] != true {
		t.Fatalf("south's operator gone, the portal's backup available: %v", f)
	}
	late := dial("https://portal.example/north/2", "north")
	if f := late.NextWhere("presence", isAbout("north")); f["online"] != true {
		t.Fatalf("following north (away) with the portal's backup available: %v", f)
	}
}

// The followers of an advertiser with nobody there hear when the portal's backup operators come
// and go, and when the portal turns backup on or off; those of an advertiser whose own operators
// answer hear nothing of it.
func TestFollowersHearThePortalsBackupOperators(t *testing.T) {
	srv, portal, _ := portalOfNorthAndSouth(t)
	_, admin := srv.Operator(portal, domain.RoleAdmin)
	backup, backupToken := srv.Operator(portal, domain.RoleAgent)
	srv.Do("PATCH", "/api/v1/me", backupToken, map[string]string{"status": "away"}).Want(t, http.StatusOK)
	srv.Do("PUT", "/api/v1/portal/backup", admin, map[string]any{"enabled": true, "operator_ids": []string{backup.ID}}).Want(t, http.StatusOK)
	vt, _ := srv.Visitor(portal, "https://portal.example/south/1")
	page := dialFollowing(t, srv, vt, "south")
	if f := page.NextWhere("presence", isAbout("south")); f["online"] != false {
		t.Fatalf("south, nobody there and the backup operator away: %v", f)
	}
	page.Send(map[string]any{"type": "follow", "advertisers": []string{"south", "north"}})
	if f := page.NextWhere("presence", isAbout("north")); f["online"] != true {
		t.Fatalf("north's availability on following it: %v", f)
	}

	// The portal's admin is no backup operator: nothing changes for south.
	srv.DialOperator(admin)
	page.QuietWhere("presence", isAbout("south"), 300*time.Millisecond)
	backupSocket := srv.DialOperator(backupToken)
	srv.Do("PATCH", "/api/v1/me", backupToken, map[string]string{"status": "online"}).Want(t, http.StatusOK)
	if f := page.NextWhere("presence", isAbout("south")); f["online"] != true {
		t.Fatalf("the backup operator online: %v", f)
	}
	srv.Do("PUT", "/api/v1/portal/backup", admin, map[string]any{"enabled": false}).Want(t, http.StatusOK)
	if f := page.NextWhere("presence", isAbout("south")); f["online"] != false {
		t.Fatalf("backup turned off: %v", f)
	}
	srv.Do("PUT", "/api/v1/portal/backup", admin, map[string]any{"enabled": true}).Want(t, http.StatusOK)
	if f := page.NextWhere("presence", isAbout("south")); f["online"] != true {
		t.Fatalf("backup turned on, every portal operator a backup operator: %v", f)
	}
	srv.Do("PUT", "/api/v1/portal/backup", admin, map[string]any{"enabled": true, "operator_ids": []string{backup.ID}}).Want(t, http.StatusOK)
	backupSocket.Conn.CloseNow()
	if f := page.NextWhere("presence", isAbout("south")); f["online"] != false {
		t.Fatalf("the backup operator gone: %v", f)
	}
	// North's own operator answered all along.
	page.QuietWhere("presence", isAbout("north"), 300*time.Millisecond)
}

// A listing page's socket names the listing's advertiser in its URL: it follows it from the
// start, its availability in the greeting, until a follow frame replaces the list.
func TestAListingPageSocketFollowsItsAdvertiserFromTheStart(t *testing.T) {
	srv, portal, northToken := portalOfNorthAndSouth(t)
	vt, _ := srv.Visitor(portal, "https://portal.example/north/1")
	page := dialFollowing(t, srv, vt, "north")
	if f := page.Next("presence"); f["advertiser"] != nil {
		t.Fatalf("the account's presence first: %v", f)
	}
	if f := page.Next("presence"); f["advertiser"] != "north" || f["online"] != true {
		t.Fatalf("the greeting's presence of the listing's advertiser: %v", f)
	}
	srv.Do("PATCH", "/api/v1/me", northToken, map[string]string{"status": "away"}).Want(t, http.StatusOK)
	if f := page.NextWhere("presence", isAbout("north")); f["online"] != false {
		t.Fatalf("north's operator away: %v", f)
	}
	page.Send(map[string]any{"type": "follow", "advertisers": []string{"south"}})
	if f := page.NextWhere("presence", isAbout("south")); f["online"] != false {
		t.Fatalf("south's availability on following it: %v", f)
	}
	srv.Do("PATCH", "/api/v1/me", northToken, map[string]string{"status": "online"}).Want(t, http.StatusOK)
	page.QuietWhere("presence", isAbout("north"), 300*time.Millisecond)

	// An id that names no advertiser of the portal follows nothing.
	other, _ := srv.Visitor(portal, "https://portal.example/x")
	stray := dialFollowing(t, srv, other, "nobody")
	stray.Next("presence")
	stray.Quiet("presence", 200*time.Millisecond)
}

// A client that sends follow lists one after the other gets the last one applied, the ones in
// between skipped: each list applied costs the node a lookup of every advertiser in it.
func TestABurstOfFollowListsEndsOnTheLast(t *testing.T) {
	srv := testutil.NewServer(t)
	portal := srv.Account(domain.KindPortal, nil, "")
	const lists = 20
	for i := range lists {
		srv.Account(domain.KindAdvertiser, portal, fmt.Sprintf("adv-%d", i))
	}
	vt, _ := srv.Visitor(portal, "https://portal.example/")
	visitor := srv.DialVisitor(vt)
	visitor.Next("presence")
	for i := range lists {
		visitor.Send(map[string]any{"type": "follow", "advertisers": []string{fmt.Sprintf("adv-%d", i)}})
		time.Sleep(10 * time.Millisecond) // time enough to apply each, were they not spaced
	}
	last := fmt.Sprintf("adv-%d", lists-1)
	applied := 1
	for f := visitor.Next("presence"); f["advertiser"] != last; f = visitor.Next("presence") {
		applied++
	}
	// The first list, one or two more if the sends took over a second, and the last.
	if applied > 4 {
		t.Fatalf("%d of %d follow lists sent within a fraction of a second were applied", applied, lists)
	}
}

// A follow list is cut to its first maxFollowed distinct ids, without blanks or overlong ids.
func TestFollowListsAreBounded(t *testing.T) {
	long := strings.Repeat("é", live.MaxExternalIDRunes+1)
	var many []string
	for i := range live.MaxFollowed + 10 {
		many = append(many, fmt.Sprintf("adv-%d", i))
	}
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{[]string{" a ", "", "a", long, "b", "  "}, []string{"a", "b"}},
		{many, many[:live.MaxFollowed]},
		{nil, []string{}},
	} {
		if got := live.CleanFollowed(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("CleanFollowed(%d ids) = %v, want %v", len(tc.in), got, tc.want)
		}
	}
}

func TestSigningOutClosesTheOperatorsSockets(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	_, otherToken := srv.Operator(acc, domain.RoleAgent)
	mine, other := srv.DialOperator(token), srv.DialOperator(otherToken)
	srv.Do("POST", "/api/v1/auth/logout", token, nil).Want(t, http.StatusNoContent)
	if code := mine.Closed(5 * time.Second); code != 4401 {
		t.Fatalf("close code %d, want 4401", code)
	}
	other.Send(map[string]string{"type": "ping"})
	other.Next("pong")
}

// A burst of visitors reaches the console whole and in order, but in a few bus messages (and
// so a few socket writes per operator) rather than one per visitor and frame.
func TestABurstOfVisitorsReachesTheConsoleInFewMessages(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	_, colleagueToken := srv.Operator(acc, domain.RoleAgent)
	presence, list := srv.DialOperator(token), srv.DialOperator(colleagueToken)
	var mu sync.Mutex
	messages := 0
	unsubscribe, err := srv.App.Bus.Subscribe(bus.AccountTopic(acc.ID), func([]byte) {
		mu.Lock()
		messages++
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()

	const burst = 40
	tokens, ids := make([]string, burst), make([]string, burst)
	for i := range burst {
		tokens[i], ids[i] = srv.Visitor(acc, fmt.Sprintf("https://shop.example/p/%d", i))
	}
	for _, vt := range tokens {
		srv.DialVisitor(vt)
	}
	for _, id := range ids {
		presence.NextWhere("presence", func(f map[string]any) bool { return f["online"] == true && f["visitor_id"] == id })
	}
	announced := map[string]bool{}
	for len(announced) < burst {
		f := list.NextWhere("visitor", func(f map[string]any) bool { return f["event"] == "online" })
		id, _ := testutil.Field(f, "visitor", "id").(string)
		if announced[id] {
			t.Fatalf("visitor %s announced twice", id)
		}
		announced[id] = true
	}
	for _, id := range ids {
		if !announced[id] {
			t.Fatalf("visitor %s never announced", id)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Each visitor's two frames one by one would be 80 messages.
	if messages > burst {
		t.Fatalf("%d bus messages for %d visitors' arrivals", messages, burst)
	}
	t.Logf("%d visitors' arrivals in %d bus messages", burst, messages)
}

// During a rolling upgrade, a node of an earlier version reads only JSON envelopes: while one
// says so on the bus, this node publishes JSON that such a node reads, and its own operators
// still get every event; once it has gone, binary again.
func TestAnOlderNodeOnTheBusGetsEnvelopesItReads(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	operator := srv.DialOperator(token)
	payloads := make(chan []byte, 64)
	unsubscribe, err := srv.App.Bus.Subscribe(bus.AccountTopic(acc.ID), func(p []byte) { payloads <- p })
	if err != nil {
		t.Fatal(err)
	}
	defer unsubscribe()
	olderNodeSays := func(presence string, wantJSON bool) {
		t.Helper()
		if err := srv.App.Bus.Publish(t.Context(), "presence", []byte(presence)); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for srv.App.Hub.PublishesJSONEnvelopes() != wantJSON {
			if time.Now().After(deadline) {
				t.Fatalf("after %s: JSON envelopes = %v", presence, !wantJSON)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	// The envelope as nodes before the binary layout read it.
	type olderEnvelope struct {
		Audience struct {
			Everyone bool `json:"e"`
		} `json:"a"`
		Frame json.RawMessage `json:"f"`
	}
	nextCreated := func() []byte {
		t.Helper()
		for {
			select {
			case p := <-payloads:
				if bytes.Contains(p, []byte(`"event":"created"`)) {
					return p
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no envelope with the new conversation on the account's topic")
			}
		}
	}

	olderNodeSays(`{"n":"web-old","snap":true}`, true)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "hello")
	var older olderEnvelope
	if err := json.Unmarshal(nextCreated(), &older); err != nil || !older.Audience.Everyone || testutil.Field(decode(t, older.Frame), "conversation", "id") != id {
		t.Fatalf("the older node cannot read the envelope: %+v, %v", older, err)
	}
	if f := operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }); testutil.Field(f, "conversation", "id") != id {
		t.Fatalf("this node's operator got %v", f)
	}

	olderNodeSays(`{"n":"web-old","bye":true}`, false)
	vt2, _ := srv.Visitor(acc, "https://shop.example/next")
	id2 := srv.StartChat(vt2, "hello again")
	if p := nextCreated(); p[0] == '{' {
		t.Fatalf("still JSON with every node reading binary: %.80s", p)
	}
	if f := operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }); testutil.Field(f, "conversation", "id") != id2 {
		t.Fatalf("this node's operator got %v", f)
	}
}

func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// After the bus lost events, every client of the node is sent to reconnect (and so to fetch what
// it missed), operators and visitors alike, each with the reconnect frame and a close.
func TestABusGapSendsEveryClientToCatchUp(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	operator := srv.DialOperator(token)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	visitor := srv.DialVisitor(vt)
	srv.App.Hub.BusGap()
	for _, s := range []*testutil.Socket{operator, visitor} {
		s.Next("reconnect")
		if code := s.Closed(5 * time.Second); code != 1001 {
			t.Fatalf("closed with %d, want 1001 (going away)", code)
		}
	}
	// The node takes them back at once (Dial waits for their hello).
	srv.DialOperator(token)
	srv.DialVisitor(vt)
	metrics := testutil.DoHeaders(t, "GET", srv.URL+"/metrics", "", nil, nil).Want(t, http.StatusOK)
	if !bytes.Contains(metrics.Raw, []byte("\nportico_bus_gaps_total 1\n")) {
		t.Error("/metrics does not count the catch-up in portico_bus_gaps_total")
	}
}

// A client that asks for resync frames (?resync=1) catches up after a gap on the socket it has:
// it gets `resync`, not `reconnect`, and its socket stays open and live; a client that did not
// ask, such as a widget loaded before resync existed, is still sent to reconnect.
func TestABusGapResyncsTheClientsThatAskForIt(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	wsURL := strings.Replace(srv.URL, "http", "ws", 1)
	operator := testutil.Dial(t, wsURL+"/api/v1/ws?resync=1&token="+token, nil)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	visitor := testutil.Dial(t, wsURL+"/api/v1/widget/ws?resync=1&token="+vt, nil)
	older := srv.DialVisitor(vt)
	srv.App.Hub.BusGap()
	operator.Next("resync")
	visitor.Next("resync")
	older.Next("reconnect")
	if code := older.Closed(5 * time.Second); code != 1001 {
		t.Fatalf("the older client's socket closed with %d, want 1001 (going away)", code)
	}
	// The resynced sockets still carry events.
	id := srv.StartChat(vt, "after the resync")
	if f := operator.NextWhere("conversation", func(f map[string]any) bool { return f["event"] == "created" }); testutil.Field(f, "conversation", "id") != id {
		t.Fatalf("operator got %v", f)
	}
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", token, nil).Want(t, http.StatusOK)
	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", token, map[string]string{"body": "still live", "client_msg_id": "r1"}).Want(t, http.StatusCreated)
	if f := visitor.NextWhere("message", func(f map[string]any) bool { return testutil.Field(f, "message", "author", "type") == "operator" }); testutil.Field(f, "message", "body") != "still live" {
		t.Fatalf("visitor got %v", f)
	}
}

// A catch-up does not send a node's clients back all at once: a batch at a time, the operators
// first, whom a missed new chat waits on.
func TestACatchUpSendsOperatorsFirstAndPacesTheRest(t *testing.T) {
	srv := testutil.NewServer(t)
	srv.App.Hub.PaceCatchUps(2, time.Second)
	acc := srv.Account(domain.KindWebsite, nil, "")
	var visitors []*testutil.Socket
	for i := range 2 {
		vt, _ := srv.Visitor(acc, fmt.Sprintf("https://shop.example/%d", i))
		visitors = append(visitors, srv.DialVisitor(vt))
	}
	var operators []*testutil.Socket
	for range 2 {
		_, token := srv.Operator(acc, domain.RoleAgent)
		operators = append(operators, srv.DialOperator(token))
	}
	srv.App.Hub.BusGap()
	for _, s := range operators {
		s.Next("reconnect")
	}
	// The visitors' batch comes a second after the operators'.
	for _, s := range visitors {
		s.Quiet("reconnect", 100*time.Millisecond)
	}
	for _, s := range visitors {
		s.Next("reconnect")
	}
}

// isAbout keeps the frames about the advertiser with that external id.
func isAbout(advertiser string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f["advertiser"] == advertiser }
}

// portalOfNorthAndSouth is a portal with two advertisers, north (its operator connected) and
// south (nobody).
func portalOfNorthAndSouth(t *testing.T) (srv *testutil.Server, portal *domain.Account, northToken string) {
	srv = testutil.NewServer(t)
	portal = srv.Account(domain.KindPortal, nil, "")
	north := srv.Account(domain.KindAdvertiser, portal, "north")
	srv.Account(domain.KindAdvertiser, portal, "south")
	_, northToken = srv.Operator(north, domain.RoleAgent)
	srv.DialOperator(northToken)
	return srv, portal, northToken
}

// dialFollowing opens a visitor's socket that follows the advertiser from the start, as a
// listing page's does.
func dialFollowing(t *testing.T, srv *testutil.Server, visitorToken, advertiser string) *testutil.Socket {
	return testutil.Dial(t, strings.Replace(srv.URL, "http", "ws", 1)+"/api/v1/widget/ws?token="+visitorToken+"&follow="+advertiser, nil)
}
