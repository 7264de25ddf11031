package bench

import (
	"fmt"
	"strings"
	"testing"
)

// scrapeText is a node's request-time histogram for the visitor's send route as /metrics
// writes it, with counts at each bucket's upper bound (cumulative), plus series the bench
// must not mix in: another status, another route.
func scrapeText(cumulative map[string]int) string {
	var b strings.Builder
	b.WriteString("# HELP portico_http_request_seconds Time …\n# TYPE portico_http_request_seconds histogram\n")
	for _, le := range []string{"0.0005", "0.001", "0.005", "0.01", "+Inf"} {
		fmt.Fprintf(&b, "portico_http_request_seconds_bucket{code=\"201\",route=\"%s\",le=\"%s\"} %d\n", visitorSendRoute, le, cumulative[le])
		fmt.Fprintf(&b, "portico_http_request_seconds_bucket{code=\"422\",route=\"%s\",le=\"%s\"} 1000\n", visitorSendRoute, le)
		fmt.Fprintf(&b, "portico_http_request_seconds_bucket{code=\"201\",route=\"POST /api/v1/widget/conversations\",le=\"%s\"} 1000\n", le)
	}
	fmt.Fprintf(&b, "portico_http_request_seconds_count{code=\"201\",route=\"%s\"} %d\n", visitorSendRoute, cumulative["+Inf"])
	b.WriteString("go_goroutines 12\n")
	return b.String()
}

func parseHandlerTimes(t *testing.T, text string) handlerTimes {
	t.Helper()
	h := handlerTimes{}
	if err := parseSamples(strings.NewReader(text), h.add); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHandlerTimesBetweenTwoScrapes(t *testing.T) {
	before := parseHandlerTimes(t, scrapeText(map[string]int{"0.0005": 10, "0.001": 10, "0.005": 10, "0.01": 10, "+Inf": 10}))
	// 100 more requests: 50 under 0.5 ms, 40 in (0.5, 1] ms, 8 in (1, 5] ms, 2 in (5, 10] ms.
	after := parseHandlerTimes(t, scrapeText(map[string]int{"0.0005": 60, "0.001": 100, "0.005": 108, "0.01": 110, "+Inf": 110}))
	got := after.since(before, visitorSendRoute)
	// p50: rank 50 is the last of the first bucket's 50; p95: rank 95 is the 5th of the 8 in
	// (1, 5] ms; p99: the 1st of the 2 in (5, 10] ms. Within a bucket, times are spread evenly.
	want := Latency{Count: 100, P50: 0.5, P95: 1 + 4*5.0/8, P99: 5 + 5*1.0/2}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if other := after.since(before, operatorSendRoute); other != (Latency{}) {
		t.Errorf("a route with no requests: %+v, want nothing", other)
	}
}

// Times past the last finite bound are reported as that bound, as histogram_quantile does.
func TestHandlerTimesPastTheLastBound(t *testing.T) {
	after := parseHandlerTimes(t, scrapeText(map[string]int{"0.0005": 0, "0.001": 0, "0.005": 0, "0.01": 90, "+Inf": 100}))
	got := after.since(handlerTimes{}, visitorSendRoute)
	if want := (Latency{Count: 100, P50: round3(5 + 5*50.0/90), P95: 10, P99: 10}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}
