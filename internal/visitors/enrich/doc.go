// Package enrich turns what a visitor's request carries (User-Agent, landing URL, referrer, IP
// address) into what an operator sees: device, traffic source and location.
//
// It depends on no other Portico package, so it can be tested and reused on its own.
package enrich
