package enrich

import (
	"slices"
	"strings"
)

func search(name string) Source { return Source{Kind: SourceSearch, Name: name} }
func social(name string) Source { return Source{Kind: SourceSocial, Name: name} }

// knownDomains are referring sites with one home: the domain and every host under it.
var knownDomains = map[string]Source{
	"bing.com":             search("Bing"),
	"duckduckgo.com":       search("DuckDuckGo"),
	"baidu.com":            search("Baidu"),
	"ecosia.org":           search("Ecosia"),
	"ya.ru":                search("Yandex"),
	"search.brave.com":     search("Brave"),
	"startpage.com":        search("Startpage"),
	"qwant.com":            search("Qwant"),
	"search.naver.com":     search("Naver"),
	"search.seznam.cz":     search("Seznam"),
	"facebook.com":         social("Facebook"),
	"fb.com":               social("Facebook"),
	"fb.me":                social("Facebook"),
	"messenger.com":        social("Facebook"),
	"instagram.com":        social("Instagram"),
	"x.com":                social("X"),
	"twitter.com":          social("X"),
	"t.co":                 social("X"),
	"linkedin.com":         social("LinkedIn"),
	"lnkd.in":              social("LinkedIn"),
	"reddit.com":           social("Reddit"),
	"redd.it":              social("Reddit"),
	"youtube.com":          social("YouTube"),
	"youtu.be":             social("YouTube"),
	"tiktok.com":           social("TikTok"),
	"pin.it":               social("Pinterest"),
	"threads.net":          social("Threads"),
	"threads.com":          social("Threads"),
	"bsky.app":             social("Bluesky"),
	"t.me":                 social("Telegram"),
	"web.telegram.org":     social("Telegram"),
	"wa.me":                social("WhatsApp"),
	"web.whatsapp.com":     social("WhatsApp"),
	"vk.com":               social("VK"),
	"news.ycombinator.com": social("Hacker News"),
}

// brands are sites with a domain per country (google.de, google.co.uk, yandex.com.tr). sub
// says which hosts of the brand are the engine or network: mail.google.com is not a search.
var brands = map[string]struct {
	src Source
	sub func(labels []string) bool
}{
	"google":    {search("Google"), oneOf("", "www", "m", "images")},
	"yandex":    {search("Yandex"), oneOf("", "www")},
	"yahoo":     {search("Yahoo"), hasLabel("search")},
	"pinterest": {social("Pinterest"), anyHost},
}

// knownApps are Android apps that open links in the browser, which then sends
// android-app://<package>/ as the referrer.
var knownApps = map[string]Source{
	"com.google.android.googlequicksearchbox": search("Google"),
	"com.facebook.katana":                     social("Facebook"),
	"com.facebook.orca":                       social("Facebook"),
	"com.instagram.android":                   social("Instagram"),
	"com.twitter.android":                     social("X"),
	"com.linkedin.android":                    social("LinkedIn"),
	"com.reddit.frontpage":                    social("Reddit"),
	"com.google.android.youtube":              social("YouTube"),
	"com.zhiliaoapp.musically":                social("TikTok"),
	"com.pinterest":                           social("Pinterest"),
	"org.telegram.messenger":                  social("Telegram"),
	"com.whatsapp":                            social("WhatsApp"),
}

// knownHost names the search engine or social network a (normalised) host belongs to.
func knownHost(host string) (Source, bool) {
	for h := host; ; {
		if src, ok := knownDomains[h]; ok {
			return src, true
		}
		dot := strings.IndexByte(h, '.')
		if dot < 0 {
			break
		}
		h = h[dot+1:]
	}
	labels := strings.Split(host, ".")
	for i, label := range labels {
		b, ok := brands[label]
		if ok && countrySuffix(labels[i+1:]) && b.sub(labels[:i]) {
			return b.src, true
		}
	}
	return Source{}, false
}

// countrySuffix tells whether labels look like what follows a brand's name: a top-level domain
// ("com", "de") or a country's second level ("co.uk", "com.br"). Without the public suffix
// list this is a guess, but one that does not take google.example.com for Google.
func countrySuffix(labels []string) bool {
	switch len(labels) {
	case 1:
		return len(labels[0]) >= 2
	case 2:
		return len(labels[0]) >= 2 && len(labels[0]) <= 3 && len(labels[1]) == 2
	}
	return false
}

func oneOf(subdomains ...string) func([]string) bool {
	return func(labels []string) bool { return slices.Contains(subdomains, strings.Join(labels, ".")) }
}

func hasLabel(want string) func([]string) bool {
	return func(labels []string) bool { return slices.Contains(labels, want) }
}

func anyHost([]string) bool { return true }
