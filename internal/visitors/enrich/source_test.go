package enrich_test

import (
	"strings"
	"testing"

	"github.com/portico/portico/internal/visitors/enrich"
)

func TestClassifySource(t *testing.T) {
	t.Parallel()
	const landing = "https://shop.example.com/pricing"
	direct := enrich.Source{Kind: "direct"}
	for _, tc := range []struct {
		name     string
		landing  string
		referrer string
		want     enrich.Source
	}{
		{"no referrer", landing, "", direct},
		{"google", landing, "https://www.google.com/", enrich.Source{Kind: "search", Name: "Google"}},
		{"google abroad", landing, "https://www.google.co.uk/", enrich.Source{Kind: "search", Name: "Google"}},
		{"google brazil", landing, "https://google.com.br/search?q=chat", enrich.Source{Kind: "search", Name: "Google"}},
		{"google app on android", landing, "android-app://com.google.android.googlequicksearchbox/", enrich.Source{Kind: "search", Name: "Google"}},
		{"gmail is not a search", landing, "https://mail.google.com/", enrich.Source{Kind: "referral", Name: "mail.google.com"}},
		{"a site named like google", landing, "https://google.example.org/", enrich.Source{Kind: "referral", Name: "google.example.org"}},
		{"bing", landing, "https://www.bing.com/", enrich.Source{Kind: "search", Name: "Bing"}},
		{"duckduckgo", landing, "https://duckduckgo.com/", enrich.Source{Kind: "search", Name: "DuckDuckGo"}},
		{"yahoo search", landing, "https://uk.search.yahoo.com/", enrich.Source{Kind: "search", Name: "Yahoo"}},
		{"yahoo news is not a search", landing, "https://news.yahoo.com/story", enrich.Source{Kind: "referral", Name: "news.yahoo.com"}},
		{"yandex", landing, "https://yandex.com.tr/", enrich.Source{Kind: "search", Name: "Yandex"}},
		{"baidu", landing, "https://www.baidu.com/link?url=x", enrich.Source{Kind: "search", Name: "Baidu"}},
		{"ecosia", landing, "https://www.ecosia.org/", enrich.Source{Kind: "search", Name: "Ecosia"}},
		{"facebook", landing, "https://www.facebook.com/", enrich.Source{Kind: "social", Name: "Facebook"}},
		{"facebook link shim", landing, "https://l.facebook.com/l.php?u=x", enrich.Source{Kind: "social", Name: "Facebook"}},
		{"facebook mobile", landing, "http://m.facebook.com/", enrich.Source{Kind: "social", Name: "Facebook"}},
		{"instagram", landing, "https://l.instagram.com/", enrich.Source{Kind: "social", Name: "Instagram"}},
		{"t.co", landing, "https://t.co/AbC123", enrich.Source{Kind: "social", Name: "X"}},
		{"x.com", landing, "https://x.com/", enrich.Source{Kind: "social", Name: "X"}},
		{"linkedin", landing, "https://www.linkedin.com/", enrich.Source{Kind: "social", Name: "LinkedIn"}},
		{"reddit", landing, "https://out.reddit.com/t3_abc", enrich.Source{Kind: "social", Name: "Reddit"}},
		{"youtube", landing, "https://www.youtube.com/", enrich.Source{Kind: "social", Name: "YouTube"}},
		{"tiktok", landing, "https://www.tiktok.com/", enrich.Source{Kind: "social", Name: "TikTok"}},
		{"pinterest abroad", landing, "https://de.pinterest.com/", enrich.Source{Kind: "social", Name: "Pinterest"}},
		{"telegram is not X", landing, "https://t.me/channel", enrich.Source{Kind: "social", Name: "Telegram"}},
		{"a host ending like t.co", landing, "https://bigt.co/", enrich.Source{Kind: "referral", Name: "bigt.co"}},
		{"facebook app on android", landing, "android-app://com.facebook.katana/", enrich.Source{Kind: "social", Name: "Facebook"}},
		{"unknown android app", landing, "android-app://com.example.reader/", enrich.Source{Kind: "referral", Name: "com.example.reader"}},

		{"utm", "https://shop.example.com/?utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale",
			"", enrich.Source{Kind: "campaign", Name: "newsletter", Campaign: "spring_sale", Medium: "email"}},
		{"utm wins over the referrer", "https://shop.example.com/?utm_source=fb&utm_medium=paid_social&utm_campaign=launch",
			"https://l.facebook.com/", enrich.Source{Kind: "campaign", Name: "fb", Campaign: "launch", Medium: "paid_social"}},
		{"utm on internal navigation", "https://shop.example.com/?utm_campaign=banner",
			"https://shop.example.com/", enrich.Source{Kind: "campaign", Campaign: "banner"}},
		{"utm values are decoded", "https://shop.example.com/?utm_source=Partner+Blog&utm_campaign=%C3%A9t%C3%A9",
			"", enrich.Source{Kind: "campaign", Name: "Partner Blog", Campaign: "été"}},
		{"gclid", "https://shop.example.com/?gclid=Cj0KCQ", "https://www.google.com/", enrich.Source{Kind: "campaign", Name: "Google"}},
		{"fbclid", "https://shop.example.com/?fbclid=IwAR3", "https://l.facebook.com/", enrich.Source{Kind: "campaign", Name: "Facebook"}},
		{"empty utm is no campaign", "https://shop.example.com/?utm_source=", "", direct},
		{"other parameters are no campaign", "https://shop.example.com/?page=2", "https://www.bing.com/", enrich.Source{Kind: "search", Name: "Bing"}},

		{"same host", landing, "https://shop.example.com/products/1", direct},
		{"same host with www", "https://example.com/", "https://www.example.com/blog", direct},
		{"same host in capitals", landing, "https://SHOP.Example.com/", direct},
		{"same host on another port", landing, "https://shop.example.com:8443/", direct},
		{"other site", landing, "https://blog.partner.org/post/42", enrich.Source{Kind: "referral", Name: "blog.partner.org"}},
		{"other site, www dropped", landing, "https://www.partner.org/", enrich.Source{Kind: "referral", Name: "partner.org"}},
		{"sibling subdomain is another site", landing, "https://blog.example.com/", enrich.Source{Kind: "referral", Name: "blog.example.com"}},

		{"garbage referrer", landing, "not a url", direct},
		{"garbage referrer with escapes", landing, "http://%zz/", direct},
		{"referrer without host", landing, "https:///path", direct},
		{"non-web referrer", landing, "file:///C:/page.html", direct},
		{"about:blank", landing, "about:blank", direct},
		{"android app without a package", landing, "android-app:///", direct},
		{"both garbage", "%%%", "::::", direct},
		{"garbage landing, real referrer", "http://[::1/", "https://duckduckgo.com/", enrich.Source{Kind: "search", Name: "DuckDuckGo"}},
		{"garbage landing, utm-like text", "http://%zz/?utm_source=x", "", direct},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := enrich.ClassifySource(tc.landing, tc.referrer); got != tc.want {
				t.Errorf("ClassifySource(%q, %q)\n got %+v\nwant %+v", tc.landing, tc.referrer, got, tc.want)
			}
		})
	}
}

// Campaign fields come from the landing URL, which anyone can write: they are bounded and clean.
func TestClassifySourceBoundsCampaignText(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 500)
	got := enrich.ClassifySource("https://example.com/?utm_source="+long+"&utm_campaign=a%00b%0Ac%FF", "")
	if n := len([]rune(got.Name)); n != 100 {
		t.Errorf("Name has %d runes, want it cut to 100", n)
	}
	if got.Campaign != "abc" {
		t.Errorf("Campaign = %q, want control characters and invalid UTF-8 dropped: %q", got.Campaign, "abc")
	}
}
