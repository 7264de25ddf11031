package visitors

import "testing"

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
	}
	for _, c := range cases {
		name, email := IdentityInText(c.body)
		if name != c.name || email != c.email {
			t.Errorf("IdentityInText(%q) = %q, %q; want %q, %q", c.body, name, email, c.name, c.email)
		}
	}
}
