package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
	"github.com/portico/portico/internal/store"
)

// Messages and page views are group-committed: many writes share one transaction. These tests
// send many at once so that they do share one, and check that each still behaves alone.

// RunShared runs the tests that need two stores on one database, as two nodes have; open must
// return two fresh, migrated stores sharing a database.
func RunShared(t *testing.T, open func(t testing.TB) (store.Store, store.Store)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, a, b store.Store)
	}{
		{"two nodes append to the same conversations", testTwoNodesAppend},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b := open(t)
			tc.fn(t, a, b)
		})
	}
}

// Both nodes send every message of several conversations at the same time, as a client
// retrying on another node after a lost answer would: each is stored once, seq stays gap-free
// in every conversation, and both senders are answered with the one stored message.
func testTwoNodesAppend(t *testing.T, a, b store.Store) {
	f := newFixture(t, a)
	const conversations, writers, each = 4, 4, 15
	convs := make([]*domain.Conversation, conversations)
	for i := range convs {
		convs[i] = startConversation(t, a, f)
	}
	type answer struct {
		id  string
		seq int64
	}
	var mu sync.Mutex
	answers := map[string][]answer{} // by conversation and client id
	var wg sync.WaitGroup
	for _, c := range convs {
		for w := range writers {
			for _, node := range []store.Store{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						clientID := fmt.Sprintf("w%d-%d", w, i)
						m := visitorMessage(f.visitor, clientID, clientID)
						m.ConversationID = c.ID
						got, _, err := node.AppendMessage(ctx, m)
						if err != nil {
							t.Errorf("append %s: %v", clientID, err)
							return
						}
						if got.ConversationID != c.ID || got.ClientMsgID != clientID || got.Body != clientID {
							t.Errorf("append %s answered %+v", clientID, got)
						}
						mu.Lock()
						answers[c.ID+"/"+clientID] = append(answers[c.ID+"/"+clientID], answer{got.ID, got.Seq})
						mu.Unlock()
					}
				}()
			}
		}
	}
	wg.Wait()
	for _, c := range convs {
		msgs := checkGapFree(t, a, c.ID, 1+writers*each)
		for _, m := range msgs[1:] {
			got := answers[c.ID+"/"+m.ClientMsgID]
			if len(got) != 2 || got[0] != (answer{m.ID, m.Seq}) || got[1] != got[0] {
				t.Fatalf("%s: stored as %s seq %d, senders were answered %v", m.ClientMsgID, m.ID, m.Seq, got)
			}
		}
	}
}

// checkGapFree reads the conversation on s and checks that it holds want messages, with seq 1…want,
// each client id once, and last_seq at the end.
func checkGapFree(t *testing.T, s store.Store, conversationID string, want int) []domain.Message {
	t.Helper()
	msgs, err := s.MessagesAfter(ctx, conversationID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != want {
		t.Fatalf("%d messages, want %d", len(msgs), want)
	}
	seen := map[string]bool{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: seq must be gap-free", i, m.Seq)
		}
		key := string(m.Author.Type) + "/" + m.Author.ID + "/" + m.ClientMsgID
		if seen[key] {
			t.Fatalf("client id %s stored twice", m.ClientMsgID)
		}
		seen[key] = true
	}
	if got, err := s.ConversationByID(ctx, conversationID); err != nil || got.LastSeq != int64(want) {
		t.Fatalf("last_seq = %+v, %v; want %d", got, err, want)
	}
	return msgs
}

// Writes that fail, sent among many that do not: a message by an author type the database's
// check refuses, a page view of a visitor who does not exist, a message to a closed conversation
// and to a missing one. Each of those fails alone; every other write is stored, and a write
// that reads (AppendVisitorMessage) reads what one run of it found, not what every run found.
func testBadWriteFailsAlone(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	if _, err := s.ClaimConversation(ctx, c.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	closed := startConversation(t, s, f)
	if _, err := s.CloseConversation(ctx, closed.ID, "", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	const rounds, good = 5, 20
	var wg sync.WaitGroup
	errs := make(chan error, rounds*good*3)
	bad := func(what string, want error, write func() error) {
		defer wg.Done()
		err := write()
		if err == nil || (want != nil && !errors.Is(err, want)) {
			errs <- fmt.Errorf("%s: err = %v, want a failure (%v)", what, err, want)
		}
	}
	start := time.Now().UTC()
	for r := range rounds {
		for i := range good {
			wg.Add(2)
			go func() {
				defer wg.Done()
				clientID := fmt.Sprintf("r%d-%d", r, i)
				m := visitorMessage(f.visitor, clientID, clientID)
				m.ConversationID = c.ID
				if i%2 == 0 {
					if _, created, err := s.AppendMessage(ctx, m); err != nil || !created {
						errs <- fmt.Errorf("append %s: created %v, %v", clientID, created, err)
					}
					return
				}
				res, err := s.AppendVisitorMessage(ctx, m)
				if err != nil || !res.Created {
					errs <- fmt.Errorf("append %s in: %+v, %v", clientID, res, err)
				} else if got := participantIDs(res.Conversation); !slices.Equal(got, []string{f.agent.ID}) {
					errs <- fmt.Errorf("append %s in: participants read %v, want the owner once", clientID, got)
				}
			}()
			go func() {
				defer wg.Done()
				err := s.RecordPageView(ctx, store.PageViewInput{VisitorID: f.visitor.ID, AccountID: f.account.ID,
					URL: fmt.Sprintf("https://acme.example/%d/%d", r, i), At: start})
				if err != nil {
					errs <- fmt.Errorf("page view: %v", err)
				}
			}()
		}
		wg.Add(4)
		go bad("message by an unknown author type", nil, func() error {
			m := visitorMessage(f.visitor, "robot", fmt.Sprintf("robot-%d", r))
			m.ConversationID, m.Author.Type = c.ID, "robot"
			_, _, err := s.AppendMessage(ctx, m)
			return err
		})
		go bad("page view of a missing visitor", nil, func() error {
			return s.RecordPageView(ctx, store.PageViewInput{VisitorID: domain.NewID(), AccountID: f.account.ID, URL: "https://acme.example/", At: start})
		})
		go bad("message to a closed conversation", domain.ErrClosed, func() error {
			m := visitorMessage(f.visitor, "late", fmt.Sprintf("late-%d", r))
			m.ConversationID = closed.ID
			_, _, err := s.AppendMessage(ctx, m)
			return err
		})
		go bad("message to a missing conversation", domain.ErrNotFound, func() error {
			m := visitorMessage(f.visitor, "lost", fmt.Sprintf("lost-%d", r))
			m.ConversationID = domain.NewID()
			_, _, err := s.AppendMessage(ctx, m)
			return err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	checkGapFree(t, s, c.ID, 1+rounds*good)
	pages, err := s.PagesOfLatestVisit(ctx, f.visitor.ID, 1000)
	if err != nil || len(pages) != rounds*good {
		t.Fatalf("%d pages stored (%v), want %d", len(pages), err, rounds*good)
	}
	if got, err := s.ConversationByID(ctx, closed.ID); err != nil || got.LastSeq != 1 {
		t.Fatalf("closed conversation: %+v, %v; want last_seq 1", got, err)
	}
}

// A repeat sent while the original is still being written, in the same group or another,
// is answered with the original; the other author's message with the same client id is its own.
func testConcurrentRepeats(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	const messages, copies = 30, 4
	got := make([][copies]*domain.Message, messages)
	var wg sync.WaitGroup
	for i := range messages {
		for k := range copies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				clientID := fmt.Sprintf("m%d", i)
				m := visitorMessage(f.visitor, clientID, clientID)
				if k == copies-1 {
					m.Author = domain.Author{Type: domain.AuthorOperator, ID: f.agent.ID}
				}
				m.ConversationID = c.ID
				stored, _, err := s.AppendMessage(ctx, m)
				if err != nil {
					t.Errorf("append %s: %v", clientID, err)
					return
				}
				got[i][k] = stored
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	checkGapFree(t, s, c.ID, 1+messages*2)
	for i, answers := range got {
		for k := 1; k < copies-1; k++ {
			if answers[k].ID != answers[0].ID || answers[k].Seq != answers[0].Seq {
				t.Fatalf("m%d: copy %d answered %s seq %d, the first %s seq %d", i, k, answers[k].ID, answers[k].Seq, answers[0].ID, answers[0].Seq)
			}
		}
		if op := answers[copies-1]; op.ID == answers[0].ID || op.Author.Type != domain.AuthorOperator {
			t.Fatalf("m%d: the operator's message with the same client id is %+v", i, op)
		}
	}
	if conv, err := s.ConversationByID(ctx, c.ID); err != nil || !conv.Meaningful {
		t.Fatalf("after an operator's message: %+v, %v; want meaningful", conv, err)
	}
	// Messages committed in one group are indexed together for the history search.
	if _, err := s.CloseConversation(ctx, c.ID, "", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	for i := range messages {
		word := fmt.Sprintf("m%d", i)
		hits, err := s.SearchHistory(ctx, store.HistoryFilter{AccountIDs: []string{f.account.ID}, Words: []string{word}})
		if err != nil || len(hits) != 1 || hits[0].Conversation.ID != c.ID || hits[0].Match != word {
			t.Fatalf("search %q: %+v, %v; want the one conversation, matching %q", word, hits, err, word)
		}
	}
}

// AppendVisitorMessage and AppendOperatorMessage store a message only for a sender who takes
// part, checked by the write itself, and read the conversation's access (and the visitor, or
// the session) in the same round trip.
func testAppendMessageIn(t *testing.T, s store.Store) {
	f := newFixture(t, s)
	c := startConversation(t, s, f)
	if err := s.SetVisitorIdentity(ctx, f.visitor.ID, "Vera", "vera@example.com"); err != nil {
		t.Fatal(err)
	}
	other := newVisitor(t, s, f.account.ID)
	third := newOperator(t, s, f.account.ID, domain.RoleAgent)
	message := func(author domain.AuthorType, conversationID, clientID string) *domain.Message {
		return &domain.Message{ID: domain.NewID(), ConversationID: conversationID, Author: domain.Author{Type: author},
			Body: "body " + clientID, ClientMsgID: clientID, CreatedAt: time.Now().UTC()}
	}
	byVisitor := func(visitorID, conversationID, clientID string) *store.AppendResult {
		t.Helper()
		m := message(domain.AuthorVisitor, conversationID, clientID)
		m.Author.ID = visitorID
		res, err := s.AppendVisitorMessage(ctx, m)
		if err != nil {
			t.Fatalf("%s: %v", clientID, err)
		}
		return res
	}
	byOperator := func(proof store.SessionProof, clientID string) *store.AppendResult {
		t.Helper()
		res, err := s.AppendOperatorMessage(ctx, message(domain.AuthorOperator, c.ID, clientID), proof)
		if err != nil {
			t.Fatalf("%s: %v", clientID, err)
		}
		return res
	}
	sessionOf := func(op *domain.Operator) store.SessionProof {
		t.Helper()
		now := time.Now().UTC()
		sess := &domain.Session{TokenHash: domain.NewSecret(16), OperatorID: op.ID, CSRFToken: "csrf-" + op.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		return store.SessionProof{TokenHash: sess.TokenHash, Now: now}
	}
	refused := func(res *store.AppendResult, what string, wantSeq int64) {
		t.Helper()
		if res.Message != nil || res.Created {
			t.Fatalf("%s was stored: %+v", what, res.Message)
		}
		if got, err := s.ConversationByID(ctx, c.ID); err != nil || got.LastSeq != wantSeq {
			t.Fatalf("%s: last_seq %d (%v), want %d", what, got.LastSeq, err, wantSeq)
		}
	}

	res := byVisitor(f.visitor.ID, c.ID, "v1")
	if !res.Created || res.Message.Seq != 2 || res.Message.Author.Name != "Vera" || res.Message.Author.ID != f.visitor.ID {
		t.Fatalf("the visitor's own message: %+v", res.Message)
	}
	if res.Visitor == nil || res.Visitor.ID != f.visitor.ID || res.Visitor.Email != "vera@example.com" || res.Operator != nil {
		t.Fatalf("read with the visitor's message: visitor %+v, operator %+v", res.Visitor, res.Operator)
	}
	if res.Conversation == nil || res.Conversation.VisitorID != f.visitor.ID || res.Conversation.Status != domain.ConversationWaiting {
		t.Fatalf("the access read with the message: %+v", res.Conversation)
	}
	if stored, err := s.MessagesAfter(ctx, c.ID, 1, 10); err != nil || len(stored) != 1 || stored[0].Author.Name != "Vera" {
		t.Fatalf("stored: %+v, %v", stored, err)
	}
	if again := byVisitor(f.visitor.ID, c.ID, "v1"); again.Created || again.Message == nil || again.Message.ID != res.Message.ID {
		t.Fatalf("a repeat: %+v, want the original %s", again.Message, res.Message.ID)
	}
	res = byVisitor(other.ID, c.ID, "x1")
	refused(res, "another visitor's message", 2)
	if res.Conversation == nil || res.Conversation.VisitorID != f.visitor.ID || res.Visitor == nil || res.Visitor.ID != other.ID {
		t.Fatalf("another visitor's refusal reads %+v and %+v", res.Conversation, res.Visitor)
	}
	if res := byVisitor(f.visitor.ID, domain.NewID(), "v2"); res.Message != nil || res.Conversation != nil {
		t.Fatalf("a missing conversation: %+v", res)
	}

	agent := sessionOf(f.agent)
	res = byOperator(agent, "a0")
	refused(res, "a waiting chat's operator", 2)
	if res.Operator == nil || res.Operator.ID != f.agent.ID || res.Session == nil || res.Session.CSRFToken != "csrf-"+f.agent.ID {
		t.Fatalf("the session read with a refused message: %+v, %+v", res.Operator, res.Session)
	}
	if _, err := s.ClaimConversation(ctx, c.ID, f.agent.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	res = byOperator(agent, "a1")
	if !res.Created || res.Message.Seq != 3 || res.Message.Author.ID != f.agent.ID || res.Message.Author.Name != f.agent.Name || res.Visitor != nil {
		t.Fatalf("the owner's message: %+v, visitor %+v", res.Message, res.Visitor)
	}
	if got := res.Conversation; got == nil || got.OwnerID != f.agent.ID || !slices.Equal(participantIDs(got), []string{f.agent.ID}) {
		t.Fatalf("the access read with the owner's message: %+v", got)
	}
	if again := byOperator(agent, "a1"); again.Created || again.Message == nil || again.Message.ID != res.Message.ID {
		t.Fatalf("the owner's repeat: %+v, want the original %s", again.Message, res.Message.ID)
	}
	withCSRF := agent
	withCSRF.CheckCSRF, withCSRF.CSRFToken = true, "csrf-"+f.agent.ID
	if res := byOperator(withCSRF, "a2"); !res.Created || res.Message.Seq != 4 {
		t.Fatalf("the owner's message with the session's CSRF token: %+v", res.Message)
	}
	withCSRF.CSRFToken = "forged"
	refused(byOperator(withCSRF, "a3"), "the owner's message with a wrong CSRF token", 4)
	withCSRF.CSRFToken = ""
	refused(byOperator(withCSRF, "a4"), "the owner's message without its CSRF token", 4)
	expired := agent
	expired.Now = time.Now().Add(2 * time.Hour)
	if res := byOperator(expired, "a5"); res.Message != nil || res.Operator != nil || res.Session != nil {
		t.Fatalf("an expired session's message: %+v", res)
	}
	refused(byOperator(store.SessionProof{TokenHash: "no-such-session", Now: time.Now()}, "a6"), "a message without a session", 4)

	refused(byOperator(sessionOf(f.admin), "ad1"), "an admin outside the chat", 4)
	if _, _, err := s.AddParticipant(ctx, c.ID, third.ID, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	thirds := sessionOf(third)
	if res := byOperator(thirds, "t1"); !res.Created || res.Message.Seq != 5 {
		t.Fatalf("an invited operator's message: %+v", res.Message)
	}
	if _, _, err := s.RemoveParticipant(ctx, c.ID, third.ID, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	refused(byOperator(thirds, "t2"), "an operator who left", 5)

	if _, err := s.CloseConversation(ctx, c.ID, "", time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	res = byVisitor(f.visitor.ID, c.ID, "v3")
	refused(res, "the visitor's message to a closed chat", 5)
	if res.Conversation == nil || res.Conversation.Status != domain.ConversationClosed {
		t.Fatalf("the access read of a closed chat: %+v", res.Conversation)
	}
	refused(byOperator(agent, "a7"), "the owner's message to a closed chat", 5)
	if _, err := s.AppendVisitorMessage(ctx, message(domain.AuthorSystem, c.ID, "sys")); err == nil {
		t.Fatal("a system message passed for a visitor's")
	}
	checkGapFree(t, s, c.ID, 5)
}
