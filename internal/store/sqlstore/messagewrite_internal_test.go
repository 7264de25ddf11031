package sqlstore

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
)

// A conversation's access is read for every message; its rows go into the same targets each
// time instead of new variables of their own.
func TestAccessRowsAreScannedWithoutAllocating(t *testing.T) {
	read := newAccessRead("c1")
	conversationRow := func(dest ...any) error {
		for i, v := range []any{"conversation", "a1", "v1", "open", "op1", int64(0), int64(0)} {
			reflect.ValueOf(dest[i]).Elem().Set(reflect.ValueOf(v))
		}
		return nil
	}
	if err := read.scan(conversationRow); err != nil {
		t.Fatal(err)
	}
	c := read.conversation
	if !read.found || c.AccountID != "a1" || c.VisitorID != "v1" || c.Status != "open" || c.OwnerID != "op1" {
		t.Fatalf("read %+v", c)
	}
	if allocs := testing.AllocsPerRun(100, func() { read.scan(conversationRow) }); allocs != 0 {
		t.Fatalf("%v allocations a row", allocs)
	}
}

// A message's statements get their own arguments, in their placeholders' order, from one array:
// on SQLite the insert cannot grow into the advance's; on PostgreSQL the one statement gets all.
func TestAMessageWritesStatementsGetTheirOwnArguments(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	m := &domain.Message{ID: "m1", ConversationID: "c1", Author: domain.Author{Type: domain.AuthorOperator},
		Body: "Hello", ClientMsgID: "k1", CreatedAt: at}
	authorArgs, checkArgs := []any{"hash", "hash"}, []any{"hash", int64(5), 1, "csrf"}
	insertArgs := []any{"m1", "operator", "hash", "hash", "Hello", "k1", at.UnixMilli(), "c1", 0, "hash", int64(5), 1, "csrf"}
	advanceArgs := []any{1, "c1", "m1"}

	sqlite := newMessageWrites("")
	w := newMessageWrite(m, &sqlite.bySession, authorArgs, checkArgs)
	if len(w.steps) != 2 || !reflect.DeepEqual(w.steps[0].Args, insertArgs) || !reflect.DeepEqual(w.steps[1].Args, advanceArgs) {
		t.Fatalf("SQLite's statements' arguments: %#v", w.steps)
	}
	_ = append(w.steps[0].Args, "y")
	if !reflect.DeepEqual(w.steps[1].Args, advanceArgs) {
		t.Fatalf("appending to the insert's arguments changed the advance's: %#v", w.steps[1].Args)
	}

	// A read that must come before the write (an operator's session) comes first; the insert's
	// rows still say whether the message was stored.
	w = newMessageWrite(m, &sqlite.bySession, authorArgs, checkArgs, Step{Query: "SELECT 1"})
	w.steps[1].Rows = 1
	if len(w.steps) != 3 || w.steps[0].Query != "SELECT 1" || w.steps[1].Query != sqlite.bySession.insert || !w.stored() {
		t.Fatalf("with a read before: %#v", w.steps)
	}

	postgres := newMessageWrites("FOR NO KEY UPDATE")
	w = newMessageWrite(m, &postgres.bySession, authorArgs, checkArgs)
	fused := append(append([]any{"c1"}, insertArgs...), advanceArgs...)
	if len(w.steps) != 1 || !reflect.DeepEqual(w.steps[0].Args, fused) {
		t.Fatalf("PostgreSQL's statement's arguments: %#v", w.steps)
	}

	// Every statement has a placeholder for each of its arguments.
	for _, forms := range []messageWrites{sqlite, postgres} {
		for _, c := range []struct {
			st                    *messageStatements
			authorArgs, checkArgs []any
		}{{&forms.byAnyone, []any{"o1", "Olga"}, nil}, {&forms.byVisitor, []any{"v1"}, []any{"v1"}}, {&forms.bySession, authorArgs, checkArgs}} {
			for _, step := range newMessageWrite(m, c.st, c.authorArgs, c.checkArgs).steps {
				if got := strings.Count(step.Query, "?"); got != len(step.Args) {
					t.Errorf("%d placeholders for %d arguments: %s", got, len(step.Args), step.Query)
				}
			}
		}
	}
	if sqlite.bySession.fused != "" {
		t.Error("SQLite got a statement with data-modifying WITH, which it does not run")
	}

	// The write, its steps, the arguments' array, the insert's scan, and a box for each of the
	// six values that are neither small integers nor given boxed (18 when each statement had a
	// list of its own and the ids were boxed for each).
	visitorAuthor, visitorCheck := []any{"v1"}, []any{"v1"}
	for _, forms := range []messageWrites{sqlite, postgres} {
		if allocs := testing.AllocsPerRun(100, func() { newMessageWrite(m, &forms.byVisitor, visitorAuthor, visitorCheck) }); allocs > 10 {
			t.Fatalf("%v allocations to prepare a message's write, want at most 10", allocs)
		}
	}
}
