package bench

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestWindowsPlaceTheTailInTime(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	at := func(ms float64) time.Time { return start.Add(time.Duration(ms * float64(time.Millisecond))) }
	scrape := func(ms float64, sends, slowSends, reads, slowReads int) scrapeAt {
		text := scrapeText(map[string]int{"0.0005": sends, "0.001": sends, "0.005": sends, "0.01": sends + slowSends, "+Inf": sends + slowSends}) +
			dbScrapeText(map[string]int{"0.001": reads, "0.005": reads, "0.01": reads + slowReads, "+Inf": reads + slowReads}, nil, 0, 0)
		return scrapeAt{at: at(ms), h: parseHistograms(t, text)}
	}
	// The scrapes: before the phase, at 1 s, and at its end a little after 2 s. The second
	// window has the slow sends and reads.
	scrapes := []scrapeAt{scrape(-3, 0, 0, 0, 0), scrape(1000, 10, 0, 40, 0), scrape(2004, 20, 10, 80, 6)}
	// The second window also has two collections and, of 100 waits to run, 10 of over 1 ms.
	parseSamples(strings.NewReader("go_gc_duration_seconds_count 2\ngo_sched_latencies_seconds_bucket{le=\"0.001\"} 90\n"+
		"go_sched_latencies_seconds_bucket{le=\"0.004\"} 100\ngo_sched_latencies_seconds_bucket{le=\"+Inf\"} 100\n"), scrapes[2].h.add)
	var sent []delivery
	for i := range 10 {
		sent = append(sent, delivery{sent: at(float64(i) * 100), at: at(float64(i)*100 + 1)})
	}
	for i := range 10 {
		sent = append(sent, delivery{sent: at(1000 + float64(i)*100), at: at(1000 + float64(i)*100 + 8)})
	}
	// a send after the last scrape (the phase's last tick) belongs to the last window
	sent = append(sent, delivery{sent: at(2005), at: at(2020)})

	got := windows(scrapes, sent, start, visitorSendRoute)
	if len(got) != 2 {
		t.Fatalf("%d windows, want 2: %+v", len(got), got)
	}
	first, second := got[0], got[1]
	if first.FromS != 0 || first.ToS != 1 || second.FromS != 1 || second.ToS != 2.004 {
		t.Errorf("spans %v-%v and %v-%v, want 0-1 and 1-2.004", first.FromS, first.ToS, second.FromS, second.ToS)
	}
	if first.Delivery.Count != 10 || first.Delivery.Max != 1 || second.Delivery.Count != 11 || second.Delivery.Max != 15 {
		t.Errorf("deliveries %+v and %+v, want 10 at 1 ms and 11 up to 15 ms", first.Delivery, second.Delivery)
	}
	if first.Server.Count != 10 || first.Server.P99 > 0.5 || second.Server.Count != 20 || second.Server.P99 <= 5 {
		t.Errorf("server times %+v and %+v, want the slow ones in the second", first.Server, second.Server)
	}
	if r := first.DB["read"]; r.Count != 40 || r.Over5 != 0 {
		t.Errorf("first window's reads %+v, want 40, none slow", r)
	}
	if r := second.DB["read"]; r.Count != 46 || r.Over5 != 6 {
		t.Errorf("second window's reads %+v, want 46, 6 over 5 ms", r)
	}
	if first.GCCycles != 0 || first.Scheduler.Count != 0 || second.GCCycles != 2 || second.Scheduler.Count != 100 || second.Scheduler.P99 != 3.7 {
		t.Errorf("collections and waits to run %d %+v and %d %+v, want 2 and 100 waits (p99 3.7 ms) in the second",
			first.GCCycles, first.Scheduler, second.GCCycles, second.Scheduler)
	}
	if _, ok := first.DB["write"]; ok {
		t.Error("a window shows writes the nodes did not do")
	}

	var table bytes.Buffer
	rep := &Report{Messaging: MessagingReport{Windows: got}}
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`messaging\s+window 1-2 s\s+delivered p50 8 p99 15 max 15 ms \(n=11\); server p99 [0-9.]+; 2 GC, waits to run p99 3\.7; db over 5 ms: read 6/46`)
	if !row.Match(table.Bytes()) {
		t.Errorf("table has no row for the second window:\n%s", table.String())
	}
	if !strings.Contains(table.String(), "window 0-1 s") {
		t.Errorf("table has no row for the first window:\n%s", table.String())
	}
}

func TestNoWindowsWithoutTwoScrapes(t *testing.T) {
	if got := windows([]scrapeAt{{at: time.Now(), h: newHistograms()}}, []delivery{{sent: time.Now(), at: time.Now()}}, time.Now(), visitorSendRoute); got != nil {
		t.Errorf("one scrape made windows: %+v", got)
	}
}
