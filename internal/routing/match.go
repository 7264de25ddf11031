package routing

import (
	"net/url"
	"strings"
)

// Match reports whether a page URL matches a rule's pattern, where `*` stands for any run of
// characters (none included) and everything else is compared without regard to case:
//
//   - a pattern that starts with `/` is matched against the page's path (and query):
//     `/cars/*` matches https://shop.example/cars/1;
//   - a pattern with a scheme (`https://shop.example/cars/*`) or that starts with `*`
//     (`*/cars/*`) is matched against the whole URL;
//   - any other pattern is matched against the URL without its scheme:
//     `shop.example/*` matches http://shop.example/ and https://shop.example/a.
func Match(pattern, pageURL string) bool {
	pattern, subject := strings.ToLower(pattern), strings.ToLower(pageURL)
	switch {
	case strings.HasPrefix(pattern, "/"):
		u, err := url.Parse(pageURL)
		if err != nil {
			return false
		}
		subject = strings.ToLower(u.EscapedPath())
		if subject == "" {
			subject = "/"
		}
		if u.RawQuery != "" {
			subject += "?" + strings.ToLower(u.RawQuery)
		}
	case strings.Contains(pattern, "://") || strings.HasPrefix(pattern, "*"):
	default:
		if _, rest, ok := strings.Cut(subject, "://"); ok {
			subject = rest
		}
	}
	return glob(pattern, subject)
}

// glob matches s against a pattern whose only special character is `*`, in linear time: on a
// mismatch it backtracks to the last star only, never further.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			mark++
			p, i = star+1, mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
