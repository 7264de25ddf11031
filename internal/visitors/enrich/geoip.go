package enrich

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Location is where an IP address is, as a GeoIP database says.
type Location struct {
	Country     string `json:"country"`
	CountryCode string `json:"country_code"`
	City        string `json:"city"`
}

// GeoIP looks addresses up in a MaxMind-format database laid out like GeoLite2-City or
// GeoIP2-City (GeoLite2-Country and DB-IP's lite databases share the layout). It is safe for
// concurrent use; a nil *GeoIP finds nothing.
//
// The file is memory-mapped: update it by renaming a new file over it (as geoipupdate does),
// never by rewriting it in place, and restart to read the new one.
type GeoIP struct {
	// mu keeps Close from unmapping the file under a running lookup, which would crash the
	// process rather than fail.
	mu sync.RWMutex
	db *maxminddb.Reader
}

// OpenGeoIP opens a database file. It fails, saying why, when the file is missing, is not a
// MaxMind DB, or cannot answer a first lookup.
//
// It does not run the library's full Verify: that walks the whole file and takes seconds on a
// city database (8 s for 45 MiB on a small server), a delay on every start. Lookup decodes into
// fixed fields under the library's size limits, so a damaged record fails only its own lookup.
func OpenGeoIP(path string) (*GeoIP, error) {
	db, err := maxminddb.Open(path)
	if err != nil {
		if _, ok := errors.AsType[*fs.PathError](err); ok {
			return nil, fmt.Errorf("geoip: %w", err) // it names the file already
		}
		return nil, fmt.Errorf("geoip: %s: %w", path, err)
	}
	var r record
	if err := db.Lookup(probeAddr).Decode(&r); err != nil {
		return nil, errors.Join(fmt.Errorf("geoip: %s fails a test lookup: %w", path, err), db.Close())
	}
	return &GeoIP{db: db}, nil
}

// probeAddr is a public address looked up once at open, to catch a damaged search tree or data
// section before the first visitor does. It need not be in the database.
var probeAddr = netip.AddrFrom4([4]byte{1, 1, 1, 1})

// record is the part of a GeoIP2-City record that Lookup reads.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
		Names   names  `maxminddb:"names"`
	} `maxminddb:"country"`
	City struct {
		Names names `maxminddb:"names"`
	} `maxminddb:"city"`
}

// names keeps the English name only, rather than decoding every language into a map.
type names struct {
	En string `maxminddb:"en"`
}

// Lookup says where ip is, in English. It reports false for a nil or closed GeoIP, for
// addresses that are not public (private, loopback, link-local, unspecified) and for addresses
// the database does not know or cannot decode.
func (g *GeoIP) Lookup(ip netip.Addr) (Location, bool) {
	if g == nil {
		return Location{}, false
	}
	ip = ip.Unmap().WithZone("")
	if !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return Location{}, false
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.db == nil {
		return Location{}, false
	}
	res := g.db.Lookup(ip)
	if !res.Found() {
		return Location{}, false
	}
	var r record
	if err := res.Decode(&r); err != nil {
		// A damaged record: the visit is shown without a location, as for an unknown address.
		return Location{}, false
	}
	loc := Location{Country: r.Country.Names.En, CountryCode: r.Country.ISOCode, City: r.City.Names.En}
	if loc == (Location{}) {
		return Location{}, false
	}
	return loc, true
}

// Close releases the database. Lookups after it find nothing. A nil GeoIP closes without error.
func (g *GeoIP) Close() error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.db == nil {
		return nil
	}
	err := g.db.Close()
	g.db = nil
	if err != nil {
		return fmt.Errorf("geoip: close: %w", err)
	}
	return nil
}
