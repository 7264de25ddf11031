package bench

import (
	"encoding/json"
	"testing"
	"time"
)

// The send frame says what encoding/json would, whatever its strings hold.
func TestSendFrameIsTheJSONOfItsFields(t *testing.T) {
	for _, id := range []string{"v12.3", `quote " and backslash \`, "tab\tnewline\n\x01", "héllo ✓"} {
		m := &tracked{id: id, n: 7, sent: time.Unix(0, 1765000000123456789)}
		var got map[string]string
		if err := json.Unmarshal(sendFrame("conv-"+id, m), &got); err != nil {
			t.Fatalf("%q: %v in %s", id, err, sendFrame("conv-"+id, m))
		}
		want := map[string]string{"type": "send", "conversation_id": "conv-" + id, "client_msg_id": id,
			"body": "bench " + id + " #7 sent 1765000000123456789"}
		if len(got) != len(want) {
			t.Fatalf("%q: %v, want %v", id, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", id, k, got[k], v)
			}
		}
	}
}

// The fields are picked out of the frames as the server writes them, and a frame whose fields
// cannot be read in place is decoded whole.
func TestSentAndMessageFramesAreRead(t *testing.T) {
	message := func(clientMsgID, author, body string) map[string]any {
		return map[string]any{
			"id":              "m1",
			"conversation_id": "c1",
			"seq":             4,
			"author":          map[string]any{"type": author, "id": "a1", "name": `Ann "the" operator`},
			"body":            body,
			"client_msg_id":   clientMsgID,
			"created_at":      "2026-12-07T22:00:00Z",
		}
	}
	frame := func(fields ...any) []byte {
		// The server's field order: its frames are Go structs, not maps.
		b := []byte{'{'}
		for i := 0; i < len(fields); i += 2 {
			if i > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(fields[i])
			v, _ := json.Marshal(fields[i+1])
			b = append(append(append(b, k...), ':'), v...)
		}
		return append(b, '}')
	}
	sents := []struct {
		frame []byte
		want  sendAnswer
	}{
		{frame("type", "sent", "client_msg_id", "v1.2", "status", 201, "message", message("v1.2", "visitor", `"status":500 "client_msg_id":"x"`)), sendAnswer{ClientMsgID: "v1.2", Status: 201}},
		{frame("type", "sent", "client_msg_id", "v1.3", "status", 200, "message", message("v1.3", "visitor", "hi")), sendAnswer{ClientMsgID: "v1.3", Status: 200}},
		{frame("type", "sent", "client_msg_id", "o4.5", "status", 429, "error", map[string]string{"code": "rate_limited", "message": "slow down"}), sendAnswer{ClientMsgID: "o4.5", Status: 429}},
		{frame("type", "sent", "client_msg_id", `odd\id`, "status", 503, "error", map[string]string{"code": "shutting_down"}), sendAnswer{ClientMsgID: `odd\id`, Status: 503}},
	}
	sents[2].want.Error.Code = "rate_limited"
	sents[3].want.Error.Code = "shutting_down"
	for _, s := range sents {
		if got, err := readSent(s.frame); err != nil || got != s.want {
			t.Errorf("%s: read %+v, %v; want %+v", s.frame, got, err, s.want)
		}
	}
	if _, err := readSent([]byte(`{"type":"sent",`)); err == nil {
		t.Error("a cut frame was read")
	}

	for _, m := range []struct {
		frame             []byte
		clientMsgID, from string
	}{
		{frame("type", "message", "message", message("v9.1", "visitor", `"author":{"type":"operator"}`)), "v9.1", "visitor"},
		{frame("type", "message", "message", message(`tab\t`, "operator", "hi")), `tab\t`, "operator"},
		{frame("type", "message", "message", map[string]any{"author": map[string]any{"id": "s", "type": "system"}, "body": "joined"}), "", "system"},
	} {
		id, from, err := readMessage(m.frame)
		if err != nil || id != m.clientMsgID || from != m.from {
			t.Errorf("%s: read %q from %q (%v), want %q from %q", m.frame, id, from, err, m.clientMsgID, m.from)
		}
	}
}
