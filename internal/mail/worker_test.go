package mail_test

import (
	"context"
	"log/slog"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/store/postgres"
	"github.com/portico/portico/internal/testutil"
)

// closedChat starts a chat, has an admin claim it and close it with a new category; it returns
// the conversation id and the category's address.
func closedChat(t *testing.T, srv *testutil.Server) (string, string) {
	t.Helper()
	acc := srv.Account(domain.KindWebsite, nil, "")
	_, admin := srv.Operator(acc, domain.RoleAdmin)
	to := "sales-" + strings.ToLower(domain.NewSecret(3)) + "@shop.example"
	cat := srv.Do("POST", "/api/v1/categories", admin, map[string]string{"name": "Sales", "email": to}).Want(t, 201).String("category", "id")
	vt, _ := srv.Visitor(acc, "https://shop.example/")
	id := srv.StartChat(vt, "hello")
	srv.Do("POST", "/api/v1/conversations/"+id+"/claim", admin, nil).Want(t, 200)
	srv.Do("POST", "/api/v1/conversations/"+id+"/close", admin, map[string]string{"category_id": cat}).Want(t, 200)
	return id, to
}

// pending is the conversation's mail that is neither sent nor given up.
func pending(t *testing.T, s store.Store, conversationID string) []domain.OutboxMail {
	t.Helper()
	all, err := s.ConversationMail(context.Background(), conversationID)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(all, func(m domain.OutboxMail) bool { return m.SentAt != nil || m.FailedAt != nil })
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 10 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The mail server is down (connection refused) for several attempts, then up: the transcript
// arrives, once.
func TestMailWaitsForTheServerAndArrivesOnce(t *testing.T) {
	smtpSrv := testutil.ReserveSMTPServer(t) // nothing listens yet
	srv := testutil.NewServer(t, testutil.WithSMTP(smtpSrv.URL()), testutil.WithMailWorker(testutil.FastMail))
	id, to := closedChat(t, srv)

	var row domain.OutboxMail
	eventually(t, "three failed attempts recorded", func() bool {
		p := pending(t, srv.Store, id)
		if len(p) == 1 {
			row = p[0]
		}
		return len(p) == 1 && row.Attempts >= 3
	})
	if !strings.Contains(row.LastError, "refused") || row.SentAt != nil {
		t.Fatalf("while the server is down: %+v", row)
	}

	smtpSrv.Start()
	got := smtpSrv.WaitFor(1, 10*time.Second)
	time.Sleep(300 * time.Millisecond) // many polls: a second copy would show
	if got = smtpSrv.Mails(); len(got) != 1 || got[0].To[0] != to {
		t.Fatalf("received %d mails, want exactly 1 to %s", len(got), to)
	}
	sent, err := srv.Store.MailByID(context.Background(), row.ID)
	if err != nil || sent.SentAt == nil || sent.LastError != "" {
		t.Fatalf("after delivery: %+v, %v", sent, err)
	}
	if n, _ := srv.Store.OutboxDepth(context.Background()); n != 0 {
		t.Fatalf("outbox depth %d after delivery", n)
	}
}

// A mail that still fails three days after it was queued is given up, with its last error.
func TestMailIsGivenUpAfterThreeDays(t *testing.T) {
	smtpSrv := testutil.ReserveSMTPServer(t)
	srv := testutil.NewServer(t, testutil.WithSMTP(smtpSrv.URL()), testutil.WithMailWorker(func(w *mail.Worker) {
		testutil.FastMail(w)
		w.Now = func() time.Time { return time.Now().Add(mail.DefaultGiveUpAfter + time.Hour) }
	}))
	id, _ := closedChat(t, srv)
	queued, err := srv.Store.ConversationMail(context.Background(), id)
	if err != nil || len(queued) != 1 {
		t.Fatalf("mail queued by the close: %v, %v", queued, err)
	}
	rowID := queued[0].ID
	eventually(t, "the mail is given up", func() bool {
		m, err := srv.Store.MailByID(context.Background(), rowID)
		return err == nil && m.FailedAt != nil
	})
	m, _ := srv.Store.MailByID(context.Background(), rowID)
	if m.Attempts != 1 || !strings.Contains(m.LastError, "refused") || m.SentAt != nil {
		t.Fatalf("given up: %+v", m)
	}
	smtpSrv.Start()
	time.Sleep(200 * time.Millisecond)
	if n := len(smtpSrv.Mails()); n != 0 {
		t.Fatalf("a given-up mail was sent (%d)", n)
	}
}

// Two nodes' workers on one database race for the same rows: every mail is sent once.
func TestTwoWorkersSendEachMailOnce(t *testing.T) {
	for _, b := range testutil.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			var a, c store.Store
			if b.URL != nil {
				url := b.URL(t)
				a, c = openPostgres(t, url), openPostgres(t, url)
			} else {
				dir := t.TempDir()
				a, c = testutil.OpenSQLiteAt(t, dir), testutil.OpenSQLiteAt(t, dir)
			}
			srv := testutil.NewServer(t, testutil.WithStore(a)) // no mail server: its own worker sends nothing
			acc := srv.Account(domain.KindWebsite, nil, "")
			srv.Operator(acc, domain.RoleAdmin)
			vt, _ := srv.Visitor(acc, "https://shop.example/")
			const n = 30
			for i := range n {
				srv.Do("POST", "/api/v1/widget/offline-messages", vt, map[string]string{
					"name": "Ada", "email": "ada@example.com", "body": "message " + string(rune('A'+i%26)),
				}).Want(t, 202)
			}
			smtpSrv := testutil.NewSMTPServer(t)
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for _, s := range []store.Store{a, c} {
				sender, err := mail.ParseSMTPURL(smtpSrv.URL())
				if err != nil {
					t.Fatal(err)
				}
				w := mail.NewWorker(s, sender, &netmail.Address{Address: "portico@chat.example"}, srv.URL, slog.New(slog.DiscardHandler))
				testutil.FastMail(w)
				w.Batch = n
				wg.Add(1)
				go func() {
					defer wg.Done()
					w.Run(ctx)
				}()
			}
			smtpSrv.WaitFor(n, 20*time.Second)
			time.Sleep(300 * time.Millisecond)
			cancel()
			wg.Wait()
			got := smtpSrv.Mails()
			ids := map[string]bool{}
			for _, m := range got {
				ids[m.Header.Get("Message-Id")] = true
			}
			if len(got) != n || len(ids) != n {
				t.Fatalf("%d mails arrived (%d different), want each of %d once", len(got), len(ids), n)
			}
			if depth, _ := a.OutboxDepth(context.Background()); depth != 0 {
				t.Fatalf("outbox depth %d", depth)
			}
		})
	}
}

func openPostgres(t *testing.T, url string) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), url, config.DefaultDatabasePool())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Without a mail server nothing is lost: the mail waits in the outbox, and the node that starts
// with one sends it.
func TestMailWaitsForAMailServerToBeConfigured(t *testing.T) {
	dir := t.TempDir()
	first := testutil.NewServer(t, testutil.WithStore(testutil.OpenSQLiteAt(t, dir)), testutil.WithMailWorker(testutil.FastMail))
	id, to := closedChat(t, first)
	acc := first.Account(domain.KindWebsite, nil, "")
	_, tok := first.Operator(acc, domain.RoleAgent)
	if got := first.Do("GET", "/api/v1/system", tok, nil).Want(t, 200).Path("mail_configured"); got != false {
		t.Fatalf("mail_configured = %v without --smtp-url", got)
	}
	time.Sleep(100 * time.Millisecond)
	if p := pending(t, first.Store, id); len(p) != 1 || p[0].Attempts != 0 {
		t.Fatalf("without a mail server: %+v", p)
	}
	first.Close()

	smtpSrv := testutil.NewSMTPServer(t)
	second := testutil.NewServer(t, testutil.WithStore(testutil.OpenSQLiteAt(t, dir)), testutil.WithSMTP(smtpSrv.URL()), testutil.WithMailWorker(testutil.FastMail))
	if m := smtpSrv.WaitFor(1, 10*time.Second)[0]; m.To[0] != to {
		t.Fatalf("delivered to %v, want %s", m.To, to)
	}
	if got := second.Do("GET", "/api/v1/system", tok, nil).Want(t, 200).Path("mail_configured"); got != true {
		t.Fatalf("mail_configured = %v with --smtp-url", got)
	}
}
