package enrich_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/portico/portico/internal/visitors/enrich"
)

// userAgents are real headers, copied from the browsers and crawlers they name.
var userAgents = []struct {
	name string
	ua   string
	want enrich.Device
}{
	{
		name: "chrome on windows",
		ua:   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		want: enrich.Device{Kind: "desktop", OS: "Windows 10", Browser: "Chrome 120"},
	},
	{
		name: "edge on windows",
		ua:   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
		want: enrich.Device{Kind: "desktop", OS: "Windows 10", Browser: "Edge 120"},
	},
	{
		name: "chrome on windows 7",
		ua:   "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36",
		want: enrich.Device{Kind: "desktop", OS: "Windows 7", Browser: "Chrome 109"},
	},
	{
		name: "safari on iphone",
		ua:   "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
		want: enrich.Device{Kind: "mobile", OS: "iOS 17.2", Browser: "Safari 17.2"},
	},
	{
		name: "chrome on iphone",
		ua:   "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
		want: enrich.Device{Kind: "mobile", OS: "iOS 17.2", Browser: "Chrome 120"},
	},
	{
		name: "safari on ipad",
		ua:   "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
		want: enrich.Device{Kind: "tablet", OS: "iOS 16.6", Browser: "Safari 16.6"},
	},
	{
		name: "safari on mac",
		ua:   "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15",
		want: enrich.Device{Kind: "desktop", OS: "macOS 10.15.7", Browser: "Safari 17.2"},
	},
	{
		name: "firefox on linux",
		ua:   "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		want: enrich.Device{Kind: "desktop", OS: "Linux", Browser: "Firefox 121"},
	},
	{
		name: "firefox on ubuntu",
		ua:   "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
		want: enrich.Device{Kind: "desktop", OS: "Linux", Browser: "Firefox 121"},
	},
	{
		name: "chrome on chromebook",
		ua:   "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		want: enrich.Device{Kind: "desktop", OS: "ChromeOS", Browser: "Chrome 120"},
	},
	{
		name: "chrome on android phone",
		ua:   "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
		want: enrich.Device{Kind: "mobile", OS: "Android 14", Browser: "Chrome 120"},
	},
	{
		name: "chrome on android phone, reduced user-agent",
		ua:   "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
		want: enrich.Device{Kind: "mobile", OS: "Android 10", Browser: "Chrome 120"},
	},
	{
		name: "chrome on android tablet",
		ua:   "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
		want: enrich.Device{Kind: "tablet", OS: "Android 13", Browser: "Chrome 120"},
	},
	{
		name: "samsung internet",
		ua:   "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
		want: enrich.Device{Kind: "mobile", OS: "Android 13", Browser: "Samsung Browser 23"},
	},
	{
		name: "firefox on android",
		ua:   "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
		want: enrich.Device{Kind: "mobile", OS: "Android 14", Browser: "Firefox 121"},
	},
	{
		name: "googlebot",
		ua:   "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		want: enrich.Device{Kind: "bot", Browser: "Googlebot"},
	},
	{
		name: "googlebot smartphone",
		ua:   "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.216 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		want: enrich.Device{Kind: "bot", OS: "Android 6", Browser: "Googlebot"},
	},
	{
		name: "headless chrome",
		ua:   "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
		want: enrich.Device{Kind: "bot", OS: "Windows 10", Browser: "Headless Chrome"},
	},
	{
		name: "facebook in-app browser",
		ua:   "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21C62 [FBAN/FBIOS;FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/17.2;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
		want: enrich.Device{Kind: "mobile", OS: "iOS 17.2", Browser: "Facebook App"},
	},
	{
		name: "command-line client",
		ua:   "curl/8.4.0",
		want: enrich.Device{Browser: "curl 8"},
	},
	{
		name: "empty",
		ua:   "",
		want: enrich.Device{},
	},
	{
		name: "blank",
		ua:   "   ",
		want: enrich.Device{},
	},
	{
		name: "unrecognised words are not shown as a browser",
		ua:   "hello there operator",
		want: enrich.Device{},
	},
}

func TestParseUserAgent(t *testing.T) {
	t.Parallel()
	for _, tc := range userAgents {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := enrich.ParseUserAgent(tc.ua); got != tc.want {
				t.Errorf("ParseUserAgent(%q)\n got %+v\nwant %+v", tc.ua, got, tc.want)
			}
		})
	}
}

// The header is the visitor's to write: what comes back must be storable text of bounded size.
func TestParseUserAgentHostileInput(t *testing.T) {
	t.Parallel()
	for _, ua := range []string{
		"Mozilla/5.0 (Windows NT 10.0) Evil\xff\xfeBrowser/1.0",
		"Mozilla/5.0 (Windows NT 10.0) Bad\x00\x1bBrowser/1.0",
		"Mozilla/5.0 (Windows NT 10.0) " + strings.Repeat("A", 5000) + "/1.0",
		strings.Repeat("(;/", 10000),
	} {
		got := enrich.ParseUserAgent(ua)
		for _, s := range []string{got.Kind, got.OS, got.Browser} {
			if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) || utf8.RuneCountInString(s) > 100 {
				t.Errorf("ParseUserAgent(%.40q…) = %+v: not clean, bounded text", ua, got)
			}
		}
	}
}
