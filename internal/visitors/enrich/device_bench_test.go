package enrich_test

import (
	"testing"

	"github.com/portico/portico/internal/visitors/enrich"
)

// BenchmarkParseUserAgent measures the parse that runs on every page view, to decide whether
// it needs a cache (0.5–2.5 µs and 6–36 allocations when it was written: it does not).
func BenchmarkParseUserAgent(b *testing.B) {
	for _, tc := range userAgents {
		if tc.ua == "" {
			continue
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				enrich.ParseUserAgent(tc.ua)
			}
		})
	}
}
