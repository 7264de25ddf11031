package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Window is one slice of the messaging phase. A phase's p99 says how long the tail is, not when
// it happened; the windows place it in time beside what the nodes' database was doing then.
type Window struct {
	FromS    float64 `json:"from_s"` // seconds from the phase's start
	ToS      float64 `json:"to_s"`
	Delivery Latency `json:"delivery_latency"` // visitor → operator, the messages sent in the window
	// Server is the nodes' handler time for the visitors' sends in the window, and DB their
	// database time by kind (read, write, and on SQLite index, checkpoint, restart), both from
	// /metrics scraped at the window's ends.
	Server Latency             `json:"server_latency"`
	DB     map[string]DBWindow `json:"db,omitempty"`
	// GCCycles are the nodes' garbage collections in the window, and Scheduler how long their
	// goroutines waited to run once ready (from the Go runtime's histogram).
	GCCycles  int     `json:"gc_cycles"`
	Scheduler Latency `json:"sched_latency"`
}

// DBWindow is one kind of database operation in a window.
type DBWindow struct {
	Count  int     `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	Over5  int     `json:"over_5ms"` // from the buckets: operations that took more than 5 ms
	P99    float64 `json:"p99_ms"`   // estimated from the buckets
}

// dbKinds are the kinds of portico_db_seconds a window reports.
var dbKinds = []string{"read", "write", "index", "checkpoint", "restart"}

// scrapeAt is the nodes' histograms at one moment of the phase.
type scrapeAt struct {
	at time.Time
	h  histograms
}

// windowScraper scrapes the nodes at each window's end while the phase runs.
type windowScraper struct {
	stop  chan struct{}
	done  chan struct{}
	taken []scrapeAt
}

// scrapeWindows starts scraping every width after start until the phase ends; first is the
// scrape taken just before. A scrape that fails is left out, and the window it ended grows into
// the next; so does a last window that would be a sliver.
func (r *runner) scrapeWindows(ctx context.Context, first histograms, start, end time.Time, width time.Duration) *windowScraper {
	w := &windowScraper{stop: make(chan struct{}), done: make(chan struct{}), taken: []scrapeAt{{at: start, h: first}}}
	take := func() {
		if h, err := r.scrapeHistograms(ctx); err == nil {
			w.taken = append(w.taken, scrapeAt{at: time.Now(), h: h})
		}
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(width)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				if time.Until(end) > width/4 {
					take()
				}
			case <-w.stop:
				take()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return w
}

// finish takes the last scrape and returns them all.
func (w *windowScraper) finish() []scrapeAt {
	close(w.stop)
	<-w.done
	return w.taken
}

// windows cuts the phase at the scrapes' times: each window has the visitor messages sent in it
// (the last window also those sent after its last scrape) and the nodes' times between its scrapes;
// the server's share of the visitors' sends is series'.
func windows(scrapes []scrapeAt, sent []delivery, start time.Time, series string) []Window {
	if len(scrapes) < 2 {
		return nil
	}
	out := make([]Window, len(scrapes)-1)
	samples := make([][]time.Duration, len(out))
	for _, d := range sent {
		// the window is the one ended by the first scrape after the send
		i := sort.Search(len(out), func(k int) bool { return scrapes[k+1].at.After(d.sent) })
		i = min(i, len(out)-1)
		samples[i] = append(samples[i], d.at.Sub(d.sent))
	}
	for i := range out {
		before, after := scrapes[i].h, scrapes[i+1].h
		w := Window{
			FromS:     round3(max(scrapes[i].at.Sub(start), 0).Seconds()),
			ToS:       round3(scrapes[i+1].at.Sub(start).Seconds()),
			Delivery:  summarize(samples[i]),
			Server:    after.since(before, series),
			GCCycles:  after.gcCyclesSince(before),
			Scheduler: after.since(before, schedSeries),
		}
		for _, kind := range dbKinds {
			if db, ok := after.dbSince(before, kind); ok {
				if w.DB == nil {
					w.DB = map[string]DBWindow{}
				}
				w.DB[kind] = db
			}
		}
		out[i] = w
	}
	return out
}

// dbSince is one kind of database operation between two scrapes; false when there was none.
func (h histograms) dbSince(before histograms, kind string) (DBWindow, bool) {
	series := dbSeries(kind)
	times := h.since(before, series)
	if times.Count == 0 {
		return DBWindow{}, false
	}
	total := float64(times.Count)
	db := DBWindow{Count: times.Count, MeanMS: round3((h.sums[series] - before.sums[series]) / total * 1000), P99: times.P99}
	if under, ok := h.buckets[series][0.005]; ok {
		db.Over5 = int(total - (under - before.buckets[series][0.005]))
	}
	return db, true
}

// summarize is the distribution of some samples.
func summarize(s []time.Duration) Latency {
	var r recorder
	r.samples = s
	return r.summary()
}

// windowRow is a window as one line of the table.
func windowRow(w Window) string {
	var b strings.Builder
	d := w.Delivery
	fmt.Fprintf(&b, "delivered p50 %s p99 %s max %s ms (n=%d)", num(d.P50), num(d.P99), num(d.Max), d.Count)
	if w.Server.Count > 0 {
		fmt.Fprintf(&b, "; server p99 %s", num(w.Server.P99))
	}
	if w.Scheduler.Count > 0 {
		fmt.Fprintf(&b, "; %d GC, waits to run p99 %s", w.GCCycles, num(w.Scheduler.P99))
	}
	var slow []string
	for _, kind := range []string{"read", "write", "index"} {
		if db, ok := w.DB[kind]; ok {
			slow = append(slow, fmt.Sprintf("%s %d/%d", kind, db.Over5, db.Count))
		}
	}
	if len(slow) > 0 {
		fmt.Fprintf(&b, "; db over 5 ms: %s", strings.Join(slow, ", "))
	}
	for _, kind := range []string{"checkpoint", "restart"} {
		if db, ok := w.DB[kind]; ok {
			fmt.Fprintf(&b, "; %s %d, mean %s ms", kind, db.Count, num(db.MeanMS))
		}
	}
	return b.String()
}

// windowName is a window's span for the table, in whole seconds when they are.
func windowName(w Window) string {
	f := func(s float64) string {
		if r := math.Round(s); math.Abs(s-r) < 0.05 {
			return fmt.Sprint(r)
		}
		return fmt.Sprintf("%.1f", s)
	}
	return "window " + f(w.FromS) + "-" + f(w.ToS) + " s"
}
