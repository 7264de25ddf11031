package visitors

import (
	"math/rand/v2"
	"net/mail"
	"strings"
	"testing"
)

func TestIdentityInText(t *testing.T) {
	cases := []struct{ body, name, email string }{
		{"Hello, my name is Ann Lee", "Ann Lee", ""},
		{"my name is ann and I want a car", "ann", ""},
		{"Name: José", "José", ""},
		{"write to ann@example.com please", "", "ann@example.com"},
		{"My name is Bob, bob.smith+cars@mail.example.org", "Bob", "bob.smith+cars@mail.example.org"},
		{"I am looking for a red car", "", ""},
		{"what is the name of this model?", "", ""},
		{"price@ 500 euros", "", ""},
		{"", "", ""},
		// The quick checks before the expressions ignore case as the expressions do.
		{"MY NAME IS Ann", "Ann", ""},
		{"My Name Is Zoë Brown", "Zoë Brown", ""},
		{"NaMe : Kim", "Kim", ""},
		{"ANN@EXAMPLE.COM", "", "ANN@EXAMPLE.COM"},
		{"nam e: Ann", "", ""},
		{"nam", "", ""},
	}
	for _, c := range cases {
		name, email := IdentityInText(c.body)
		if name != c.name || email != c.email {
			t.Errorf("IdentityInText(%q) = %q, %q; want %q, %q", c.body, name, email, c.name, c.email)
		}
	}
}

func TestContainsNameASCIIFold(t *testing.T) {
	for s, want := range map[string]bool{
		"name": true, "NAME": true, "my nAmE": true, "surnames": true, "Ñame": false,
		"nam": false, "n a m e": false, "": false, "naMe\x00": true, "\xce\xb0ame": false,
	} {
		if got := containsNameASCIIFold(s); got != want {
			t.Errorf("containsNameASCIIFold(%q) = %v, want %v", s, got, want)
		}
	}
}

// The quick checks only skip work: on any text, the answer is the expressions' own.
func TestIdentityInTextAgreesWithTheExpressionsAlone(t *testing.T) {
	alphabet := []string{"n", "a", "m", "e", "N", "A", "M", "E", " ", ":", "@", ".", "my ", "is ", "IS ", "Ann", "Lee", "com", "x", "ſ", "K", "é", "-"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		body := b.String()
		name, email := IdentityInText(body)
		wantName, wantEmail := "", ""
		if m := emailInText.FindString(body); m != "" {
			if addr, err := mail.ParseAddress(m); err == nil && addr.Address == m {
				wantEmail = m
			}
		}
		if m := nameInText.FindStringSubmatch(body); m != nil {
			wantName = strings.TrimSpace(m[1])
		}
		if name != wantName || email != wantEmail {
			t.Fatalf("IdentityInText(%q) = %q, %q; the expressions alone: %q, %q", body, name, email, wantName, wantEmail)
		}
	}
}
