package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// A short bench against a node it starts itself: every phase runs and nothing goes wrong.
// The timings are not checked here; docs/benchmarks.md holds them against the targets.
func TestBenchSmoke(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	args := []string{"bench", "--visitors", "200", "--operators", "3", "--chatting", "20", "--rate", "50",
		"--duration", "3s", "--hold", "2s", "--pageviews", "300", "--json"}
	if err := run(ctx, args, func(string) string { return "" }, &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s\n%s", err, out.String(), errOut.String())
	}
	var rep struct {
		PageViews struct {
			Stored int `json:"stored"`
		} `json:"page_views"`
		Connect struct {
			ConnectionsHeld int `json:"connections_held"`
		} `json:"connect"`
		Messaging struct {
			MessagesAcked    int `json:"messages_acked"`
			MessagesReceived int `json:"messages_received"`
		} `json:"messaging"`
		Fanout struct {
			Received int `json:"received"`
		} `json:"fanout"`
		Errors                int  `json:"errors"`
		UnexpectedDisconnects int  `json:"unexpected_disconnects"`
		OK                    bool `json:"ok"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("the report is not JSON: %v\n%s", err, out.String())
	}
	checks := []struct {
		what      string
		got, want int
	}{
		{"connections held", rep.Connect.ConnectionsHeld, 203},
		{"page views stored", rep.PageViews.Stored, 300},
		{"messages received", rep.Messaging.MessagesReceived, rep.Messaging.MessagesAcked},
		{"visitors reached by the fan-out", rep.Fanout.Received, 200},
		{"errors", rep.Errors, 0},
		{"unexpected disconnects", rep.UnexpectedDisconnects, 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.what, c.got, c.want)
		}
	}
	if rep.Messaging.MessagesAcked == 0 {
		t.Error("no message was acknowledged")
	}
	if !rep.OK {
		t.Error("report says the run failed")
	}
	if t.Failed() {
		t.Logf("report:\n%s\n%s", out.String(), errOut.String())
	}
}

func TestBenchRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "--nodes", "2"}, "--database-url and --nats-url"},
		{[]string{"bench", "--url", "http://127.0.0.1:1", "--nodes", "2"}, "without --url"},
		{[]string{"bench", "--pid", "1"}, "--pid goes with --url"},
		{[]string{"bench", "--visitors", "10", "--chatting", "20", "--data", t.TempDir()}, "more than --visitors"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, func(string) string { return "" }, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
}
