package history

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/domain"
)

func TestSafeCell(t *testing.T) {
	for in, want := range map[string]string{
		"=cmd|' /C calc'!A0": "'=cmd|' /C calc'!A0",
		"+1 555":             "'+1 555",
		"-2":                 "'-2",
		"@SUM(A1)":           "'@SUM(A1)",
		"\tx":                "'\tx",
		"\rx":                "'\rx",
		"plain = text":       "plain = text",
		"":                   "",
	} {
		if got := SafeCell(in); got != want {
			t.Errorf("SafeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteCSVQuotesAndNeutralises(t *testing.T) {
	at := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	c := &domain.Conversation{Visitor: domain.VisitorSummary{Name: "=Eve"}}
	msgs := []domain.Message{
		{Seq: 1, Author: domain.Author{Type: domain.AuthorVisitor}, Body: "=HYPERLINK(\"http://x\")", CreatedAt: at},
		{Seq: 2, Author: domain.Author{Type: domain.AuthorOperator, Name: "Ann, \"the\" boss"}, Body: "line 1\nline 2", CreatedAt: at},
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, c, msgs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		CSVHeader,
		{"1", "2025-03-01T09:30:00Z", "visitor", "'=Eve", "'=HYPERLINK(\"http://x\")"},
		{"2", "2025-03-01T09:30:00Z", "operator", "Ann, \"the\" boss", "line 1\nline 2"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
		}
	}
}

func TestSnippet(t *testing.T) {
	long := strings.Repeat("filler words here ", 20) + "the Zeppelin arrives on Monday " + strings.Repeat("more text after ", 20)
	cases := []struct {
		body  string
		words []string
		check func(string) bool
	}{
		{"short text", nil, func(s string) bool { return s == "short text" }},
		{"  spaced\n\nout  ", nil, func(s string) bool { return s == "spaced out" }},
		{long, []string{"zeppelin"}, func(s string) bool {
			return strings.HasPrefix(s, "…") && strings.HasSuffix(s, "…") && strings.Contains(s, "Zeppelin arrives") && len([]rune(s)) <= snippetChars+2
		}},
		{long, []string{"absent"}, func(s string) bool { return strings.HasPrefix(s, "filler") && strings.HasSuffix(s, "…") }},
		{strings.Repeat("ä", 300) + " Ärger", []string{"ärger"}, func(s string) bool { return strings.HasSuffix(s, "Ärger") }},
	}
	for _, tc := range cases {
		if got := Snippet(tc.body, tc.words); !tc.check(got) {
			t.Errorf("Snippet(%.40q…, %q) = %q", tc.body, tc.words, got)
		}
	}
}

func TestWords(t *testing.T) {
	got, err := Words(`  "blue" vase, OR e-mail NEAR(x*) €40 `)
	if err != nil || !slices.Equal(got, []string{"blue", "vase", "OR", "e", "mail", "NEAR", "x", "40"}) {
		t.Fatalf("Words = %q, %v", got, err)
	}
	if _, err := Words(strings.Repeat("a ", 11)); err == nil {
		t.Fatal("11 words accepted")
	}
	if _, err := Words(strings.Repeat("a", 201)); err == nil {
		t.Fatal("201 characters accepted")
	}
}

func TestParseTime(t *testing.T) {
	from, err := ParseTime("2025-03-01", false)
	if err != nil || !from.Equal(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("from = %v, %v", from, err)
	}
	to, err := ParseTime("2025-03-01", true)
	if err != nil || !to.Equal(time.Date(2025, 3, 1, 23, 59, 59, 999e6, time.UTC)) {
		t.Fatalf("to = %v, %v", to, err)
	}
	at, err := ParseTime("2025-03-01T10:00:00+02:00", true)
	if err != nil || !at.Equal(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("RFC 3339 = %v, %v", at, err)
	}
	for _, bad := range []string{"yesterday", "2025-02-30", "01/03/2025"} {
		if _, err := ParseTime(bad, false); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	at := time.UnixMilli(1_740_000_000_123).UTC()
	c, err := decodeCursor(encodeCursor(at, "01abc"))
	if err != nil || !c.CreatedAt.Equal(at) || c.ID != "01abc" {
		t.Fatalf("decode = %+v, %v", c, err)
	}
	for _, bad := range []string{"!!", "bm9wZQ", encodeCursor(at, "")} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("decodeCursor(%q) accepted", bad)
		}
	}
}
