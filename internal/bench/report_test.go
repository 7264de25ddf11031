package bench

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"
)

// The fan-out's share of the two cores tells whether the server's writes or the bench's reads
// bound it, so both the table and the JSON carry it.
func TestReportShowsTheFanOutCPU(t *testing.T) {
	rep := &Report{Fanout: FanoutReport{Clients: 10, Received: 10, CPU: CPU{ServerSeconds: 0.15, BenchSeconds: 0.17}}}
	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`fan-out\s+CPU seconds: server / bench\s+0\.15 / 0\.17`).Match(table.Bytes()) {
		t.Errorf("table has no fan-out CPU row:\n%s", table.String())
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Fanout struct {
			CPU CPU `json:"cpu"`
		} `json:"fanout"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Fanout.CPU != rep.Fanout.CPU {
		t.Errorf("JSON fan-out CPU = %+v, want %+v", back.Fanout.CPU, rep.Fanout.CPU)
	}
}
