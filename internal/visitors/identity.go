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
// It runs on every visitor message, most of which hold neither: a search for '@' and for "name"
// settles those before the regular expressions, whose backtracking was 1 % of a busy node's CPU.
func IdentityInText(body string) (name, email string) {
	if strings.IndexByte(body, '@') >= 0 {
		if m := emailInText.FindString(body); m != "" {
			if addr, err := mail.ParseAddress(m); err == nil && addr.Address == m && len(m) <= 254 {
				email = m
			}
		}
	}
	if !containsNameASCIIFold(body) {
		return "", email
	}
	if m := nameInText.FindStringSubmatch(body); m != nil {
		name = strings.TrimSpace(m[1])
		if len([]rune(name)) > 100 {
			name = ""
		}
	}
	return name, email
}

// containsNameASCIIFold says whether "name" is in s in any case. nameInText's case folding adds
// no other spelling of these four letters (unlike k and s, which have Unicode look-alikes).
func containsNameASCIIFold(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i]|0x20 == 'n' && s[i+1]|0x20 == 'a' && s[i+2]|0x20 == 'm' && s[i+3]|0x20 == 'e' {
			return true
		}
	}
	return false
}
