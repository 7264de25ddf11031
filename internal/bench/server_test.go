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

func parseHistograms(t *testing.T, text string) histograms {
	t.Helper()
	h := newHistograms()
	if err := parseSamples(strings.NewReader(text), h.add); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHandlerTimesBetweenTwoScrapes(t *testing.T) {
	before := parseHistograms(t, scrapeText(map[string]int{"0.0005": 10, "0.001": 10, "0.005": 10, "0.01": 10, "+Inf": 10}))
	// 100 more requests: 50 under 0.5 ms, 40 in (0.5, 1] ms, 8 in (1, 5] ms, 2 in (5, 10] ms.
	after := parseHistograms(t, scrapeText(map[string]int{"0.0005": 60, "0.001": 100, "0.005": 108, "0.01": 110, "+Inf": 110}))
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
	after := parseHistograms(t, scrapeText(map[string]int{"0.0005": 0, "0.001": 0, "0.005": 0, "0.01": 90, "+Inf": 100}))
	got := after.since(newHistograms(), visitorSendRoute)
	if want := (Latency{Count: 100, P50: round3(5 + 5*50.0/90), P95: 10, P99: 10}); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestLabelValue(t *testing.T) {
	labels := `code="201",route="POST /api/v1/conversations/{id}/messages",le="0.005"`
	for key, want := range map[string]string{"code": "201", "route": operatorSendRoute, "le": "0.005", "kind": "", "od": ""} {
		if got := labelValue(labels, key); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	if got := labelValue(`kind="a\"b",le="1"`, "le"); got != "1" {
		t.Errorf("after an escaped quote: %q, want 1", got)
	}
}

// dbScrapeText is the database-time histogram of one node: reads and writes with cumulative
// counts at each bound, and their sums in seconds.
func dbScrapeText(reads, writes map[string]int, readSum, writeSum float64) string {
	var b strings.Builder
	for _, le := range []string{"0.001", "0.005", "0.01", "+Inf"} {
		fmt.Fprintf(&b, "portico_db_seconds_bucket{kind=\"read\",le=\"%s\"} %d\n", le, reads[le])
		fmt.Fprintf(&b, "portico_db_seconds_bucket{kind=\"write\",le=\"%s\"} %d\n", le, writes[le])
	}
	fmt.Fprintf(&b, "portico_db_seconds_sum{kind=\"read\"} %g\nportico_db_seconds_count{kind=\"read\"} %d\n", readSum, reads["+Inf"])
	fmt.Fprintf(&b, "portico_db_seconds_sum{kind=\"write\"} %g\nportico_db_seconds_count{kind=\"write\"} %d\n", writeSum, writes["+Inf"])
	return b.String()
}

func TestDatabaseTimesBetweenTwoScrapes(t *testing.T) {
	before := parseHistograms(t, dbScrapeText(map[string]int{"0.001": 5, "0.005": 5, "0.01": 5, "+Inf": 5}, map[string]int{"0.001": 2, "0.005": 2, "0.01": 2, "+Inf": 2}, 0.001, 0.002))
	// 100 more reads taking 0.25 s in all, 3 of them over 5 ms; no more writes.
	after := parseHistograms(t, dbScrapeText(map[string]int{"0.001": 95, "0.005": 102, "0.01": 105, "+Inf": 105}, map[string]int{"0.001": 2, "0.005": 2, "0.01": 2, "+Inf": 2}, 0.251, 0.002))
	got, ok := after.dbSince(before, "read")
	// p99: rank 99 is the 2nd of the 3 in (5, 10] ms.
	if want := (DBWindow{Count: 100, MeanMS: 2.5, Over5: 3, P99: round3(5 + 5*2.0/3)}); !ok || got != want {
		t.Errorf("reads: %+v %v, want %+v", got, ok, want)
	}
	if got, ok := after.dbSince(before, "write"); ok {
		t.Errorf("writes: %+v, want none between the scrapes", got)
	}
	if got, ok := after.dbSince(before, "checkpoint"); ok {
		t.Errorf("checkpoints: %+v, want none in the text", got)
	}
}

// The nodes' garbage: the Go runtime's cycle and allocation counters of every node, summed, and
// the bytes spread over the messages stored between the two scrapes.
func TestGarbageBetweenTwoScrapes(t *testing.T) {
	node := func(cycles, allocated int) string {
		return fmt.Sprintf("# TYPE go_gc_duration_seconds summary\ngo_gc_duration_seconds{quantile=\"0.5\"} 0.0001\n"+
			"go_gc_duration_seconds_sum 0.25\ngo_gc_duration_seconds_count %d\n"+
			"# TYPE go_memstats_alloc_bytes_total counter\ngo_memstats_alloc_bytes_total %d\ngo_memstats_alloc_bytes 4e+06\n", cycles, allocated)
	}
	before := parseHistograms(t, node(100, 1_000_000)+node(50, 3_000_000))
	after := parseHistograms(t, node(120, 21_000_000)+node(55, 13_000_000))
	got := after.garbageSince(before, 1000)
	if want := (Garbage{Cycles: 25, BytesPerMessage: 30_000}); got == nil || *got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := after.garbageSince(before, 0); got != nil {
		t.Errorf("no message stored: %+v, want nothing", got)
	}
	if got := after.garbageSince(after, 1000); got != nil {
		t.Errorf("nothing allocated: %+v, want nothing", got)
	}
}

// The Go runtime's histogram of the nodes' goroutines' waits to run is read like the others,
// summed over the nodes, and each window counts the collections that ended in it.
func TestSchedulerLatencyBetweenTwoScrapes(t *testing.T) {
	node := func(under1us, under1ms, all, cycles int) string {
		return fmt.Sprintf("go_sched_latencies_seconds_bucket{le=\"1e-06\"} %d\ngo_sched_latencies_seconds_bucket{le=\"0.001\"} %d\n"+
			"go_sched_latencies_seconds_bucket{le=\"0.004\"} %d\ngo_sched_latencies_seconds_bucket{le=\"+Inf\"} %d\n"+
			"go_sched_latencies_seconds_sum 1\ngo_sched_latencies_seconds_count %d\ngo_gc_duration_seconds_count %d\n", under1us, under1ms, all, all, all, cycles)
	}
	before := parseHistograms(t, node(100, 100, 100, 7)+node(0, 0, 0, 3))
	// 1,000 more waits: 900 under 1 µs, 60 up to 1 ms, 40 between 1 and 4 ms.
	after := parseHistograms(t, node(600, 620, 650, 9)+node(400, 440, 450, 5))
	got := after.since(before, schedSeries)
	want := Latency{Count: 1000, P50: round3(0.001 * 500 / 900), P95: round3(0.001 + 0.999*50/60), P99: round3(1 + 3*30.0/40)}
	if got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if n := after.gcCyclesSince(before); n != 4 {
		t.Errorf("%d collections, want 4", n)
	}
}

// The sends over the socket are read from their own histogram, by author, stored ones only.
func TestSocketSendTimes(t *testing.T) {
	var b strings.Builder
	for _, le := range []string{"0.0005", "0.001", "+Inf"} {
		fmt.Fprintf(&b, "portico_socket_send_seconds_bucket{author=\"visitor\",code=\"201\",le=\"%s\"} 4\n", le)
		fmt.Fprintf(&b, "portico_socket_send_seconds_bucket{author=\"visitor\",code=\"429\",le=\"%s\"} 1000\n", le)
		fmt.Fprintf(&b, "portico_socket_send_seconds_bucket{author=\"operator\",code=\"201\",le=\"%s\"} 2\n", le)
	}
	h := parseHistograms(t, b.String())
	if got := h.since(newHistograms(), visitorSocketSend); got.Count != 4 {
		t.Errorf("visitors' sends: %+v, want the 4 stored", got)
	}
	if got := h.since(newHistograms(), operatorSocketSend); got.Count != 2 {
		t.Errorf("operators' sends: %+v, want 2", got)
	}
	if got := h.since(newHistograms(), visitorSendRoute); got != (Latency{}) {
		t.Errorf("the REST route: %+v, want nothing", got)
	}
}
