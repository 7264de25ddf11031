package enrich

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen bounds, in runes, a name taken from the request: a browser, a utm_source.
const maxNameLen = 100

// clean makes text the visitor sent fit to store and show: valid UTF-8 (PostgreSQL refuses
// anything else), no control characters, trimmed, and at most max runes.
func clean(s string, max int) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			break
		}
		if r == utf8.RuneError || unicode.IsControl(r) {
			continue
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}
