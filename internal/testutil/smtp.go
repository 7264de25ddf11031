package testutil

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/mail"
)

// WithSMTP sends the server's mail to this mail server (smtp://…).
func WithSMTP(url string) Option { return func(o *serverOptions) { o.smtpURL = url } }

// WithMailWorker changes the mail worker before it starts, e.g. to shorten its back-off.
func WithMailWorker(fn func(*mail.Worker)) Option { return func(o *serverOptions) { o.mail = fn } }

// FastMail makes the worker look for mail often and retry at once, for tests.
func FastMail(w *mail.Worker) {
	w.Poll = 20 * time.Millisecond
	w.Backoff = func(int) time.Duration { return 30 * time.Millisecond }
}

// SMTPServer is a real SMTP server on loopback (github.com/emersion/go-smtp) that keeps every
// message it accepts, for tests that check what Portico sends over the wire.
type SMTPServer struct {
	t    testing.TB
	Addr string

	// Set before Start: a user name and password to require (AUTH PLAIN), TLS to offer
	// STARTTLS (or, with ImplicitTLS, to speak TLS from the first byte), and a hook to refuse
	// recipients.
	User, Password string
	TLS            *tls.Config
	ImplicitTLS    bool
	RejectRcpt     func(to string) error
	// AllowInsecureAuth offers AUTH without TLS too.
	AllowInsecureAuth bool

	mu       sync.Mutex
	mails    []*ReceivedMail
	changed  chan struct{}
	srv      *smtp.Server
	sessions int
}

// ReceivedMail is one message as the server got it, with its parts decoded.
type ReceivedMail struct {
	From    string
	To      []string
	Raw     []byte
	Header  netmail.Header
	Subject string // decoded
	Text    string // the text/plain part, decoded
	HTML    string // the text/html part, decoded
	TLS     bool   // the session was encrypted
	Authed  string // the user name it authenticated as
}

// NewSMTPServer starts a mail server on a free loopback port.
func NewSMTPServer(t testing.TB) *SMTPServer {
	s := ReserveSMTPServer(t)
	s.Start()
	return s
}

// ReserveSMTPServer picks a free loopback port but does not listen yet: connections are
// refused until Start.
func ReserveSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &SMTPServer{t: t, Addr: addr, changed: make(chan struct{})}
	t.Cleanup(s.Stop)
	return s
}

// URL is the smtp:// URL of the server, for --smtp-url.
func (s *SMTPServer) URL() string {
	scheme := "smtp"
	if s.ImplicitTLS {
		scheme = "smtps"
	}
	user := ""
	if s.User != "" {
		user = s.User + ":" + s.Password + "@"
	}
	return scheme + "://" + user + s.Addr
}

// Start listens on the reserved address.
func (s *SMTPServer) Start() {
	s.t.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port was free a moment ago; wait out a closing socket
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("SMTP server: %v", err)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{srv: s, conn: c}, nil
	}))
	srv.Domain = "mail.test"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.ErrorLog = discardLogger{}
	srv.AllowInsecureAuth = s.AllowInsecureAuth
	if s.TLS != nil {
		srv.TLSConfig = s.TLS
		if s.ImplicitTLS {
			ln = tls.NewListener(ln, s.TLS)
		}
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the server; connections are refused again. It may be called more than once.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Mails returns the messages received so far.
func (s *SMTPServer) Mails() []*ReceivedMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*ReceivedMail(nil), s.mails...)
}

// Sessions counts the messages begun (MAIL FROM accepted), delivered or not.
func (s *SMTPServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// WaitFor waits until the server has received at least n messages and returns them all.
func (s *SMTPServer) WaitFor(n int, timeout time.Duration) []*ReceivedMail {
	s.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, changed := len(s.mails), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Mails()
		}
		select {
		case <-changed:
		case <-deadline.C:
			s.t.Fatalf("the SMTP server got %d messages within %s, want %d", got, timeout, n)
		}
	}
}

// To returns the received messages for one address.
func (s *SMTPServer) To(address string) []*ReceivedMail {
	var out []*ReceivedMail
	for _, m := range s.Mails() {
		for _, to := range m.To {
			if strings.EqualFold(to, address) {
				out = append(out, m)
			}
		}
	}
	return out
}

func (s *SMTPServer) receive(m *ReceivedMail) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mails = append(s.mails, m)
	close(s.changed)
	s.changed = make(chan struct{})
}

type smtpSession struct {
	srv    *SMTPServer
	conn   *smtp.Conn
	from   string
	to     []string
	authed string
}

func (ss *smtpSession) AuthMechanisms() []string {
	if ss.srv.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != ss.srv.User || pass != ss.srv.Password {
			return smtp.ErrAuthFailed
		}
		ss.authed = user
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.srv.User != "" && ss.authed == "" {
		return smtp.ErrAuthRequired
	}
	ss.srv.mu.Lock()
	ss.srv.sessions++
	ss.srv.mu.Unlock()
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.srv.RejectRcpt != nil {
		if err := ss.srv.RejectRcpt(to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, err := ParseMail(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "cannot parse the message: " + err.Error()}
	}
	m.From, m.To, m.Authed = ss.from, ss.to, ss.authed
	_, m.TLS = ss.conn.TLSConnectionState()
	ss.srv.receive(m)
	return nil
}

func (ss *smtpSession) Reset() { ss.from, ss.to = "", nil }

func (ss *smtpSession) Logout() error { return nil }

// ParseMail reads a message and decodes its subject and its text and HTML parts.
func ParseMail(raw []byte) (*ReceivedMail, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m := &ReceivedMail{Raw: raw, Header: msg.Header}
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return nil, err
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		body, err := decodePart(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		m.Text = body
		return m, err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		body, err := decodePart(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return nil, err
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
	return m, nil
}

func decodePart(r io.Reader, encoding string) (string, error) {
	if strings.EqualFold(encoding, "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// OperatorWithTranscript creates an operator whose profile sends chat copies to transcriptEmail
// and signs them in through the API.
func (s *Server) OperatorWithTranscript(acc *domain.Account, role domain.Role, transcriptEmail string) (*domain.Operator, string) {
	s.t.Helper()
	password := "secret-" + domain.NewSecret(6)
	hash, err := auth.HashPassword(password)
	if err != nil {
		s.t.Fatal(err)
	}
	op := &domain.Operator{ID: domain.NewID(), AccountID: acc.ID, Email: strings.ToLower(domain.NewSecret(6)) + "@ops.example",
		Name: "Operator " + domain.NewSecret(3), Role: role, Status: domain.StatusOffline, PasswordHash: hash,
		TranscriptEmail: transcriptEmail, CreatedAt: time.Now().UTC()}
	if err := s.Store.CreateOperator(context.Background(), op); err != nil {
		s.t.Fatal(err)
	}
	res := s.Do("POST", "/api/v1/auth/login", "", map[string]string{"email": op.Email, "password": password})
	res.Want(s.t, http.StatusOK)
	return op, res.String("token")
}
