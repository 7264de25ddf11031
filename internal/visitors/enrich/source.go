package enrich

import (
	"net/url"
	"strings"
)

// Source is where the visit came from.
type Source struct {
	Kind     string `json:"kind"`     // "campaign", "search", "social", "referral" or "direct"
	Name     string `json:"name"`     // "Google", "X"…, the referring host, or utm_source
	Campaign string `json:"campaign"` // utm_campaign
	Medium   string `json:"medium"`   // utm_medium
}

// Source kinds.
const (
	SourceCampaign = "campaign"
	SourceSearch   = "search"
	SourceSocial   = "social"
	SourceReferral = "referral"
	SourceDirect   = "direct"
)

// clickIDs are the parameters ad networks append to the landing URL of a paid click, with
// the network to name when there is no utm_source.
var clickIDs = []struct{ param, name string }{
	{"gclid", "Google"},
	{"fbclid", "Facebook"},
	{"msclkid", "Bing"},
}

// ClassifySource says where a visit came from, from the page it landed on and the
// Referer the browser sent with it:
//
//   - utm_* parameters or an ad click id (gclid, fbclid, msclkid) on the landing URL make a
//     campaign, whatever the referrer;
//   - a referrer from a known search engine or social network names it;
//   - a referrer from the landing page's own host is internal navigation, so direct;
//   - any other web referrer is a referral, named by its host without "www.";
//   - no referrer, or one that is not a web address, is direct.
//
// Neither argument is trusted: a URL that does not parse counts as absent.
func ClassifySource(landingURL, referrer string) Source {
	landing := parseURL(landingURL)
	if src, ok := campaign(landing); ok {
		return src
	}
	ref := parseURL(referrer)
	if ref == nil {
		return Source{Kind: SourceDirect}
	}
	if ref.Scheme == "android-app" && ref.Host != "" {
		// Chrome on Android sends this when an app opened the link; the host is the app's package.
		if known, ok := knownApps[strings.ToLower(ref.Host)]; ok {
			return known
		}
		return Source{Kind: SourceReferral, Name: clean(ref.Host, maxNameLen)}
	}
	if ref.Scheme != "http" && ref.Scheme != "https" {
		return Source{Kind: SourceDirect}
	}
	host := normalHost(ref.Hostname())
	if host == "" {
		return Source{Kind: SourceDirect}
	}
	if landing != nil && host == normalHost(landing.Hostname()) {
		return Source{Kind: SourceDirect}
	}
	if known, ok := knownHost(host); ok {
		return known
	}
	return Source{Kind: SourceReferral, Name: clean(host, maxNameLen)}
}

// campaign reads the utm_* parameters and ad click ids of a landing URL. Parameter names are
// matched as the analytics tools match them: lower case only.
func campaign(landing *url.URL) (Source, bool) {
	if landing == nil || landing.RawQuery == "" {
		return Source{}, false
	}
	q := landing.Query()
	src := Source{
		Kind:     SourceCampaign,
		Name:     clean(q.Get("utm_source"), maxNameLen),
		Campaign: clean(q.Get("utm_campaign"), maxNameLen),
		Medium:   clean(q.Get("utm_medium"), maxNameLen),
	}
	found := src.Name != "" || src.Campaign != "" || src.Medium != "" ||
		q.Get("utm_term") != "" || q.Get("utm_content") != "" || q.Get("utm_id") != ""
	for _, c := range clickIDs {
		if q.Get(c.param) != "" {
			found = true
			if src.Name == "" {
				src.Name = c.name
			}
			break
		}
	}
	return src, found
}

// parseURL parses a URL from the request, or returns nil when there is none worth reading.
func parseURL(raw string) *url.URL {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxURLLen {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil
	}
	return u
}

// maxURLLen is far above any real landing page or referrer; longer input is not read at all.
const maxURLLen = 8192

// normalHost lower-cases a host name and drops "www." and a trailing dot, so that
// www.example.com and example.com are the same site.
func normalHost(h string) string {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	return strings.TrimPrefix(h, "www.")
}
