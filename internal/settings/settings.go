// Package settings resolves the widget's effective settings: defaults, then the portal, then
// the advertiser, except the keys a portal locks, which keep the portal's value on its pages.
package settings

import "maps"

// Defaults are what a new account's widget does before anyone changes anything.
func Defaults() map[string]any {
	return map[string]any{
		"color":                   "#2563eb",
		"greeting":                "Hi! How can we help you today?",
		"title":                   "",
		"auto_open_after_seconds": 0,
		"prechat_form":            false,
		"offline_form":            true,
		"video_enabled":           false,
	}
}

// Layer is one account's own settings and, for a portal, the keys it locks.
type Layer struct {
	Settings map[string]any
	Locked   []string
}

// Resolve applies the layers in order (e.g. portal, then advertiser). A key locked by an
// earlier layer cannot be changed by a later one.
func Resolve(layers ...Layer) map[string]any {
	out := Defaults()
	locked := map[string]bool{}
	for _, l := range layers {
		for k, v := range l.Settings {
			if _, known := out[k]; known && !locked[k] {
				out[k] = v
			}
		}
		for _, k := range l.Locked {
			locked[k] = true
		}
	}
	return maps.Clone(out)
}
