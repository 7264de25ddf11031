package mail_test

import (
	"context"
	"crypto/tls"
	"errors"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/testutil"
)

func TestComposeEncodesHeadersAndParts(t *testing.T) {
	from := &netmail.Address{Name: "Pörtico Support", Address: "portico@chat.example"}
	e := &mail.Email{
		Subject: "Chat with Zoë — Café\r\nBcc: victim@example.com",
		Text:    "Hello Zoë\nline two",
		HTML:    "<p>Hello Zoë</p>",
		ReplyTo: &netmail.Address{Name: "Zoë", Address: "zoe@example.com"},
	}
	date := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	raw, err := mail.Compose(from, "sales@shop.example", e, "01abc", date)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("a line is longer than 998 characters: %.80q…", line)
		}
		if strings.HasPrefix(strings.ToLower(line), "bcc:") {
			t.Fatalf("a line break in the subject made a header: %q", line)
		}
		for _, r := range line {
			if r > 127 {
				t.Fatalf("the message is not 7-bit: %q", line)
			}
		}
	}
	if strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\n") {
		t.Fatal("a bare LF in the message")
	}
	m, err := testutil.ParseMail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Chat with Zoë — Café Bcc: victim@example.com" {
		t.Errorf("subject = %q", m.Subject)
	}
	if got, err := m.Header.AddressList("From"); err != nil || got[0].Name != "Pörtico Support" || got[0].Address != "portico@chat.example" {
		t.Errorf("From = %v, %v", got, err)
	}
	if got, err := m.Header.AddressList("Reply-To"); err != nil || got[0].Address != "zoe@example.com" {
		t.Errorf("Reply-To = %v, %v", got, err)
	}
	if got := m.Header.Get("Message-Id"); got != "<01abc@chat.example>" {
		t.Errorf("Message-ID = %q", got)
	}
	if got, err := m.Header.Date(); err != nil || !got.Equal(date) {
		t.Errorf("Date = %v, %v", got, err)
	}
	if !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/alternative;") || m.Header.Get("MIME-Version") != "1.0" {
		t.Errorf("Content-Type = %q", m.Header.Get("Content-Type"))
	}
	if m.Text != "Hello Zoë\r\nline two" && m.Text != "Hello Zoë\nline two" {
		t.Errorf("text part = %q", m.Text)
	}
	if m.HTML != "<p>Hello Zoë</p>" {
		t.Errorf("HTML part = %q", m.HTML)
	}
}

func send(t *testing.T, s *mail.SMTP) error {
	t.Helper()
	raw, err := mail.Compose(&netmail.Address{Address: "portico@chat.example"}, "to@example.com",
		&mail.Email{Subject: "hi", Text: "hello", HTML: "<p>hello</p>"}, "id1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Send(ctx, "portico@chat.example", "to@example.com", raw)
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	cfg, roots := testutil.ServerTLS(t)
	srv := testutil.ReserveSMTPServer(t)
	srv.User, srv.Password, srv.TLS = "portico", "s3cret:/@", cfg
	srv.Start()
	s, err := mail.ParseSMTPURL("smtp://portico:" + "s3cret%3A%2F%40" + "@" + srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = &tls.Config{RootCAs: roots}
	if err := send(t, s); err != nil {
		t.Fatal(err)
	}
	m := srv.WaitFor(1, 5*time.Second)[0]
	if !m.TLS || m.Authed != "portico" || m.To[0] != "to@example.com" || m.From != "portico@chat.example" {
		t.Fatalf("received %+v: want STARTTLS and AUTH as portico", m)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	cfg, roots := testutil.ServerTLS(t)
	srv := testutil.ReserveSMTPServer(t)
	srv.User, srv.Password, srv.TLS, srv.ImplicitTLS = "u", "p", cfg, true
	srv.Start()
	s, err := mail.ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	s.TLSConfig = &tls.Config{RootCAs: roots}
	if err := send(t, s); err != nil {
		t.Fatal(err)
	}
	if m := srv.WaitFor(1, 5*time.Second)[0]; !m.TLS || m.Authed != "u" {
		t.Fatalf("received %+v", m)
	}
	// A certificate the client does not trust is an error, not a reason to go on in the clear.
	s.TLSConfig = nil
	if err := send(t, s); err == nil {
		t.Fatal("sent over TLS to an untrusted certificate")
	}
}

func TestSMTPRefusesPasswordWithoutTLS(t *testing.T) {
	srv := testutil.ReserveSMTPServer(t)
	srv.User, srv.Password, srv.AllowInsecureAuth = "u", "p", true
	srv.Start()
	// A server that is not on this machine and offers no STARTTLS gets no password.
	s, err := mail.ParseSMTPURL("smtp://u:p@mail.example.com:25")
	if err != nil {
		t.Fatal(err)
	}
	mail.DialVia(s, srv.Addr)
	if err := send(t, s); err == nil || !strings.Contains(err.Error(), "refusing to send the password") {
		t.Fatalf("err = %v, want a refusal to send the password in the clear", err)
	}
	if srv.Sessions() != 0 {
		t.Fatal("the message went out anyway")
	}
	// On loopback the connection never leaves the machine: allowed.
	local, err := mail.ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if err := send(t, local); err != nil {
		t.Fatalf("loopback without TLS: %v", err)
	}
	if m := srv.WaitFor(1, 5*time.Second)[0]; m.Authed != "u" {
		t.Fatalf("received %+v", m)
	}
}

func TestSMTPRefusedRecipientIsPermanent(t *testing.T) {
	srv := testutil.ReserveSMTPServer(t)
	srv.RejectRcpt = func(string) error {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	}
	srv.Start()
	s, _ := mail.ParseSMTPURL(srv.URL())
	var perm *mail.PermanentError
	if err := send(t, s); !errors.As(err, &perm) {
		t.Fatalf("err = %v, want a PermanentError", err)
	}
	// A server that is not there is worth another try.
	srv.Stop()
	if err := send(t, s); err == nil || errors.As(err, &perm) {
		t.Fatalf("connection refused: err = %v, want a temporary error", err)
	}
}

func TestParseSMTPURL(t *testing.T) {
	for _, c := range []struct{ in, addr, err string }{
		{"smtp://mail.example.com", "mail.example.com:587", ""},
		{"smtps://u:p@mail.example.com", "mail.example.com:465", ""},
		{"smtp://[::1]:2525", "[::1]:2525", ""},
		{"http://mail.example.com", "", "scheme"},
		{"smtp://", "", "no host"},
	} {
		s, err := mail.ParseSMTPURL(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || s.Addr() != c.addr {
			t.Errorf("%s: %v, %v; want %s", c.in, s, err, c.addr)
		}
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		attempts int
		want     time.Duration
	}{{1, 5 * time.Second}, {2, 10 * time.Second}, {3, 20 * time.Second}, {8, 640 * time.Second}, {9, 15 * time.Minute}, {100, 15 * time.Minute}} {
		for range 20 {
			got := mail.Backoff(c.attempts)
			if got < c.want*4/5 || got > c.want*6/5 {
				t.Fatalf("Backoff(%d) = %s, want %s ± 20%%", c.attempts, got, c.want)
			}
		}
	}
}
