package sqlstore

import (
	"reflect"
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

// A message's three statements get their own arguments, in their placeholders' order, from one
// array: none of them can grow into another's.
func TestAMessageWritesStatementsGetTheirOwnArguments(t *testing.T) {
	at := time.UnixMilli(1_700_000_000_000)
	m := &domain.Message{ID: "m1", ConversationID: "c1", Author: domain.Author{Type: domain.AuthorOperator},
		Body: "Hello", ClientMsgID: "k1", CreatedAt: at}
	w := newMessageWrite(conversationLockQuery, m, &messageBySession, []any{"hash", "hash"}, []any{"hash", int64(5), 1, "csrf"})
	want := [][]any{
		{"c1"},
		{"m1", "operator", "hash", "hash", "Hello", "k1", at.UnixMilli(), "c1", 0, "hash", int64(5), 1, "csrf"},
		{1, "c1", "m1"},
	}
	for i, args := range want {
		if got := w.steps[i].Args; !reflect.DeepEqual(got, args) {
			t.Errorf("statement %d: %#v, want %#v", i, got, args)
		}
	}
	_ = append(w.steps[0].Args, "x")
	_ = append(w.steps[1].Args, "y")
	if !reflect.DeepEqual(w.steps[1].Args[:1], want[1][:1]) || !reflect.DeepEqual(w.steps[2].Args, want[2]) {
		t.Fatalf("appending to one statement's arguments changed another's: %#v, %#v", w.steps[1].Args, w.steps[2].Args)
	}
	// The write, its steps, the arguments' array, the insert's scan, and a box for each of the
	// six values that are neither small integers nor given boxed (18 when each statement had a
	// list of its own and the ids were boxed for each).
	authorArgs, checkArgs := []any{"v1"}, []any{"v1"}
	if allocs := testing.AllocsPerRun(100, func() { newMessageWrite(conversationLockQuery, m, &messageByVisitor, authorArgs, checkArgs) }); allocs > 10 {
		t.Fatalf("%v allocations to prepare a message's write, want at most 10", allocs)
	}
}
