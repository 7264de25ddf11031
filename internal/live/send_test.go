package live_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// sent waits for the `sent` answer to the message with client id cid.
func sent(t *testing.T, s *testutil.Socket, cid string) map[string]any {
	t.Helper()
	return s.NextWhere("sent", func(f map[string]any) bool { return f["client_msg_id"] == cid })
}

func sendFrame(conversationID, body, cid string) map[string]any {
	return map[string]any{"type": "send", "conversation_id": conversationID, "body": body, "client_msg_id": cid}
}

func TestMessagesSentOverTheSocket(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	other := srv.Account(domain.KindWebsite, nil, "")
	me, myToken := srv.Operator(acc, domain.RoleAgent)
	_, colleagueToken := srv.Operator(acc, domain.RoleAgent)
	_, strangerToken := srv.Operator(other, domain.RoleAdmin)
	mine, colleague, stranger := srv.DialOperator(myToken), srv.DialOperator(colleagueToken), srv.DialOperator(strangerToken)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	visitor := srv.DialVisitor(vt)
	id := srv.StartChat(vt, "hello")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", myToken, nil).Want(t, http.StatusOK)
	for _, s := range []*testutil.Socket{mine, visitor} {
		if s.Hello["send"] != true {
			t.Fatalf("hello without send: %v", s.Hello)
		}
	}

	visitor.Send(sendFrame(id, "  <b>is it in stock?</b>\n", "v1"))
	ack := sent(t, visitor, "v1")
	if ack["status"] != float64(http.StatusCreated) || testutil.Field(ack, "message", "seq") != float64(2) ||
		testutil.Field(ack, "message", "body") != "<b>is it in stock?</b>" || ack["error"] != nil {
		t.Fatalf("visitor's ack: %v", ack)
	}
	if f := mine.Next("message"); testutil.Field(f, "message", "client_msg_id") != "v1" || testutil.Field(f, "message", "author", "type") != "visitor" {
		t.Fatalf("operator got %v", f)
	}
	// A repeat (the ack was lost) is answered with the original and stored once.
	visitor.Send(sendFrame(id, "<b>is it in stock?</b>", "v1"))
	if again := sent(t, visitor, "v1"); again["status"] != float64(http.StatusOK) || testutil.Field(again, "message", "id") != testutil.Field(ack, "message", "id") {
		t.Fatalf("repeat's ack: %v", again)
	}
	mine.QuietWhere("message", func(f map[string]any) bool { return testutil.Field(f, "message", "client_msg_id") == "v1" }, 200*time.Millisecond)

	mine.Send(sendFrame(id, "yes", "o1"))
	if f := sent(t, mine, "o1"); f["status"] != float64(http.StatusCreated) || testutil.Field(f, "message", "author", "id") != me.ID {
		t.Fatalf("operator's ack: %v", f)
	}
	if f := visitor.Next("message"); testutil.Field(f, "message", "body") != "yes" || testutil.Field(f, "message", "seq") != float64(3) {
		t.Fatalf("visitor got %v", f)
	}

	// Refusals say why, as REST does, and store nothing.
	refusals := []struct {
		socket      *testutil.Socket
		frame       map[string]any
		status      float64
		code, field string
	}{
		{visitor, sendFrame(id, "   ", "v-empty"), http.StatusUnprocessableEntity, "message_empty", "body"},
		{visitor, sendFrame(id, "hi", ""), http.StatusUnprocessableEntity, "invalid_client_msg_id", "client_msg_id"},
		{mine, sendFrame(id, string(make([]rune, 5001)), "o-long"), http.StatusUnprocessableEntity, "message_too_long", "body"},
		{colleague, sendFrame(id, "may I?", "c1"), http.StatusForbidden, "forbidden", ""},
		{stranger, sendFrame(id, "hi there", "s1"), http.StatusNotFound, "not_found", ""},
		{visitor, sendFrame("no-such-conversation", "hi", "v-lost"), http.StatusNotFound, "not_found", ""},
	}
	for _, r := range refusals {
		r.socket.Send(r.frame)
		f := sent(t, r.socket, r.frame["client_msg_id"].(string))
		if f["status"] != r.status || testutil.Field(f, "error", "code") != r.code || f["message"] != nil {
			t.Errorf("%v: answered %v, want %v %s", r.frame["body"], f, r.status, r.code)
		}
		if r.field != "" && testutil.Field(f, "error", "field") != r.field {
			t.Errorf("%v: field %v, want %s", r.frame["body"], testutil.Field(f, "error", "field"), r.field)
		}
	}
	if got := srv.Do("GET", "/api/v1/conversations/"+id+"/messages?after=0", myToken, nil).Path("messages"); len(got.([]any)) != 3 {
		t.Fatalf("stored %d messages, want 3: %v", len(got.([]any)), got)
	}

	srv.Do("POST", "/api/v1/conversations/"+id+"/close", myToken, map[string]any{}).Want(t, http.StatusOK)
	visitor.Send(sendFrame(id, "one more thing", "v-late"))
	if f := sent(t, visitor, "v-late"); f["status"] != float64(http.StatusConflict) || testutil.Field(f, "error", "code") != "conversation_closed" {
		t.Fatalf("closed chat's ack: %v", f)
	}
}

// The connection a message was sent over gets it in its `sent` answer and not again as a
// `message` frame; the sender's other connections (a second tab) and the other side get the
// frame, and a message sent over REST still comes to all of the sender's sockets.
func TestSocketSendIsNotEchoedToItsSocket(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	console, secondConsole := srv.DialOperator(token), srv.DialOperator(token)
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	widget, secondTab := srv.DialVisitor(vt), srv.DialVisitor(vt)
	id := srv.StartChat(vt, "hello")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", token, nil).Want(t, http.StatusOK)

	for _, c := range []struct {
		cid                         string
		from, sameSender, otherSide *testutil.Socket
	}{
		{"v1", widget, secondTab, console},
		{"o1", console, secondConsole, widget},
	} {
		c.from.Send(sendFrame(id, "message "+c.cid, c.cid))
		ack := c.from.NextWithoutWhere("sent", func(f map[string]any) bool { return f["client_msg_id"] == c.cid }, testutil.MessageFrame(c.cid))
		if ack["status"] != float64(http.StatusCreated) || testutil.Field(ack, "message", "body") != "message "+c.cid {
			t.Fatalf("%s: answered %v", c.cid, ack)
		}
		for _, s := range []*testutil.Socket{c.sameSender, c.otherSide} {
			if f := s.NextWhere("message", testutil.MessageFrame(c.cid)); testutil.Field(f, "message", "id") != testutil.Field(ack, "message", "id") {
				t.Fatalf("%s: got %v, answered %v", c.cid, f, ack)
			}
		}
		c.from.QuietWhere("message", testutil.MessageFrame(c.cid), 200*time.Millisecond)
	}

	srv.Do("POST", "/api/v1/conversations/"+id+"/messages", token, map[string]string{"body": "over REST", "client_msg_id": "o-rest"}).Want(t, http.StatusCreated)
	for _, s := range []*testutil.Socket{console, secondConsole, widget} {
		s.NextWhere("message", testutil.MessageFrame("o-rest"))
	}
}

func TestSocketSendsKeepTheirOrder(t *testing.T) {
	srv := testutil.NewServer(t)
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, token := srv.Operator(acc, domain.RoleAgent)
	op := srv.DialOperator(token)
	var chats []string
	for i := range 3 {
		vt, _ := srv.Visitor(acc, fmt.Sprintf("https://shop.example/%d", i))
		id := srv.StartChat(vt, "hello")
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", token, nil).Want(t, http.StatusOK)
		chats = append(chats, id)
	}
	const each = 10
	for n := range each {
		for _, id := range chats {
			op.Send(sendFrame(id, fmt.Sprintf("reply %d", n), fmt.Sprintf("%s-%d", id, n)))
		}
	}
	// Each chat's replies are stored, and answered, in the order they were sent, whatever the
	// others do.
	next := map[string]int{}
	for range each * len(chats) {
		f := op.Next("sent")
		id := testutil.Field(f, "message", "conversation_id").(string)
		if f["client_msg_id"] != fmt.Sprintf("%s-%d", id, next[id]) || f["status"] != float64(http.StatusCreated) ||
			testutil.Field(f, "message", "seq") != float64(next[id]+2) {
			t.Fatalf("after %d replies in %s: %v", next[id], id, f)
		}
		next[id]++
	}
}

// TestSocketSendsAreBounded holds the database's write lock so that the messages of one
// connection pile up: those beyond the bound are refused at once (429), none is lost, and
// the node's shutdown answers what it was storing before sending its clients away.
func TestSocketSendsAreBounded(t *testing.T) {
	dir := t.TempDir()
	srv := testutil.NewServer(t, testutil.WithStore(testutil.OpenSQLiteAt(t, dir)))
	acc := srv.Account(domain.KindWebsite, nil, "")
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	visitor := srv.DialVisitor(vt)
	id := srv.StartChat(vt, "hello")

	lock, err := testutil.OpenSQLiteFile(t, dir).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	const sends = 40
	for n := range sends {
		visitor.Send(sendFrame(id, fmt.Sprintf("message %d", n), fmt.Sprintf("m%d", n)))
	}
	// All 40 came in while the first waits for the lock: the 33rd on are refused.
	for n := 32; n < sends; n++ {
		f := sent(t, visitor, fmt.Sprintf("m%d", n))
		if f["status"] != float64(http.StatusTooManyRequests) || testutil.Field(f, "error", "code") != "rate_limited" {
			t.Fatalf("message %d: %v", n, f)
		}
	}
	shutdown := make(chan struct{})
	go func() {
		defer close(shutdown)
		srv.Close()
	}()
	time.Sleep(200 * time.Millisecond) // the shutdown waits for the message being stored
	if _, err := lock.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	lock.Close()
	first := sent(t, visitor, "m0")
	if first["status"] != float64(http.StatusCreated) {
		t.Fatalf("the message being stored at shutdown: %v", first)
	}
	// The node stores nothing more: the rest are refused (503), and the client sends them again
	// after the reconnect that follows.
	for n := 1; n < 32; n++ {
		if f := sent(t, visitor, fmt.Sprintf("m%d", n)); f["status"] != float64(http.StatusServiceUnavailable) || testutil.Field(f, "error", "code") != "shutting_down" {
			t.Fatalf("message %d at shutdown: %v", n, f)
		}
	}
	visitor.Next("reconnect")
	<-shutdown
	if n := testutil.Count(t, testutil.OpenSQLiteFile(t, dir), "SELECT count(*) FROM messages"); n != 2 {
		t.Fatalf("%d messages stored, want the first and m0", n)
	}
}
