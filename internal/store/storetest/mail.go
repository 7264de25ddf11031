package storetest

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

func testCategories(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	sales := &domain.Category{ID: domain.NewID(), AccountID: f.account.ID, Name: "Sales", Email: "sales@shop.example", CreatedAt: time.Now().UTC()}
	if err := s.CreateCategory(ctx, sales); err != nil {
		t.Fatal(err)
	}
	dup := &domain.Category{ID: domain.NewID(), AccountID: f.account.ID, Name: "Sales", Email: "x@shop.example", CreatedAt: time.Now().UTC()}
	if err := s.CreateCategory(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second category named Sales: err = %v, want ErrConflict", err)
	}
	// Another account may use the same name.
	theirs := &domain.Category{ID: domain.NewID(), AccountID: other.account.ID, Name: "Sales", Email: "s@other.example", CreatedAt: time.Now().UTC()}
	if err := s.CreateCategory(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	support := &domain.Category{ID: domain.NewID(), AccountID: f.account.ID, Name: "After-sales", Email: "help@shop.example", CreatedAt: time.Now().UTC()}
	if err := s.CreateCategory(ctx, support); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListCategories(ctx, f.account.ID)
	if err != nil || len(list) != 2 || list[0].Name != "After-sales" || list[1].ID != sales.ID {
		t.Fatalf("ListCategories = %+v, %v; want both, by name", list, err)
	}
	sales.Email = "deals@shop.example"
	if err := s.UpdateCategory(ctx, sales); err != nil {
		t.Fatal(err)
	}
	if got, err := s.CategoryByID(ctx, sales.ID); err != nil || got.Email != "deals@shop.example" || got.AccountID != f.account.ID {
		t.Fatalf("CategoryByID after update = %+v, %v", got, err)
	}
	support.Name = "Sales"
	if err := s.UpdateCategory(ctx, support); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("renaming onto an existing name: err = %v, want ErrConflict", err)
	}
	// The tenant wall: another account cannot touch it.
	if err := s.DeleteCategory(ctx, other.account.ID, sales.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("delete from another account: err = %v, want ErrNotFound", err)
	}
	wrong := *sales
	wrong.AccountID = other.account.ID
	if err := s.UpdateCategory(ctx, &wrong); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("update from another account: err = %v, want ErrNotFound", err)
	}
	if err := s.DeleteCategory(ctx, f.account.ID, sales.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CategoryByID(ctx, sales.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("deleted category: err = %v", err)
	}
}

func testCloseQueuesMail(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	now := time.Now().UTC()
	mail := domain.NewMail(domain.MailTranscriptCategory, f.account.ID, "sales@shop.example", now)
	mail.ConversationID = c.ID
	mail.Params.Category = "Sales"
	if _, err := s.CloseConversation(ctx, c.ID, "cat-1", now, []domain.OutboxMail{mail}); err != nil {
		t.Fatal(err)
	}
	got, err := s.MailByID(ctx, mail.ID)
	if err != nil || got.Kind != domain.MailTranscriptCategory || got.ConversationID != c.ID || got.Params.Category != "Sales" ||
		got.Recipient != "sales@shop.example" || got.SentAt != nil || got.Attempts != 0 {
		t.Fatalf("queued mail = %+v, %v", got, err)
	}
	// A refused close queues nothing.
	again := domain.NewMail(domain.MailTranscriptCategory, f.account.ID, "sales@shop.example", now)
	again.ConversationID = c.ID
	if _, err := s.CloseConversation(ctx, c.ID, "", now, []domain.OutboxMail{again}); !errors.Is(err, domain.ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.MailByID(ctx, again.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the refused close queued its mail: %v", err)
	}
	// A mail that cannot be stored undoes the close.
	c2 := startConversation(t, s, &fixture{account: f.account, visitor: newVisitor(t, s, f.account.ID)})
	bad := domain.NewMail(domain.MailTranscriptCategory, "no-such-account", "x@example.com", now)
	bad.ConversationID = c2.ID
	if _, err := s.CloseConversation(ctx, c2.ID, "", now, []domain.OutboxMail{bad}); err == nil {
		t.Fatal("closing with a mail that cannot be stored succeeded")
	}
	if got, err := s.ConversationByID(ctx, c2.ID); err != nil || got.Status == domain.ConversationClosed {
		t.Fatalf("the close was kept although its mail was not: %+v, %v", got, err)
	}
}

func testOfflineMessageMail(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	now := time.Now().UTC()
	m := &domain.OfflineMessage{ID: domain.NewID(), AccountID: f.account.ID, VisitorID: f.visitor.ID, Name: "Ada", Email: "ada@example.com", Body: "call me", CreatedAt: now}
	mail := domain.NewMail(domain.MailOfflineMessage, f.account.ID, f.admin.Email, now)
	mail.OfflineMessageID = m.ID
	if err := s.CreateOfflineMessage(ctx, m, []domain.OutboxMail{mail}); err != nil {
		t.Fatal(err)
	}
	got, err := s.MailByID(ctx, mail.ID)
	if err != nil || got.OfflineMessageID != m.ID {
		t.Fatalf("queued mail = %+v, %v", got, err)
	}
	if om, err := s.OfflineMessageByID(ctx, m.ID); err != nil || om.Body != "call me" || om.Email != "ada@example.com" {
		t.Fatalf("OfflineMessageByID = %+v, %v", om, err)
	}
	// All or nothing: a mail that cannot be stored means no message either.
	m2 := &domain.OfflineMessage{ID: domain.NewID(), AccountID: f.account.ID, Name: "Bob", Email: "bob@example.com", Body: "hi", CreatedAt: now}
	bad := domain.NewMail(domain.MailOfflineMessage, "no-such-account", f.admin.Email, now)
	bad.OfflineMessageID = m2.ID
	if err := s.CreateOfflineMessage(ctx, m2, []domain.OutboxMail{bad}); err == nil {
		t.Fatal("an offline message whose mail cannot be stored was accepted")
	}
	if _, err := s.OfflineMessageByID(ctx, m2.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the message was kept without its mail: %v", err)
	}
}

func testOfflineRecipients(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	other := newFixture(t, s)
	if ids, err := s.OfflineRecipientIDs(ctx, f.account.ID); err != nil || len(ids) != 0 {
		t.Fatalf("nobody chosen yet: %v, %v", ids, err)
	}
	if err := s.SetOfflineRecipients(ctx, f.account.ID, []string{f.agent.ID}); err != nil {
		t.Fatal(err)
	}
	if ids, err := s.OfflineRecipientIDs(ctx, f.account.ID); err != nil || !slices.Equal(ids, []string{f.agent.ID}) {
		t.Fatalf("recipients = %v, %v", ids, err)
	}
	// An operator of another account is refused and nothing changes.
	if err := s.SetOfflineRecipients(ctx, f.account.ID, []string{f.admin.ID, other.admin.ID}); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another account's operator: err = %v, want ErrNotFound", err)
	}
	if ids, _ := s.OfflineRecipientIDs(ctx, f.account.ID); !slices.Equal(ids, []string{f.agent.ID}) {
		t.Fatalf("a refused change changed the recipients: %v", ids)
	}
	if ids, _ := s.OfflineRecipientIDs(ctx, other.account.ID); len(ids) != 0 {
		t.Fatalf("the other account's recipients changed: %v", ids)
	}
	if err := s.SetOfflineRecipients(ctx, f.account.ID, nil); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.OfflineRecipientIDs(ctx, f.account.ID); len(ids) != 0 {
		t.Fatalf("cleared recipients: %v", ids)
	}
}

func testOutboxClaim(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	base := time.Now().UTC().Truncate(time.Millisecond)
	mail := domain.NewMail(domain.MailTranscriptCategory, f.account.ID, "a@example.com", base.Add(-time.Second))
	mail.ConversationID = c.ID
	if _, err := s.CloseConversation(ctx, c.ID, "", base, []domain.OutboxMail{mail}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.OutboxDepth(ctx); err != nil || n < 1 {
		t.Fatalf("depth = %d, %v", n, err)
	}
	if due, err := s.DueMail(ctx, base.Add(-2*time.Second), 10); err != nil || slices.ContainsFunc(due, func(m domain.OutboxMail) bool { return m.ID == mail.ID }) {
		t.Fatalf("not yet due, but listed: %v, %v", due, err)
	}
	due, err := s.DueMail(ctx, base, 10)
	i := slices.IndexFunc(due, func(m domain.OutboxMail) bool { return m.ID == mail.ID })
	if err != nil || i < 0 {
		t.Fatalf("due = %v, %v", due, err)
	}
	// Many workers claim the same row at once: one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimMail(ctx, mail.ID, due[i].NextAttemptAt, base.Add(5*time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d claims won, want 1", wins.Load())
	}
	if again, _ := s.DueMail(ctx, base.Add(time.Minute), 10); slices.ContainsFunc(again, func(m domain.OutboxMail) bool { return m.ID == mail.ID }) {
		t.Fatal("a claimed row is due again before its lease ends")
	}
	next := base.Add(10 * time.Second)
	if err := s.MailFailed(ctx, mail.ID, base, next, "connection refused", false); err != nil {
		t.Fatal(err)
	}
	got, _ := s.MailByID(ctx, mail.ID)
	if got.Attempts != 1 || got.LastError != "connection refused" || !got.NextAttemptAt.Equal(next) || got.FailedAt != nil {
		t.Fatalf("after a failure: %+v", got)
	}
	if ok, err := s.ClaimMail(ctx, mail.ID, next, base.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("second claim: %v, %v", ok, err)
	}
	if err := s.MailSent(ctx, mail.ID, base.Add(11*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.MailByID(ctx, mail.ID)
	if got.SentAt == nil || got.Attempts != 2 {
		t.Fatalf("after sending: %+v", got)
	}
	if ok, _ := s.ClaimMail(ctx, mail.ID, got.NextAttemptAt, base.Add(2*time.Hour)); ok {
		t.Fatal("a sent mail was claimed")
	}
	// Giving up takes it out of the queue, with its last error.
	c2 := startConversation(t, s, &fixture{account: f.account, visitor: newVisitor(t, s, f.account.ID)})
	doomed := domain.NewMail(domain.MailTranscriptCategory, f.account.ID, "b@example.com", base)
	doomed.ConversationID = c2.ID
	if _, err := s.CloseConversation(ctx, c2.ID, "", base, []domain.OutboxMail{doomed}); err != nil {
		t.Fatal(err)
	}
	if err := s.MailFailed(ctx, doomed.ID, base, time.Time{}, "550 no such user", true); err != nil {
		t.Fatal(err)
	}
	got, _ = s.MailByID(ctx, doomed.ID)
	if got.FailedAt == nil || got.LastError != "550 no such user" {
		t.Fatalf("given up: %+v", got)
	}
	if again, _ := s.DueMail(ctx, base.Add(time.Hour*24*30), 100); slices.ContainsFunc(again, func(m domain.OutboxMail) bool { return m.ID == doomed.ID }) {
		t.Fatal("a given-up mail is still due")
	}
}

func testTranscriptLimits(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	now := time.Now().UTC()
	limits := store.TranscriptLimits{Window: time.Hour, PerVisitor: 3, PerRecipient: 4}
	enqueue := func(v *domain.Visitor, conv, to string, at time.Time) error {
		m := domain.NewMail(domain.MailTranscriptVisitor, f.account.ID, to, at)
		m.ConversationID = conv
		return s.EnqueueVisitorTranscript(ctx, m, v.ID, at, limits)
	}
	for i := range 3 {
		if err := enqueue(f.visitor, c.ID, "me@example.com", now.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := enqueue(f.visitor, c.ID, "other@example.com", now.Add(3*time.Minute)); !errors.Is(err, domain.ErrRateLimited) {
		t.Fatalf("fourth by one visitor in an hour: err = %v, want ErrRateLimited", err)
	}
	// Another visitor may not flood the same address either (whatever the case of its letters).
	v2 := newVisitor(t, s, f.account.ID)
	c2 := startConversation(t, s, &fixture{account: f.account, visitor: v2})
	if err := enqueue(v2, c2.ID, "ME@example.com", now.Add(4*time.Minute)); err != nil {
		t.Fatalf("fourth to one address: %v", err)
	}
	if err := enqueue(v2, c2.ID, "me@example.com", now.Add(5*time.Minute)); !errors.Is(err, domain.ErrRateLimited) {
		t.Fatalf("fifth to one address in an hour: err = %v, want ErrRateLimited", err)
	}
	if err := enqueue(v2, c2.ID, "you@example.com", now.Add(5*time.Minute)); err != nil {
		t.Fatalf("another address: %v", err)
	}
	// An hour on, the first visitor may ask again.
	if err := enqueue(f.visitor, c.ID, "other@example.com", now.Add(61*time.Minute)); err != nil {
		t.Fatalf("an hour later: %v", err)
	}
}

func testConversationOperators(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	if ops, err := s.ConversationOperators(ctx, c.ID); err != nil || len(ops) != 0 {
		t.Fatalf("nobody took part yet: %v, %v", ops, err)
	}
	if _, err := s.ClaimConversation(ctx, c.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Closing marks every participant as having left; they still took part.
	if _, err := s.CloseConversation(ctx, c.ID, "", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	ops, err := s.ConversationOperators(ctx, c.ID)
	if err != nil || len(ops) != 1 || ops[0].ID != f.agent.ID || !strings.EqualFold(ops[0].Email, f.agent.Email) {
		t.Fatalf("operators who took part = %+v, %v", ops, err)
	}
}
