package portalauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/portalauth"
	"github.com/portico/portico/pkg/portalauth/portalserver"
)

func str(s string) *string { return &s }

func TestTokenOutcomes(t *testing.T) {
	cases := []struct {
		name     string
		answered *string
		want     portalauth.TokenOutcome
		keep     string
	}{
		{"absent", nil, portalauth.TokenKept, "t1"},
		{"equal", str("t1"), portalauth.TokenKept, "t1"},
		{"different", str("t2"), portalauth.TokenReplaced, "t2"},
		{"empty", str(""), portalauth.TokenDead, ""},
	}
	for _, c := range cases {
		a := &portalauth.Answer{AuthenticationToken: c.answered}
		got, keep := a.Token("t1")
		if got != c.want || keep != c.keep {
			t.Errorf("%s: outcome %v keep %q, want %v %q", c.name, got, keep, c.want, c.keep)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, c := range []struct {
		url  string
		dev  bool
		good bool
	}{
		{"https://portal.example/auth", false, true},
		{"http://portal.example/auth", false, false},
		{"http://portal.example/auth", true, false},
		{"http://127.0.0.1:9000/auth", false, false},
		{"http://127.0.0.1:9000/auth", true, true},
		{"http://[::1]:9000/auth", true, true},
		{"http://localhost:9000/auth", true, true},
		{"http://10.0.0.1/auth", true, false},
		{"ftp://portal.example/", true, false},
		{"https://portal.example/auth?x=1", false, false},
		{"/auth", true, false},
	} {
		err := portalauth.CheckURL(c.url, c.dev)
		if (err == nil) != c.good {
			t.Errorf("CheckURL(%q, dev=%v) = %v", c.url, c.dev, err)
		}
	}
}

func TestClientSendsTheProtocol(t *testing.T) {
	ps := portalserver.New("k", portalserver.User{Username: "u", Password: "p", Account: "a1", IsMaster: true})
	ps.IssueTokens = true
	ts := httptest.NewServer(ps)
	defer ts.Close()
	c := portalauth.NewClient(true)
	ep := portalauth.Endpoint{URL: ts.URL + "/base/", AccessKey: "k"}
	a, err := c.Authenticate(context.Background(), ep, "u", "p")
	if err != nil || a.Code() != portalauth.CodeOK || a.Account.Identifier != "a1" || !a.Operator.IsMaster || a.AuthenticationToken == nil {
		t.Fatalf("answer %+v, err %v", a, err)
	}
	r := ps.Requests()[0]
	if r.Name != "Authenticate" || r.RequestID == "" || r.Username != "u" {
		t.Fatalf("request %+v", r)
	}
	a, err = c.LogOut(context.Background(), ep, *a.AuthenticationToken)
	if err != nil || a.Code() != 0 || ps.Requests()[1].RequestID == r.RequestID {
		t.Fatalf("LogOut: %+v %v", a, err)
	}
	// Nothing is sent over plain http outside dev mode.
	c.AllowLoopbackHTTP = false
	_, err = c.Authenticate(context.Background(), ep, "u", "p")
	var pe *portalauth.Error
	if !errors.As(err, &pe) || pe.Kind != domain.ProblemInsecureURL || len(ps.Requests()) != 2 {
		t.Fatalf("err %v", err)
	}
}

func TestExampleServerRemembersRequestIDs(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ps := portalserver.New("k", portalserver.User{Username: "u", Password: "p", Account: "a1"})
	ps.Now = func() time.Time { return now }
	ts := httptest.NewServer(ps)
	defer ts.Close()
	c := portalauth.NewClient(true)
	c.NewRequestID = func() string { return "same-id" }
	ep := portalauth.Endpoint{URL: ts.URL, AccessKey: "k"}
	codes := func() int {
		a, err := c.Authenticate(context.Background(), ep, "u", "p")
		if err != nil {
			t.Fatal(err)
		}
		return a.Code()
	}
	if got := codes(); got != portalauth.CodeOK {
		t.Fatalf("first: %d", got)
	}
	if got := codes(); got != portalauth.CodeAlreadyProcessed {
		t.Fatalf("repeat: %d, want 254", got)
	}
	now = now.Add(portalserver.RequestIDMemory + time.Second)
	if got := codes(); got != portalauth.CodeOK {
		t.Fatalf("after 120 s: %d, want 0", got)
	}
	bad := portalauth.Endpoint{URL: ts.URL, AccessKey: "wrong"}
	c.NewRequestID = domain.NewID
	if a, err := c.Authenticate(context.Background(), bad, "u", "p"); err != nil || a.Code() != portalauth.CodeAccessDenied {
		t.Fatalf("bad key: %+v %v", a, err)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	ps := portalserver.New("k", portalserver.User{Username: "u", Password: "p", Account: "a1"})
	target := httptest.NewServer(ps)
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL+"/Authenticate", http.StatusTemporaryRedirect))
	defer redirect.Close()
	c := portalauth.NewClient(true)
	_, err := c.Authenticate(context.Background(), portalauth.Endpoint{URL: redirect.URL, AccessKey: "k"}, "u", "p")
	var pe *portalauth.Error
	if !errors.As(err, &pe) || pe.Kind != domain.ProblemProtocol {
		t.Fatalf("err %v, want a protocol error", err)
	}
	if len(ps.Requests()) != 0 {
		t.Fatal("the password followed a redirect")
	}
}
