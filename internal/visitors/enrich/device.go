package enrich

import (
	"strings"

	"github.com/mileusna/useragent"
)

// Device is what the User-Agent says.
type Device struct {
	Kind    string `json:"kind"`    // "desktop", "mobile", "tablet", "bot" or "" when unknown
	OS      string `json:"os"`      // e.g. "Windows 10", "iOS 17.2", "Android 14", "macOS 10.15.7", "Linux"
	Browser string `json:"browser"` // e.g. "Chrome 120", "Firefox 121", "Safari 17.2", "Edge 120"
}

// Device kinds.
const (
	KindDesktop = "desktop"
	KindMobile  = "mobile"
	KindTablet  = "tablet"
	KindBot     = "bot"
)

// maxUALen bounds the work done on one header: real User-Agents are a few hundred bytes, and
// the parser's cost grows with the input, which the visitor controls.
const maxUALen = 512

// ParseUserAgent says what device, system and browser a User-Agent names. Versions are cut to
// what an operator needs: the major version, or major.minor for iOS and Safari, whose minor
// releases matter (macOS keeps all three: every Mac has sent 10.15.7 since macOS 11). An empty
// or unrecognised string gives the zero Device.
//
// It is not cached: a parse costs a few µs and about a kilobyte at most
// (BenchmarkParseUserAgent), little beside the database write of the page view it belongs to.
func ParseUserAgent(s string) Device {
	s = strings.TrimSpace(s)
	if s == "" {
		return Device{}
	}
	if len(s) > maxUALen {
		s = s[:maxUALen]
	}
	ua := useragent.Parse(s)
	return Device{Kind: deviceKind(ua), OS: osName(ua), Browser: clean(browserName(ua), maxNameLen)}
}

func deviceKind(ua useragent.UserAgent) string {
	switch {
	case ua.Bot:
		return KindBot
	case ua.Tablet:
		return KindTablet
	// Android phones send "Mobile", Android tablets do not (Google's own advice to sites); the
	// parser calls every Android device a phone.
	case ua.OS == useragent.Android && !strings.Contains(ua.String, "Mobile"):
		return KindTablet
	case ua.Mobile:
		return KindMobile
	case ua.Desktop:
		return KindDesktop
	}
	return ""
}

func osName(ua useragent.UserAgent) string {
	switch ua.OS {
	case "":
		return ""
	case useragent.Windows:
		if v := windowsVersion(ua.OSVersion); v != "" {
			return "Windows " + v
		}
		return "Windows"
	case useragent.IOS:
		return join("iOS", majorMinor(ua.OSVersion))
	case useragent.MacOS:
		return join("macOS", ua.OSVersion)
	case useragent.Android, useragent.WindowsPhone:
		return join(ua.OS, major(ua.OSVersion))
	default:
		// Linux, ChromeOS, FreeBSD: the parser's "version" is the CPU architecture or a build.
		return ua.OS
	}
}

// windowsVersion turns the NT kernel version into the name people know. Windows 11 still says
// NT 10.0, so it shows as Windows 10: only client hints tell them apart.
func windowsVersion(nt string) string {
	switch nt {
	case "10.0":
		return "10"
	case "6.3":
		return "8.1"
	case "6.2":
		return "8"
	case "6.1":
		return "7"
	case "6.0":
		return "Vista"
	case "5.1", "5.2":
		return "XP"
	}
	return ""
}

func browserName(ua useragent.UserAgent) string {
	// When nothing is recognised the parser returns the whole input as the name.
	if ua.Name == "" || ua.Name == ua.String {
		return ""
	}
	if ua.Bot {
		return ua.Name
	}
	if ua.Name == useragent.Safari {
		if !strings.Contains(ua.String, "Version/") {
			// The parser then falls back to the WebKit build (Safari/537.36), not a release.
			return ua.Name
		}
		return join(ua.Name, majorMinor(ua.Version))
	}
	return join(ua.Name, major(ua.Version))
}

// major is the leading number of a dotted version, or "" when it does not start with one.
func major(v string) string {
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	return v[:end]
}

// majorMinor keeps the first two numbers of a dotted version: "17.2.1" → "17.2", "17" → "17".
func majorMinor(v string) string {
	m := major(v)
	if m == "" || len(v) == len(m) || v[len(m)] != '.' {
		return m
	}
	if n := major(v[len(m)+1:]); n != "" {
		return m + "." + n
	}
	return m
}

func join(name, version string) string {
	if version == "" {
		return name
	}
	return name + " " + version
}
