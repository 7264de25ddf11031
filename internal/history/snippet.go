package history

import (
	"strings"
	"unicode"
)

// Snippet sizes, in characters.
const (
	snippetChars  = 160
	snippetBefore = 40
)

// Snippet cuts the part of body around the first of words it holds (the start of body when it
// holds none), on word boundaries, marking cuts with "…". It is plain text: the console shows it
// as text and highlights the words itself.
func Snippet(body string, words []string) string {
	text := []rune(strings.Join(strings.Fields(body), " "))
	if len(text) <= snippetChars {
		return string(text)
	}
	at := firstWord(text, words)
	start := max(0, at-snippetBefore)
	if start > 0 {
		// Start at the beginning of a word.
		for start < at && !unicode.IsSpace(text[start-1]) {
			start++
		}
	}
	end := min(len(text), start+snippetChars)
	if end < len(text) {
		for cut := end; cut > start+snippetChars/2; cut-- {
			if unicode.IsSpace(text[cut]) {
				end = cut
				break
			}
		}
	}
	out := strings.TrimSpace(string(text[start:end]))
	if start > 0 {
		out = "…" + out
	}
	if end < len(text) {
		out += "…"
	}
	return out
}

// firstWord is the index of the first rune of the earliest word found (case-insensitively), or 0.
func firstWord(text []rune, words []string) int {
	lower := make([]rune, len(text))
	for i, r := range text {
		lower[i] = unicode.ToLower(r)
	}
	best := -1
	for _, w := range words {
		needle := []rune(strings.ToLower(w))
		if len(needle) == 0 {
			continue
		}
		for i := 0; i+len(needle) <= len(lower); i++ {
			if (best >= 0 && i >= best) || string(lower[i:i+len(needle)]) != string(needle) {
				continue
			}
			best = i
			break
		}
	}
	return max(best, 0)
}
