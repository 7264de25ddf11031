package visitors

import (
	"net/mail"
	"regexp"
	"strings"
)

var (
	emailInText = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// "my name is Ann Lee", "name: Ann": the ways people tell an operator who they are.
	nameInText = regexp.MustCompile(`(?i:\bmy name is|\bname\s*:)\s+([\p{L}][\p{L}'\-]*(?:\s+[\p{Lu}][\p{L}'\-]*)?)`)
)

// IdentityInText finds a name or an e-mail address a visitor typed in a chat message.
func IdentityInText(body string) (name, email string) {
	if m := emailInText.FindString(body); m != "" {
		if addr, err := mail.ParseAddress(m); err == nil && addr.Address == m && len(m) <= 254 {
			email = m
		}
	}
	if m := nameInText.FindStringSubmatch(body); m != nil {
		name = strings.TrimSpace(m[1])
		if len([]rune(name)) > 100 {
			name = ""
		}
	}
	return name, email
}
