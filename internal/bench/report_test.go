package bench

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
)

// written renders rep as the table and decodes its JSON into back.
func written(t *testing.T, rep *Report, back any) []byte {
	t.Helper()
	var table, js bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js.Bytes(), back); err != nil {
		t.Fatal(err)
	}
	return table.Bytes()
}

// The first client's time is how long the node took before its first write; the share of the
// two cores tells whether the server's writes or the bench's reads bound the rest. Both the
// table and the JSON carry them.
func TestReportShowsTheFanOutSpreadAndCPU(t *testing.T) {
	rep := &Report{Fanout: FanoutReport{Clients: 10, Received: 10, FirstMS: 4.5, LastMS: 98.25, CPU: CPU{ServerSeconds: 0.15, BenchSeconds: 0.17}}}
	var back struct {
		Fanout struct {
			FirstMS float64 `json:"first_ms"`
			CPU     CPU     `json:"cpu"`
		} `json:"fanout"`
	}
	table := written(t, rep, &back)
	if !regexp.MustCompile(`fan-out\s+first / last client has it after\s+4\.5 / 98\.25 ms`).Match(table) {
		t.Errorf("table has no fan-out first and last client:\n%s", table)
	}
	if !regexp.MustCompile(`fan-out\s+CPU seconds: server / bench\s+0\.15 / 0\.17`).Match(table) {
		t.Errorf("table has no fan-out CPU row:\n%s", table)
	}
	if back.Fanout.FirstMS != rep.Fanout.FirstMS {
		t.Errorf("JSON fan-out first_ms = %v, want %v", back.Fanout.FirstMS, rep.Fanout.FirstMS)
	}
	if back.Fanout.CPU != rep.Fanout.CPU {
		t.Errorf("JSON fan-out CPU = %+v, want %+v", back.Fanout.CPU, rep.Fanout.CPU)
	}
}

// With --fanouts the table sums up every event's last client against the 100-ms target.
func TestReportSumsUpRepeatedFanOuts(t *testing.T) {
	rep := &Report{Fanout: FanoutReport{Clients: 10, Received: 10, LastMS: 98.25,
		LastMSEach: []float64{98.25, 120.5, 75, 101, 88}, Over100: 2}}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`fan-out\s+last client, each of 5 events\s+p50 98\.25  max 120\.5 ms; over 100 ms: 2`).Match(table.Bytes()) {
		t.Errorf("table has no summary of the 5 fan-outs:\n%s", table.String())
	}
	rep.Fanout.LastMSEach = rep.Fanout.LastMSEach[:1]
	table.Reset()
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`each of`).Match(table.Bytes()) {
		t.Errorf("a single fan-out got a summary row:\n%s", table.String())
	}
}

// The CPU a frame costs both ends, over every flip, is in the table and the JSON; a run whose
// fan-out delivered nothing has no such row.
func TestReportShowsTheCPUPerFanOutFrame(t *testing.T) {
	rep := &Report{Fanout: FanoutReport{Clients: 10, Received: 10,
		PerFrame: FrameCPU{Frames: 200, ServerMicros: 8.85, BenchMicros: 9.5}}}
	var back struct {
		Fanout struct {
			PerFrame FrameCPU `json:"cpu_per_frame"`
		} `json:"fanout"`
	}
	table := written(t, rep, &back)
	if !regexp.MustCompile(`fan-out\s+CPU a frame: server / bench\s+8\.85 / 9\.5 µs  \(200 frames\)`).Match(table) {
		t.Errorf("table has no CPU per frame:\n%s", table)
	}
	if back.Fanout.PerFrame != rep.Fanout.PerFrame {
		t.Errorf("JSON fan-out cpu_per_frame = %+v, want %+v", back.Fanout.PerFrame, rep.Fanout.PerFrame)
	}
	rep.Fanout.PerFrame = FrameCPU{}
	if table := written(t, rep, &back); regexp.MustCompile(`CPU a frame`).Match(table) {
		t.Errorf("a fan-out with no frames got a CPU per frame:\n%s", table)
	}
}

// The nodes' garbage collection during the messaging phase is in the table and the JSON.
func TestReportShowsTheNodesGarbage(t *testing.T) {
	rep := &Report{Messaging: MessagingReport{Garbage: &Garbage{Cycles: 24, BytesPerMessage: 17_408},
		Scheduler: Latency{Count: 5000, P50: 0.001, P95: 0.25, P99: 3.5}}}
	var back struct {
		Messaging struct {
			Garbage *Garbage `json:"node_garbage"`
		} `json:"messaging"`
	}
	table := written(t, rep, &back)
	if !regexp.MustCompile(`messaging\s+nodes' GC: cycles, allocated a message\s+24, 17 KiB`).Match(table) {
		t.Errorf("table has no garbage row:\n%s", table)
	}
	if !regexp.MustCompile(`messaging\s+nodes' goroutines waiting to run\s+p50 0\.001  p95 0\.25  p99 3\.5 ms`).Match(table) {
		t.Errorf("table has no scheduler row:\n%s", table)
	}
	if back.Messaging.Garbage == nil || *back.Messaging.Garbage != *rep.Messaging.Garbage {
		t.Errorf("JSON node_garbage = %+v, want %+v", back.Messaging.Garbage, rep.Messaging.Garbage)
	}
}

// The nodes' collections during the fan-out's events are in the table and the JSON, and left
// out when the nodes could not be scraped.
func TestReportShowsTheNodesCollectionsDuringTheFanout(t *testing.T) {
	cycles := 3
	rep := &Report{Fanout: FanoutReport{GCCycles: &cycles}}
	var back struct {
		Fanout struct {
			GCCycles *int `json:"gc_cycles"`
		} `json:"fanout"`
	}
	table := written(t, rep, &back)
	if !regexp.MustCompile(`fan-out\s+nodes' GC cycles during the events\s+3\s`).Match(table) {
		t.Errorf("table has no row of the fan-out's collections:\n%s", table)
	}
	if back.Fanout.GCCycles == nil || *back.Fanout.GCCycles != 3 {
		t.Errorf("JSON gc_cycles = %v, want 3", back.Fanout.GCCycles)
	}
	rep.Fanout.GCCycles = nil
	if table := written(t, rep, &back); regexp.MustCompile(`GC cycles during`).Match(table) {
		t.Errorf("a fan-out whose nodes were not scraped got a row of collections:\n%s", table)
	}
}

// DESIGN §7 sets the idle memory target at 19,000 visitors; a smaller run's fixed costs weigh
// more on each connection, so the table names the count the target is for.
func TestReportNamesTheVisitorsTheMemoryTargetIsFor(t *testing.T) {
	rep := &Report{Idle: IdleReport{BytesPerConnection: 5 << 10}}
	var back map[string]any
	table := written(t, rep, &back)
	if !regexp.MustCompile(`idle\s+RSS per connection\s+5\.0 KiB\s+<= 8 KiB at 19,000\n`).Match(table) {
		t.Errorf("the memory row does not name its target's visitors:\n%s", table)
	}
}
