package settings

import "testing"

func TestResolveAppliesLayersAndLocks(t *testing.T) {
	portal := Layer{Settings: map[string]any{"color": "#111111", "auto_open_after_seconds": 0}, Locked: []string{"auto_open_after_seconds"}}
	advertiser := Layer{Settings: map[string]any{"color": "#222222", "auto_open_after_seconds": 10, "greeting": "Hello from the agency"}}
	cases := []struct {
		name   string
		layers []Layer
		key    string
		want   any
	}{
		{"defaults", nil, "offline_form", true},
		{"the portal's own value", []Layer{portal}, "color", "#111111"},
		{"the advertiser overrides an unlocked key on the portal", []Layer{portal, advertiser}, "color", "#222222"},
		{"a locked key keeps the portal's value on the portal", []Layer{portal, advertiser}, "auto_open_after_seconds", 0},
		{"the advertiser's own site applies its own value", []Layer{advertiser}, "auto_open_after_seconds", 10},
		{"an unknown key is ignored", []Layer{{Settings: map[string]any{"evil": "x"}}}, "evil", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Resolve(tc.layers...)[tc.key]; got != tc.want {
				t.Fatalf("%s = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func TestResolveDoesNotShareState(t *testing.T) {
	a := Resolve()
	a["color"] = "changed"
	if Resolve()["color"] == "changed" {
		t.Fatal("a caller's change leaked into the defaults")
	}
}
