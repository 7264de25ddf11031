package enrich_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/internal/testutil"
	"github.com/portico/portico/internal/visitors/enrich"
)

func openTestGeoIP(t *testing.T) *enrich.GeoIP {
	t.Helper()
	path := testutil.WriteGeoIPDB(t, map[string]testutil.GeoIPEntry{
		"81.2.69.0/24":    {Country: "United Kingdom", CountryCode: "GB", City: "London"},
		"89.160.20.0/24":  {Country: "Sweden", CountryCode: "SE", City: "Linköping"},
		"2a02:c7f::/32":   {Country: "United Kingdom", CountryCode: "GB", City: "Manchester"},
		"216.160.83.0/24": {Country: "United States", CountryCode: "US"},
		// Present only to show that private addresses are never looked up.
		"10.0.0.0/8": {Country: "Nowhere", CountryCode: "ZZ", City: "Intranet"},
	})
	g, err := enrich.OpenGeoIP(path)
	if err != nil {
		t.Fatalf("OpenGeoIP: %v", err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return g
}

func TestGeoIPLookup(t *testing.T) {
	t.Parallel()
	g := openTestGeoIP(t)
	for _, tc := range []struct {
		ip     string
		want   enrich.Location
		wantOK bool
	}{
		{"81.2.69.142", enrich.Location{Country: "United Kingdom", CountryCode: "GB", City: "London"}, true},
		{"89.160.20.128", enrich.Location{Country: "Sweden", CountryCode: "SE", City: "Linköping"}, true},
		{"::ffff:81.2.69.1", enrich.Location{Country: "United Kingdom", CountryCode: "GB", City: "London"}, true},
		{"2a02:c7f:1234::1", enrich.Location{Country: "United Kingdom", CountryCode: "GB", City: "Manchester"}, true},
		{"216.160.83.56", enrich.Location{Country: "United States", CountryCode: "US"}, true},
		{"81.2.70.1", enrich.Location{}, false},
		{"8.8.8.8", enrich.Location{}, false},
		{"2001:4860::8888", enrich.Location{}, false},
		{"10.1.2.3", enrich.Location{}, false},
		{"192.168.1.1", enrich.Location{}, false},
		{"127.0.0.1", enrich.Location{}, false},
		{"::1", enrich.Location{}, false},
		{"fe80::1", enrich.Location{}, false},
	} {
		got, ok := g.Lookup(netip.MustParseAddr(tc.ip))
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v, %v", tc.ip, got, ok, tc.want, tc.wantOK)
		}
	}
	if got, ok := g.Lookup(netip.Addr{}); ok {
		t.Errorf("Lookup(zero Addr) = %+v, true; want false", got)
	}
}

func TestGeoIPNil(t *testing.T) {
	t.Parallel()
	var g *enrich.GeoIP
	if got, ok := g.Lookup(netip.MustParseAddr("81.2.69.142")); ok {
		t.Errorf("nil GeoIP: Lookup = %+v, true; want false", got)
	}
	if err := g.Close(); err != nil {
		t.Errorf("nil GeoIP: Close = %v, want nil", err)
	}
}

func TestGeoIPClosed(t *testing.T) {
	t.Parallel()
	g := openTestGeoIP(t)
	if err := g.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got, ok := g.Lookup(netip.MustParseAddr("81.2.69.142")); ok {
		t.Errorf("closed GeoIP: Lookup = %+v, true; want false", got)
	}
}

// Run with -race: lookups from many goroutines, and a Close racing them, must be safe.
func TestGeoIPConcurrent(t *testing.T) {
	t.Parallel()
	g := openTestGeoIP(t)
	ip := netip.MustParseAddr("81.2.69.142")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if loc, ok := g.Lookup(ip); ok && loc.City != "London" {
					t.Errorf("concurrent Lookup = %+v", loc)
					return
				}
			}
		})
	}
	wg.Go(func() {
		if err := g.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	wg.Wait()
}

func TestOpenGeoIPErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	valid, err := os.ReadFile(testutil.WriteGeoIPDB(t, map[string]testutil.GeoIPEntry{
		"81.2.69.0/24": {Country: "United Kingdom", CountryCode: "GB", City: "London"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	damaged := slices.Clone(valid)
	for i := range 64 { // the search tree starts the file
		damaged[i] = 0xff
	}
	for _, tc := range []struct {
		name string
		path string
		want string // in the error
	}{
		{"missing", filepath.Join(dir, "absent.mmdb"), "absent.mmdb"},
		{"directory", dir, "geoip"},
		{"empty", write("empty.mmdb", nil), "empty"},
		{"not a database", write("text.mmdb", []byte("this is not a MaxMind database\n")), "invalid MaxMind DB"},
		{"truncated", write("truncated.mmdb", valid[:len(valid)/2]), "invalid MaxMind DB"},
		{"damaged search tree", write("damaged.mmdb", damaged), "fails a test lookup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := enrich.OpenGeoIP(tc.path)
			if err == nil {
				_ = g.Close()
				t.Fatalf("OpenGeoIP(%s) = nil error, want one", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "geoip") {
				t.Errorf("OpenGeoIP(%s) error = %q, want it to mention geoip and %q", tc.name, err, tc.want)
			}
		})
	}

	_, err = enrich.OpenGeoIP(filepath.Join(dir, "absent.mmdb"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenGeoIP(missing) error = %v, want one matching fs.ErrNotExist", err)
	}
}
