package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

func testPortalAuth(t *testing.T, s store.Store) {
	portal := newAccount(t, s, domain.KindPortal, "", "")
	if _, err := s.PortalAuth(ctx, portal.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unset: err = %v, want ErrNotFound", err)
	}
	at := time.Now().UTC().Truncate(time.Millisecond)
	cfg := &domain.PortalAuth{PortalID: portal.ID, Enabled: true, URL: "https://p.example/auth", AccessKey: "k1", AdminEmail: "a@p.example", UpdatedAt: at}
	if err := s.SavePortalAuth(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := s.PortalAuthSucceeded(ctx, portal.ID, at, true); err != nil {
		t.Fatal(err)
	}
	if err := s.PortalAuthSucceeded(ctx, portal.ID, at.Add(time.Second), false); err != nil {
		t.Fatal(err)
	}
	cfg.AccessKey, cfg.Enabled = "k2", false
	if err := s.SavePortalAuth(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := s.PortalAuth(ctx, portal.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AccessKey != "k2" || got.Enabled || !got.IssuesTokens || got.LastSuccessAt == nil || !got.LastSuccessAt.Equal(at.Add(time.Second)) {
		t.Fatalf("saving again must keep issues_tokens and the last success: %+v", got)
	}

	// Problems: mailed once per kind per window, in the same transaction as the mail.
	problem := func(kind string, at time.Time) bool {
		p := &domain.PortalAuthProblem{ID: domain.NewID(), PortalID: portal.ID, Kind: kind, Detail: "d", At: at}
		m := domain.NewMail(domain.MailPortalAuthProblem, portal.ID, "a@p.example", at)
		m.Params = domain.MailParams{Problem: kind, Detail: "d"}
		mailed, err := s.RecordPortalAuthProblem(ctx, p, &m, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return mailed
	}
	if !problem(domain.ProblemTLS, at) || problem(domain.ProblemTLS, at.Add(time.Minute)) || !problem(domain.ProblemProtocol, at.Add(2*time.Minute)) ||
		!problem(domain.ProblemTLS, at.Add(61*time.Minute)) {
		t.Fatal("mail must be rate-limited per kind per hour")
	}
	list, err := s.PortalAuthProblems(ctx, portal.ID, 10)
	if err != nil || len(list) != 4 || list[0].At.Before(list[3].At) || list[0].Kind != domain.ProblemTLS || !list[0].Mailed || list[2].Mailed {
		t.Fatalf("problems %+v, %v", list, err)
	}
	due, err := s.DueMail(ctx, at.Add(2*time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range due {
		if m.AccountID == portal.ID && m.Kind == domain.MailPortalAuthProblem {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d mails queued, want 3", n)
	}
}

func testExternalOperators(t *testing.T, s store.Store) {
	portal := newAccount(t, s, domain.KindPortal, "", "")
	adv := newAccount(t, s, domain.KindAdvertiser, portal.ID, "estate-1")
	other := newAccount(t, s, domain.KindAdvertiser, portal.ID, "estate-2")
	now := time.Now().UTC()
	op := &domain.Operator{ID: domain.NewID(), AccountID: adv.ID, Email: "anna@estate.example", Name: "anna", Role: domain.RoleAgent,
		Status: domain.StatusOffline, PasswordHash: "x", CreatedAt: now}
	if err := s.CreateExternalOperator(ctx, op, "anna"); err != nil {
		t.Fatal(err)
	}
	dup := *op
	dup.ID, dup.Email = domain.NewID(), "other@estate.example"
	if err := s.CreateExternalOperator(ctx, &dup, "anna"); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second anna: %v, want ErrConflict", err)
	}
	// The same user name at another advertiser is another person.
	dup.AccountID = other.ID
	if err := s.CreateExternalOperator(ctx, &dup, "anna"); err != nil {
		t.Fatal(err)
	}
	got, err := s.OperatorByExternalUsername(ctx, adv.ID, "anna")
	if err != nil || got.ID != op.ID {
		t.Fatalf("%+v %v", got, err)
	}
	op.Role, op.PhotoURL, op.TranscriptEmail = domain.RoleAdmin, "https://p.example/a.jpg", "anna@estate.example"
	if err := s.UpdateExternalOperator(ctx, op); err != nil {
		t.Fatal(err)
	}
	op.Email = "other@estate.example"
	if err := s.UpdateExternalOperator(ctx, op); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("e-mail in use: %v", err)
	}
	got, _ = s.OperatorByID(ctx, op.ID)
	if got.Role != domain.RoleAdmin || got.PhotoURL != "https://p.example/a.jpg" || got.Email != "anna@estate.example" {
		t.Fatalf("%+v", got)
	}

	// A session keeps the portal's token; the token finds its operator again.
	sess := &domain.Session{TokenHash: auth.HashToken("s1"), OperatorID: op.ID, CSRFToken: "c", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSessionPortalToken(ctx, sess.TokenHash, portal.ID, "ptok"); err != nil {
		t.Fatal(err)
	}
	if pid, tok, err := s.SessionPortalToken(ctx, sess.TokenHash); err != nil || pid != portal.ID || tok != "ptok" {
		t.Fatalf("%s %s %v", pid, tok, err)
	}
	if name, err := s.ExternalUsernameForToken(ctx, portal.ID, "estate-1", "ptok", ""); err != nil || name != "anna" {
		t.Fatalf("by token: %q %v", name, err)
	}
	if name, err := s.ExternalUsernameForToken(ctx, portal.ID, "estate-1", "unknown", "ANNA@estate.example"); err != nil || name != "anna" {
		t.Fatalf("by e-mail: %q %v", name, err)
	}
	if _, err := s.ExternalUsernameForToken(ctx, portal.ID, "estate-2", "ptok", ""); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another advertiser: %v", err)
	}
	if err := s.DeleteSession(ctx, sess.TokenHash); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionPortalToken(ctx, sess.TokenHash); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("after the session ended: %v", err)
	}
}
