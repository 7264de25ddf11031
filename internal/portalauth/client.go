// Package portalauth signs a portal's operators in with the portal's own accounts: the client of
// the three-request protocol of DESIGN.md §6, and the service that turns answers into operators.
package portalauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
)

// The protocol's error codes.
const (
	CodeOK               = 0
	CodeWrongCredentials = 1
	CodeSuspended        = 2
	CodeAccessDenied     = 253
	CodeAlreadyProcessed = 254
	CodeInternalError    = 255
)

// Request names, appended to the portal's base URL.
const (
	RequestAuthenticate          = "Authenticate"
	RequestAuthenticateWithToken = "AuthenticateWithToken"
	RequestLogOut                = "LogOut"
)

// RetryWindow is how long after the first attempt a request is sent again; the portal keeps
// request ids for 120 s, so a repeat is always recognised.
const RetryWindow = 60 * time.Second

// maxAnswer bounds a portal's answer.
const maxAnswer = 64 << 10

// RemediationOption is a link the portal offers the operator after an error.
type RemediationOption struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Answer is the portal's JSON answer.
type Answer struct {
	ErrorCode          *int                `json:"errorCode"`
	Error              string              `json:"error,omitempty"`
	RemediationOptions []RemediationOption `json:"remediationOptions,omitempty"`
	Account            *struct {
		Identifier string `json:"identifier"`
		Email      string `json:"email,omitempty"`
	} `json:"account,omitempty"`
	Operator *struct {
		Image    string `json:"image,omitempty"`
		Email    string `json:"email,omitempty"`
		IsMaster bool   `json:"isMaster"`
	} `json:"operator,omitempty"`
	// AuthenticationToken is nil when the field is absent, which the protocol tells from "".
	AuthenticationToken *string `json:"authenticationToken,omitempty"`
}

// Code is the answer's error code.
func (a *Answer) Code() int { return *a.ErrorCode }

// TokenOutcome is what an answer means for the token sent (DESIGN.md §6).
type TokenOutcome int

const (
	TokenKept     TokenOutcome = iota // absent, or the same: still valid
	TokenReplaced                     // a different value: the old one is dead, use the new one
	TokenDead                         // "": the old one is dead and there is no new one
)

// Token applies the token rules to an OK answer for the token sent ("" when none was sent): it
// returns the outcome and the token to keep from now on ("" for none).
func (a *Answer) Token(sent string) (TokenOutcome, string) {
	switch {
	case a.AuthenticationToken == nil || *a.AuthenticationToken == sent:
		return TokenKept, sent
	case *a.AuthenticationToken == "":
		return TokenDead, ""
	default:
		return TokenReplaced, *a.AuthenticationToken
	}
}

// Error is a failure to get a protocol answer; Kind is a domain.Problem* kind.
type Error struct {
	Kind   string
	Detail string
	Err    error
}

func (e *Error) Error() string { return "portal authentication: " + e.Kind + ": " + e.Detail }
func (e *Error) Unwrap() error { return e.Err }

// Endpoint is where and how to reach one portal's server.
type Endpoint struct {
	URL       string
	AccessKey string
}

// Client speaks the protocol. The zero value is not usable: use NewClient.
type Client struct {
	// HTTP sends the requests; its transport checks certificates against the system's roots.
	HTTP *http.Client
	// AllowLoopbackHTTP lets plain http:// reach loopback addresses (the server's --dev mode).
	AllowLoopbackHTTP bool
	// AttemptTimeout bounds one attempt.
	AttemptTimeout time.Duration
	// Now and Sleep are the clock, injectable so tests of the retry window are fast.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// NewRequestID makes each request's id.
	NewRequestID func() string
}

func NewClient(dev bool) *Client {
	return &Client{
		HTTP: &http.Client{
			Transport: http.DefaultTransport.(*http.Transport).Clone(),
			// A redirect could carry the password elsewhere, even to plain http: the answer
			// must come from the configured URL (a 3xx is not the protocol).
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		AllowLoopbackHTTP: dev,
		AttemptTimeout:    10 * time.Second,
		Now:               time.Now,
		Sleep:             sleep,
		NewRequestID:      domain.NewID,
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// CheckURL refuses a base URL the client would not call: https, or http to a loopback address
// when loopbackHTTP is allowed.
func CheckURL(raw string, loopbackHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return &Error{Kind: domain.ProblemInsecureURL, Detail: "the URL must be an absolute https:// URL without query"}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if loopbackHTTP && isLoopback(u.Hostname()) {
			return nil
		}
		return &Error{Kind: domain.ProblemInsecureURL, Detail: "plain http:// is refused; use https:// (http only to loopback addresses in dev mode)"}
	}
	return &Error{Kind: domain.ProblemInsecureURL, Detail: "the URL must start with https://"}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Authenticate checks a user name and password.
func (c *Client) Authenticate(ctx context.Context, ep Endpoint, username, password string) (*Answer, error) {
	return c.call(ctx, ep, RequestAuthenticate, url.Values{"username": {username}, "password": {password}}, true)
}

// AuthenticateWithToken checks a token; fromURL says it came from the console's address.
func (c *Client) AuthenticateWithToken(ctx context.Context, ep Endpoint, token string, fromURL bool) (*Answer, error) {
	u := "0"
	if fromURL {
		u = "1"
	}
	return c.call(ctx, ep, RequestAuthenticateWithToken, url.Values{"authenticationToken": {token}, "isUrlAuthentication": {u}}, true)
}

// LogOut invalidates the token ("" when the portal never issued one).
func (c *Client) LogOut(ctx context.Context, ep Endpoint, token string) (*Answer, error) {
	return c.call(ctx, ep, RequestLogOut, url.Values{"authenticationToken": {token}}, false)
}

// errRetry marks an attempt worth repeating.
type errRetry struct{ err *Error }

func (c *Client) call(ctx context.Context, ep Endpoint, name string, form url.Values, login bool) (*Answer, error) {
	if err := CheckURL(ep.URL, c.AllowLoopbackHTTP); err != nil {
		return nil, err
	}
	target := strings.TrimRight(ep.URL, "/") + "/" + name
	form.Set("requestId", c.NewRequestID())
	form.Set("accessKey", ep.AccessKey)
	body := form.Encode()

	first := c.Now()
	backoff := 500 * time.Millisecond
	for {
		a, retry, err := c.attempt(ctx, target, body)
		if err == nil {
			return a, nil
		}
		if retry == nil {
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, retry.err
		}
		wait := backoff
		if elapsed := c.Now().Sub(first); elapsed+wait > RetryWindow {
			return nil, retry.err
		}
		if err := c.Sleep(ctx, wait); err != nil {
			return nil, retry.err
		}
		backoff = min(backoff*2, 8*time.Second)
	}
}

// attempt sends the request once. A failure worth repeating comes back as retry as well.
func (c *Client) attempt(ctx context.Context, target, body string) (*Answer, *errRetry, error) {
	actx, cancel := context.WithTimeout(ctx, c.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		return nil, nil, &Error{Kind: domain.ProblemInsecureURL, Detail: "the URL cannot be used", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := c.HTTP.Do(req)
	if err != nil {
		if isCertificateError(err) {
			return nil, nil, &Error{Kind: domain.ProblemTLS, Detail: "the server's TLS certificate does not validate: " + redactURL(err), Err: err}
		}
		e := &Error{Kind: domain.ProblemUnreachable, Detail: "the server does not answer: " + redactURL(err), Err: err}
		return nil, &errRetry{e}, e
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if res.StatusCode >= 500 {
		e := &Error{Kind: domain.ProblemUnreachable, Detail: fmt.Sprintf("the server answered HTTP %d", res.StatusCode)}
		return nil, &errRetry{e}, e
	}
	if err != nil {
		e := &Error{Kind: domain.ProblemUnreachable, Detail: "the answer was cut off", Err: err}
		return nil, &errRetry{e}, e
	}
	if len(data) > maxAnswer {
		return nil, nil, &Error{Kind: domain.ProblemProtocol, Detail: "the answer is too long"}
	}
	var a Answer
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, nil, &Error{Kind: domain.ProblemProtocol, Detail: fmt.Sprintf("the answer (HTTP %d) is not JSON", res.StatusCode), Err: err}
	}
	if a.ErrorCode == nil {
		return nil, nil, &Error{Kind: domain.ProblemProtocol, Detail: fmt.Sprintf("the answer (HTTP %d) has no errorCode", res.StatusCode)}
	}
	switch a.Code() {
	case CodeOK, CodeWrongCredentials, CodeSuspended, CodeAccessDenied, CodeAlreadyProcessed, CodeInternalError:
	default:
		return nil, nil, &Error{Kind: domain.ProblemProtocol, Detail: fmt.Sprintf("unknown errorCode %d", a.Code())}
	}
	return &a, nil, nil
}

func isCertificateError(err error) bool {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	return errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify)
}

// redactURL keeps an error's words without the request's URL (which is known anyway).
func redactURL(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
