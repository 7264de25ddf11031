package testutil

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// GeoIPEntry is what a test GeoIP database says about one network.
type GeoIPEntry struct{ Country, CountryCode, City string }

// WriteGeoIPDB writes a GeoIP2-City-shaped .mmdb holding the given networks (CIDR → Location
// fields) to a temp file and returns its path. Empty fields are left out of the record, as in
// the real databases. Private and other reserved networks may be included, so that a test can
// show they are never looked up.
func WriteGeoIPDB(t testing.TB, networks map[string]GeoIPEntry) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "Portico-Test-City",
		Description:             map[string]string{"en": "Portico test GeoIP database"},
		Languages:               []string{"en"},
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatalf("geoip test db: %v", err)
	}
	for cidr, e := range networks {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatalf("geoip test db: network %q: %v", cidr, err)
		}
		if err := tree.Insert(network, geoIPRecord(e)); err != nil {
			t.Fatalf("geoip test db: insert %s: %v", cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), "geoip.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("geoip test db: %v", err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		_ = f.Close() // the write error is the one to report
		t.Fatalf("geoip test db: write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("geoip test db: close %s: %v", path, err)
	}
	return path
}

// geoIPRecord lays an entry out as GeoIP2-City does: country.iso_code, country.names.en and
// city.names.en.
func geoIPRecord(e GeoIPEntry) mmdbtype.Map {
	rec := mmdbtype.Map{}
	country := mmdbtype.Map{}
	if e.CountryCode != "" {
		country["iso_code"] = mmdbtype.String(e.CountryCode)
	}
	if e.Country != "" {
		country["names"] = mmdbtype.Map{"en": mmdbtype.String(e.Country)}
	}
	if len(country) > 0 {
		rec["country"] = country
	}
	if e.City != "" {
		rec["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(e.City)}}
	}
	return rec
}
