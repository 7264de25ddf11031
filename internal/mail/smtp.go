package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Sender hands one message to a mail server.
type Sender interface {
	Send(ctx context.Context, from, to string, msg []byte) error
}

// PermanentError is a refusal that trying again will not change (the server refused the
// recipient with a 5xx answer): the mail is given up at once.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// SMTP sends through one mail server, named by a URL:
//
//	smtp://user:pass@host:587   STARTTLS when the server offers it (port 587 by default)
//	smtps://user:pass@host:465  TLS from the first byte (port 465 by default)
//
// A password is only ever sent over TLS, except to a server on a loopback address. Without a
// user name nothing is sent to authenticate (a local relay).
//
// It is built on the standard library's net/smtp, which does all this needs (EHLO, STARTTLS,
// AUTH, the dot-stuffed DATA) with no dependency to keep up.
type SMTP struct {
	addr        string // host:port
	host        string
	implicitTLS bool
	user, pass  string
	hasAuth     bool

	// Hello is the name given in EHLO; "localhost" when empty.
	Hello string
	// TLSConfig, when set, is used for STARTTLS and smtps (tests give their own roots). Its
	// ServerName is filled in when empty.
	TLSConfig *tls.Config
	// Timeout bounds one whole delivery, from dialling to QUIT.
	Timeout time.Duration

	dial func(ctx context.Context, network, addr string) (net.Conn, error) // tests reroute it
}

// ParseSMTPURL reads --smtp-url.
func ParseSMTPURL(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("smtp url: %w", err)
	}
	s := &SMTP{Timeout: time.Minute}
	port := ""
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		port = "587"
	case "smtps":
		port = "465"
		s.implicitTLS = true
	default:
		return nil, fmt.Errorf("smtp url: the scheme must be smtp:// or smtps://, not %q", u.Scheme)
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("smtp url: no host")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil && u.User.Username() != "" {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		s.hasAuth = true
	}
	return s, nil
}

// Addr is the server's host:port.
func (s *SMTP) Addr() string { return s.addr }

// Send delivers msg to one recipient.
func (s *SMTP) Send(ctx context.Context, from, to string, msg []byte) (err error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dial := s.dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	conn, err := dial(ctx, "tcp", s.addr)
	if err != nil {
		return err
	}
	// Deadlines bound every read and write; cancelling ctx (shutdown) closes the connection.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	if s.implicitTLS {
		tc := tls.Client(conn, s.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS with %s: %w", s.addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return err
	}
	defer c.Close()
	hello := s.Hello
	if hello == "" {
		hello = "localhost"
	}
	if err := c.Hello(hello); err != nil {
		return err
	}
	secure := s.implicitTLS
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return fmt.Errorf("STARTTLS with %s: %w", s.addr, err)
			}
			secure = true
		}
	}
	if s.hasAuth {
		if !secure && !isLoopback(s.host) {
			return fmt.Errorf("%s offers no STARTTLS: refusing to send the password without TLS (use smtps:// or a server with STARTTLS)", s.addr)
		}
		ok, mechs := c.Extension("AUTH")
		if !ok {
			return fmt.Errorf("%s does not offer AUTH, but --smtp-url has a user name", s.addr)
		}
		var a smtp.Auth = plainAuth{user: s.user, pass: s.pass}
		if !hasWord(mechs, "PLAIN") && hasWord(mechs, "LOGIN") {
			a = &loginAuth{user: s.user, pass: s.pass}
		}
		if err := c.Auth(a); err != nil {
			return fmt.Errorf("authenticate to %s: %w", s.addr, err)
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		var te *textproto.Error
		if errors.As(err, &te) && te.Code >= 500 {
			return &PermanentError{Err: fmt.Errorf("%s refused %s: %w", s.addr, to, err)}
		}
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The message is accepted; a failing QUIT changes nothing.
	c.Quit()
	return nil
}

func (s *SMTP) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = s.host
	}
	return cfg
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func hasWord(list, word string) bool {
	for _, w := range strings.Fields(list) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

// plainAuth is AUTH PLAIN (RFC 4616). net/smtp's own refuses any non-TLS server whose name is not
// literally localhost or 127.0.0.1; Send has already applied the same rule to every loopback
// address.
type plainAuth struct{ user, pass string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge during AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is AUTH LOGIN, for servers that offer nothing else.
type loginAuth struct {
	user, pass string
	step       int
}

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a *loginAuth) Next(_ []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	a.step++
	switch a.step {
	case 1:
		return []byte(a.user), nil
	case 2:
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected server challenge during AUTH LOGIN")
}
