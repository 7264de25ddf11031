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
	"strings"
	"time"
)

type Config struct {
	Addr            string
	Data            string
	DatabaseURL     string
	NATSURL         string
	SMTPURL         string
	MailFrom        string
	PublicURL       string
	Dev             bool
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
}

// Option documents one setting; the README's configuration table is generated from the same list.
type Option struct {
	Flag, Env, Default, Usage string
}

func Options() []Option {
	return []Option{
		{"addr", "PORTICO_ADDR", "127.0.0.1:8080", "address to listen on"},
		{"data", "PORTICO_DATA", "./portico-data", "data directory (the SQLite database lives here)"},
		{"database-url", "PORTICO_DATABASE_URL", "", "PostgreSQL URL (postgres://user:pass@host/db); SQLite in --data when empty"},
		{"nats-url", "PORTICO_NATS_URL", "", "NATS server for several nodes (nats://host:4222); in-process when empty"},
		{"smtp-url", "PORTICO_SMTP_URL", "", "mail server (smtp://user:pass@host:587 or smtps://…); mail stays in the outbox when empty"},
		{"mail-from", "PORTICO_MAIL_FROM", "", "sender of Portico's e-mail (default Portico <portico@HOST>, HOST from --public-url)"},
		{"public-url", "PORTICO_PUBLIC_URL", "", "the URL visitors and operators reach Portico at (default http://ADDR)"},
		{"dev", "PORTICO_DEV", "false", "development mode: plain http to loopback is allowed where https is required"},
		{"log-level", "PORTICO_LOG_LEVEL", "info", "debug, info, warn or error"},
		{"shutdown-timeout", "PORTICO_SHUTDOWN_TIMEOUT", "15s", "how long a stopping node waits for connections to finish"},
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
		NATSURL:     *v["nats-url"],
		SMTPURL:     *v["smtp-url"],
		MailFrom:    strings.TrimSpace(*v["mail-from"]),
		PublicURL:   strings.TrimSuffix(*v["public-url"], "/"),
	}
	switch strings.ToLower(*v["dev"]) {
	case "true", "1", "yes":
		c.Dev = true
	case "false", "0", "no", "":
	default:
		return nil, fmt.Errorf("--dev: %q is not true or false", *v["dev"])
	}
	if err := c.LogLevel.UnmarshalText([]byte(*v["log-level"])); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	d, err := time.ParseDuration(*v["shutdown-timeout"])
	if err != nil || d <= 0 {
		return nil, fmt.Errorf("--shutdown-timeout: %q is not a positive duration", *v["shutdown-timeout"])
	}
	c.ShutdownTimeout = d
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
	for name, raw := range map[string]string{"database-url": c.DatabaseURL, "nats-url": c.NATSURL, "smtp-url": c.SMTPURL} {
		if raw == "" {
			continue
		}
		if _, err := url.Parse(raw); err != nil {
			return nil, fmt.Errorf("--%s: not a URL", name)
		}
	}
	return c, nil
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
		c.Addr, c.Data, Redact(c.DatabaseURL), Redact(c.NATSURL), Redact(c.SMTPURL), c.MailFrom, c.PublicURL, c.Dev)
}

// Redact hides the password in a URL.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}
