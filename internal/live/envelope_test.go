package live

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/portico/portico/internal/domain"
)

var (
	admin    = &domain.Operator{ID: "op-admin", Role: domain.RoleAdmin}
	owner    = &domain.Operator{ID: "op-owner", Role: domain.RoleAgent}
	invited  = &domain.Operator{ID: "op-invited", Role: domain.RoleAgent}
	outsider = &domain.Operator{ID: "op-outsider", Role: domain.RoleAgent}
)

// who lists the operators among admin, owner, invited and outsider that env is for.
func who(env received) string {
	var in []string
	for _, op := range []*domain.Operator{admin, owner, invited, outsider} {
		if env.includes(op) {
			in = append(in, op.ID)
		}
	}
	return strings.Join(in, " ")
}

// An envelope read off the bus has the audience, the time and the frames it was sent with, in
// the layout nodes send now and in the JSON that earlier nodes sent.
func TestEnvelopeKeepsItsAudienceTimeAndFrames(t *testing.T) {
	cases := []struct {
		name string
		env  envelope
		who  string
	}{
		{"everyone", envelope{Audience: audience{Everyone: true}}, "op-admin op-owner op-invited op-outsider"},
		{"everyone but the one who did it", envelope{Audience: audience{Everyone: true, Except: "op-owner"}}, "op-admin op-invited op-outsider"},
		{"admins and the listed", envelope{Audience: audience{Admins: true, Operators: []string{"op-owner", "op-invited"}}}, "op-admin op-owner op-invited"},
		{"the listed but one", envelope{Audience: audience{Operators: []string{"op-owner", "op-invited"}, Except: "op-invited"}}, "op-owner"},
		{"an admin excepted", envelope{Audience: audience{Admins: true, Except: "op-admin"}}, ""},
		{"nobody", envelope{}, ""},
	}
	frame := json.RawMessage(`{"type":"message","message":{"body":"Ol\u00e1 \"there\""}}`)
	long := json.RawMessage(`{"pad":"` + strings.Repeat("z", 5000) + `"}`)
	for _, c := range cases {
		for _, frames := range [][]json.RawMessage{{frame}, {frame, long, frame}} {
			env := c.env
			env.Sent = 1_700_000_000_123_456_789
			if len(frames) == 1 {
				env.Frame = frames[0]
			} else {
				env.Frames = frames
			}
			legacy, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			for layout, payload := range map[string][]byte{"binary": env.encode(), "JSON": legacy} {
				got, err := decodeEnvelope(payload)
				if err != nil {
					t.Fatalf("%s, %s: %v", c.name, layout, err)
				}
				if w := who(got); w != c.who {
					t.Errorf("%s, %s: for %q, want %q", c.name, layout, w, c.who)
				}
				if got.sent != env.Sent {
					t.Errorf("%s, %s: sent %d, want %d", c.name, layout, got.sent, env.Sent)
				}
				var want []string
				for _, f := range frames {
					want = append(want, string(f))
				}
				if f := wireFrames(t, got.wire); strings.Join(f, "\n") != strings.Join(want, "\n") {
					t.Errorf("%s, %s: %d frames, not the %d sent", c.name, layout, len(f), len(want))
				}
			}
		}
	}
}

// An envelope cut short anywhere, or of a layout this node does not know, is an error: never a
// panic, and never frames read from a part that is not there.
func TestBrokenEnvelopesAreRefused(t *testing.T) {
	env := envelope{Audience: audience{Admins: true, Operators: []string{"op-owner", "op-invited"}, Except: "op-x"}, Frame: json.RawMessage(`{"n":1}`)}
	whole := env.encode()
	framesAt := bytes.Index(whole, []byte(`{"n":1}`)) - 2 // the frame's two-byte header
	for n := range framesAt {
		if _, err := decodeEnvelope(whole[:n]); err == nil {
			t.Fatalf("the first %d of %d bytes decoded", n, len(whole))
		}
	}
	if got, err := decodeEnvelope(whole[:framesAt]); err != nil || len(got.wire) != 0 || who(got) != "op-admin op-owner op-invited" {
		t.Fatalf("an envelope without frames: %v, %d bytes of frames, for %q", err, len(got.wire), who(got))
	}
	for _, payload := range [][]byte{
		append([]byte{envelopeVersion + 1}, whole[1:]...),
		[]byte(`{"a":`),
		{},
	} {
		if _, err := decodeEnvelope(payload); err == nil {
			t.Errorf("%q decoded", payload)
		}
	}
	// A length that runs past the end, where an operator's id should be.
	bad := append([]byte{}, whole[:envelopeHeaderLen]...)
	bad = append(bad, 0, 1, 200, 'o', 'p')
	if _, err := decodeEnvelope(bad); err == nil {
		t.Error("an id longer than the envelope decoded")
	}
}

// The frames go to the sockets as they lie in the payload: reading an envelope copies nothing.
func TestDecodingAnEnvelopeAllocatesNothing(t *testing.T) {
	env := envelope{Audience: audience{Operators: []string{"op-owner", "op-invited"}}, Frame: json.RawMessage(`{"n":1}`)}
	payload := env.encode()
	allocs := testing.AllocsPerRun(100, func() {
		got, err := decodeEnvelope(payload)
		if err != nil || !got.includes(invited) {
			t.Fatal("not for the invited operator")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations to read an envelope", allocs)
	}
	got, _ := decodeEnvelope(payload)
	if f := wireFrames(t, got.wire); len(f) != 1 || &got.wire[0] != &payload[len(payload)-len(got.wire)] {
		t.Fatalf("the frames %q are not the payload's own bytes", f)
	}
}
