package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/testutil"
)

// eachBackend runs a scenario on a server over SQLite and over PostgreSQL.
func eachBackend(t *testing.T, fn func(t *testing.T, srv *testutil.Server)) {
	for _, b := range testutil.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, testutil.NewServer(t, testutil.WithStore(b.Open(t))))
		})
	}
}

func TestClaimRaceHasExactlyOneWinner(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		const n = 20
		tokens := make([]string, n)
		for i := range tokens {
			_, tokens[i] = srv.Operator(acc, domain.RoleAgent)
		}
		vt, _ := srv.Visitor(acc, "https://shop.example/")
		id := srv.StartChat(vt, "anyone there?")

		var wg sync.WaitGroup
		results := make([]*testutil.Response, n)
		start := make(chan struct{})
		for i := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i] = srv.Do("POST", "/api/v1/conversations/"+id+"/claim", tokens[i], nil)
			}()
		}
		close(start)
		wg.Wait()

		var winner string
		ok, lost := 0, 0
		for _, r := range results {
			switch r.Status {
			case http.StatusOK:
				ok++
				winner = r.String("conversation", "owner_id")
			case http.StatusConflict:
				lost++
			default:
				t.Fatalf("claim answered %d: %s", r.Status, r.Raw)
			}
		}
		if ok != 1 || lost != n-1 {
			t.Fatalf("%d won and %d lost; want 1 and %d", ok, lost, n-1)
		}
		for _, r := range results {
			if r.Status == http.StatusConflict {
				r.WantError(t, http.StatusConflict, "already_claimed")
				if r.String("owner", "id") != winner {
					t.Fatalf("loser told the owner is %v, want %s", r.Path("owner"), winner)
				}
			}
		}
	})
}

func TestResendingReturnsTheOriginal(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, op := srv.Operator(acc, domain.RoleAgent)
		vt, _ := srv.Visitor(acc, "https://shop.example/")
		id := srv.StartChat(vt, "hello")
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", op, nil).Want(t, http.StatusOK)

		msg := map[string]string{"body": "is it in stock?", "client_msg_id": "c-42"}
		first := srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt, msg).Want(t, http.StatusCreated)
		again := srv.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt, msg).Want(t, http.StatusOK)
		if first.Path("message", "seq") != again.Path("message", "seq") || first.String("message", "id") != again.String("message", "id") {
			t.Fatalf("repeat answered %s, want the original %s", again.Raw, first.Raw)
		}
		reply := map[string]string{"body": "yes", "client_msg_id": "o-1"}
		srv.Do("POST", "/api/v1/conversations/"+id+"/messages", op, reply).Want(t, http.StatusCreated)
		srv.Do("POST", "/api/v1/conversations/"+id+"/messages", op, reply).Want(t, http.StatusOK)

		all := srv.Do("GET", "/api/v1/conversations/"+id+"/messages", op, nil).Want(t, http.StatusOK).List("messages")
		if len(all) != 3 {
			t.Fatalf("%d messages stored, want 3 (no duplicates): %v", len(all), all)
		}
	})
}

func TestAfterSeqReturnsExactlyTheMissedMessages(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, op := srv.Operator(acc, domain.RoleAgent)
		vt, _ := srv.Visitor(acc, "https://shop.example/")
		id := srv.StartChat(vt, "m1")
		srv.Do("POST", "/api/v1/conversations/"+id+"/claim", op, nil).Want(t, http.StatusOK)
		for i := 2; i <= 7; i++ {
			who, path := vt, "/api/v1/widget/conversations/"
			if i%2 == 0 {
				who, path = op, "/api/v1/conversations/"
			}
			srv.Do("POST", path+id+"/messages", who, map[string]string{"body": fmt.Sprint("m", i), "client_msg_id": fmt.Sprint("id", i)}).
				Want(t, http.StatusCreated)
		}
		for _, side := range []struct{ token, path string }{{vt, "/api/v1/widget/conversations/"}, {op, "/api/v1/conversations/"}} {
			got := srv.Do("GET", side.path+id+"/messages?after=4", side.token, nil).Want(t, http.StatusOK).List("messages")
			var bodies []string
			for _, m := range got {
				bodies = append(bodies, m.(map[string]any)["body"].(string))
			}
			if strings.Join(bodies, ",") != "m5,m6,m7" {
				t.Fatalf("after=4 gave %v, want m5,m6,m7", bodies)
			}
		}
		srv.Do("GET", "/api/v1/conversations/"+id+"/messages?after=-1", op, nil).WantError(t, http.StatusUnprocessableEntity, "invalid_field")
	})
}

func TestDataSurvivesARestart(t *testing.T) {
	dir := t.TempDir()
	first := testutil.NewServer(t, testutil.WithStore(testutil.OpenSQLiteAt(t, dir)))
	acc := first.Account(domain.KindWebsite, nil, "")
	_, op := first.Operator(acc, domain.RoleAdmin)
	vt, _ := first.Visitor(acc, "https://shop.example/")
	id := first.StartChat(vt, "before the restart")
	first.Do("POST", "/api/v1/conversations/"+id+"/claim", op, nil).Want(t, http.StatusOK)
	first.Close()
	first.Store.Close()

	second := testutil.NewServer(t, testutil.WithStore(testutil.OpenSQLiteAt(t, dir)))
	// The operator's session, the visitor's token and the conversation all survive.
	c := second.Do("GET", "/api/v1/conversations/"+id, op, nil).Want(t, http.StatusOK)
	if c.String("conversation", "status") != "active" {
		t.Fatalf("after restart: %s", c.Raw)
	}
	msgs := second.Do("GET", "/api/v1/widget/conversations/"+id+"/messages", vt, nil).Want(t, http.StatusOK).List("messages")
	if len(msgs) != 1 || msgs[0].(map[string]any)["body"] != "before the restart" {
		t.Fatalf("messages after restart: %v", msgs)
	}
	second.Do("POST", "/api/v1/widget/conversations/"+id+"/messages", vt, map[string]string{"body": "after", "client_msg_id": "x"}).Want(t, http.StatusCreated)
}

func TestStartingTwiceWithTheSameClientIDIsOneConversation(t *testing.T) {
	eachBackend(t, func(t *testing.T, srv *testutil.Server) {
		acc := srv.Account(domain.KindWebsite, nil, "")
		_, op := srv.Operator(acc, domain.RoleAdmin)
		vt, _ := srv.Visitor(acc, "https://shop.example/")
		start := map[string]any{"message": map[string]string{"body": "hello", "client_msg_id": "first-1"}}
		results := make([]*testutil.Response, 5)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = srv.Do("POST", "/api/v1/widget/conversations", vt, start)
			}()
		}
		wg.Wait()
		created, id := 0, ""
		for _, r := range results {
			if r.Status == http.StatusCreated {
				created++
			} else {
				r.Want(t, http.StatusOK)
			}
			if id != "" && r.String("conversation", "id") != id {
				t.Fatalf("two conversations: %s and %s", id, r.String("conversation", "id"))
			}
			id = r.String("conversation", "id")
		}
		if created != 1 {
			t.Fatalf("%d answers said created, want exactly 1", created)
		}
		if l := srv.Do("GET", "/api/v1/conversations", op, nil).List("conversations"); len(l) != 1 {
			t.Fatalf("%d conversations stored, want 1", len(l))
		}
	})
}
