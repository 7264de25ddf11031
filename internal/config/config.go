// Package config is Portico's one typed configuration: defaults, then PORTICO_* environment
// variables, then command-line flags. It is built once and passed explicitly.
package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type Config struct {
	Addr            string
	Data            string
	DatabaseURL     string
	DatabasePool    int // connections each node keeps to PostgreSQL
	NATS            NATS
	SMTPURL         string
	MailFrom        string
	PublicURL       string
	Dev             bool
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
	// Visitors and privacy.
	GeoIPDB           string        // a MaxMind-format .mmdb for visitors' country and city
	AnonymizeIP       bool          // store only the network part of visitors' addresses
	RespectDNT        bool          // record no page views for browsers that send Do Not Track
	PageViewRetention time.Duration // page views older than this are deleted; 0 keeps them
	VisitorLeaveAfter time.Duration // a visitor with no tab open this long has left
	ClientIPHeader    string        // behind a proxy: the header holding the visitor's address
}

// DefaultDatabasePool is the pool --database-pool 0 stands for: twice this machine's cores, at
// least 4, which is about what PostgreSQL on a machine like it serves best. On 2 cores a pool of
// 20 had a message p99 of 37-48 ms where 4 had 15-31 ms (docs/benchmarks.md, round fourteen).
func DefaultDatabasePool() int { return max(4, 2*runtime.NumCPU()) }

// Option documents one setting; the README's configuration table is generated from the same list.
type Option struct {
	Flag, Env, Default, Usage string
}

func Options() []Option {
	return []Option{
		{"addr", "PORTICO_ADDR", "127.0.0.1:8080", "address to listen on"},
		{"data", "PORTICO_DATA", "./portico-data", "data directory (the SQLite database lives here)"},
		{"database-url", "PORTICO_DATABASE_URL", "", "PostgreSQL URL (postgres://user:pass@host/db); SQLite in --data when empty"},
		{"database-pool", "PORTICO_DATABASE_POOL", "0", "connections each node keeps to PostgreSQL, shared by its reads and its group writer; 0: twice this machine's cores, at least 4. PostgreSQL serves a few busy connections best: more than about twice its cores add waiting, not speed"},
		{"nats-url", "PORTICO_NATS_URL", "", "NATS server for several nodes (nats://host:4222; tls://host:4222 for TLS; nats://user:pass@host:4222 or nats://token@host:4222 for a server that checks its clients), or a cluster's servers separated by commas, of which a node uses one and moves to another when it goes away; in-process when empty. A node starts even while no server is reachable and joins the others once one answers"},
		{"nats-ca", "PORTICO_NATS_CA", "", "PEM file of the certificates the NATS servers' certificates must chain to (a private CA); turns TLS on. Without it tls:// uses the system's"},
		{"nats-cert", "PORTICO_NATS_CERT", "", "PEM client certificate for NATS servers that verify their clients (with --nats-key)"},
		{"nats-key", "PORTICO_NATS_KEY", "", "PEM private key of --nats-cert"},
		{"nats-creds", "PORTICO_NATS_CREDS", "", "NATS credentials file (a user's JWT and NKey seed, as nsc writes them) for servers in operator mode"},
		{"smtp-url", "PORTICO_SMTP_URL", "", "mail server (smtp://user:pass@host:587 or smtps://…); mail stays in the outbox when empty"},
		{"mail-from", "PORTICO_MAIL_FROM", "", "sender of Portico's e-mail (default Portico <portico@HOST>, HOST from --public-url)"},
		{"public-url", "PORTICO_PUBLIC_URL", "", "the URL visitors and operators reach Portico at (default http://ADDR)"},
		{"dev", "PORTICO_DEV", "false", "development mode: plain http to loopback is allowed where https is required"},
		{"log-level", "PORTICO_LOG_LEVEL", "info", "debug, info, warn or error"},
		{"shutdown-timeout", "PORTICO_SHUTDOWN_TIMEOUT", "15s", "how long a stopping node waits for connections to finish; a connection on which no request has begun (a browser's preconnect) is closed after half of it, at most 5 s"},
		{"geoip-db", "PORTICO_GEOIP_DB", "", "MaxMind-format .mmdb file (e.g. GeoLite2-City) for visitors' country and city; no location when empty"},
		{"anonymize-ip", "PORTICO_ANONYMIZE_IP", "false", "store visitors' IP addresses without their last part (IPv4 /24, IPv6 /48)"},
		{"respect-dnt", "PORTICO_RESPECT_DNT", "false", "record no page views for browsers that send Do Not Track or Global Privacy Control"},
		{"pageview-retention", "PORTICO_PAGEVIEW_RETENTION", "0", "delete page views older than this (e.g. 2160h for 90 days); 0 keeps them"},
		{"visitor-leave-after", "PORTICO_VISITOR_LEAVE_AFTER", "60s", "a visitor whose tabs are all closed this long has left the website"},
		{"client-ip-header", "PORTICO_CLIENT_IP_HEADER", "", "behind a reverse proxy: the header it puts the client's address in (X-Forwarded-For: its last address is used, X-Real-IP), for visitors' addresses and for counting failed sign-ins per address; empty: the connection's address"},
	}
}

// Parse builds the configuration for the serve-like commands from args and the environment.
func Parse(name string, args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	load := Bind(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return load()
}

// Bind adds the configuration flags to fs, with defaults taken from the environment, and returns
// the function that builds the Config once fs has been parsed. Commands add their own flags.
func Bind(fs *flag.FlagSet, getenv func(string) string) func() (*Config, error) {
	values := map[string]*string{}
	for _, o := range Options() {
		def := o.Default
		if v := getenv(o.Env); v != "" {
			def = v
		}
		values[o.Flag] = fs.String(o.Flag, def, o.Usage+" ($"+o.Env+")")
	}
	return func() (*Config, error) { return build(values) }
}

func build(v map[string]*string) (*Config, error) {
	c := &Config{
		Addr:        *v["addr"],
		Data:        *v["data"],
		DatabaseURL: *v["database-url"],
		NATS: NATS{URL: strings.TrimSpace(*v["nats-url"]), CAFile: strings.TrimSpace(*v["nats-ca"]),
			CertFile: strings.TrimSpace(*v["nats-cert"]), KeyFile: strings.TrimSpace(*v["nats-key"]), CredsFile: strings.TrimSpace(*v["nats-creds"])},
		SMTPURL:   *v["smtp-url"],
		MailFrom:  strings.TrimSpace(*v["mail-from"]),
		PublicURL: strings.TrimSuffix(*v["public-url"], "/"),
	}
	var err error
	if c.DatabasePool, err = strconv.Atoi(*v["database-pool"]); err != nil || c.DatabasePool < 0 || c.DatabasePool > 1000 {
		return nil, fmt.Errorf("--database-pool: %q is not a number of connections from 1 to 1000 (or 0 for the default)", *v["database-pool"])
	}
	if c.DatabasePool == 0 {
		c.DatabasePool = DefaultDatabasePool()
	}
	if c.Dev, err = parseBool("dev", *v["dev"]); err != nil {
		return nil, err
	}
	if err := c.LogLevel.UnmarshalText([]byte(*v["log-level"])); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	d, err := time.ParseDuration(*v["shutdown-timeout"])
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("--shutdown-timeout: %q is not a positive duration", *v["shutdown-timeout"])
	}
	c.ShutdownTimeout = d
	c.GeoIPDB = strings.TrimSpace(*v["geoip-db"])
	c.ClientIPHeader = strings.TrimSpace(*v["client-ip-header"])
	if c.AnonymizeIP, err = parseBool("anonymize-ip", *v["anonymize-ip"]); err != nil {
		return nil, err
	}
	if c.RespectDNT, err = parseBool("respect-dnt", *v["respect-dnt"]); err != nil {
		return nil, err
	}
	if c.PageViewRetention, err = time.ParseDuration(*v["pageview-retention"]); err != nil || c.PageViewRetention < 0 {
		return nil, fmt.Errorf("--pageview-retention: %q is not a duration (like 2160h), or 0", *v["pageview-retention"])
	}
	if c.PageViewRetention > 0 && c.PageViewRetention < time.Hour {
		return nil, fmt.Errorf("--pageview-retention: %s is less than an hour: page views would vanish while visitors are still on the site", c.PageViewRetention)
	}
	if c.VisitorLeaveAfter, err = time.ParseDuration(*v["visitor-leave-after"]); err != nil || c.VisitorLeaveAfter <= 0 {
		return nil, fmt.Errorf("--visitor-leave-after: %q is not a positive duration", *v["visitor-leave-after"])
	}
	if c.Addr == "" {
		return nil, fmt.Errorf("--addr is empty")
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--public-url: %q is not an http(s) URL", c.PublicURL)
	}
	if c.MailFrom == "" {
		c.MailFrom = DefaultMailFrom(u.Hostname())
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return nil, fmt.Errorf("--mail-from: %q is not an e-mail address (like Portico <portico@example.com>)", c.MailFrom)
	}
	if err := c.NATS.check(); err != nil {
		return nil, err
	}
	for name, raw := range map[string]string{"database-url": c.DatabaseURL, "smtp-url": c.SMTPURL} {
		if raw == "" {
			continue
		}
		if _, err := url.Parse(raw); err != nil {
			return nil, fmt.Errorf("--%s: not a URL", name)
		}
	}
	return c, nil
}

func parseBool(flag, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no", "":
		return false, nil
	}
	return false, fmt.Errorf("--%s: %q is not true or false", flag, v)
}

// DefaultMailFrom is the sender when --mail-from is not set. A host without a dot (localhost, an
// IP address is fine) still gives a syntactically valid address.
func DefaultMailFrom(host string) string {
	if host == "" {
		host = "localhost"
	}
	if strings.Contains(host, ":") { // an IPv6 address
		host = "[" + host + "]"
	}
	return "Portico <portico@" + host + ">"
}

// String prints the configuration with passwords in URLs hidden.
func (c *Config) String() string {
	return fmt.Sprintf("addr=%s data=%s database-url=%s nats-url=%s smtp-url=%s mail-from=%q public-url=%s dev=%t",
		c.Addr, c.Data, Redact(c.DatabaseURL), RedactNATS(c.NATS.URL), Redact(c.SMTPURL), c.MailFrom, c.PublicURL, c.Dev)
}

// Redact hides the password in a URL.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
