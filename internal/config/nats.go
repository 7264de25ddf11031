package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/nats-io/nkeys"
)

// NATS is how a node reaches the NATS servers its nodes share: a cluster's servers, and what a
// server that checks its clients asks for beyond a user and password or a token in the URL.
type NATS struct {
	// URL lists the servers of one NATS cluster, comma-separated; the node tries them in a
	// random order and moves to another when its server goes away.
	URL string
	// CAFile holds the PEM certificates the servers' certificates must chain to; it turns TLS on.
	CAFile string
	// CertFile and KeyFile are a client certificate, for servers that verify their clients.
	CertFile, KeyFile string
	// CredsFile is a user's JWT and NKey seed (a .creds file, as `nsc` writes them).
	CredsFile string
}

// Args are the flags that give a serve command this configuration, for the nodes the bench
// starts.
func (n NATS) Args() []string {
	var args []string
	for _, f := range []struct{ flag, value string }{
		{"nats-url", n.URL}, {"nats-ca", n.CAFile}, {"nats-cert", n.CertFile}, {"nats-key", n.KeyFile}, {"nats-creds", n.CredsFile},
	} {
		if f.value != "" {
			args = append(args, "--"+f.flag, f.value)
		}
	}
	return args
}

// check validates the servers' URLs and reads every file now, so that a typo fails the start
// with the flag's name rather than surfacing as a node that never joins the others.
func (n *NATS) check() error {
	if n.URL == "" {
		for flag, file := range map[string]string{"nats-ca": n.CAFile, "nats-cert": n.CertFile, "nats-key": n.KeyFile, "nats-creds": n.CredsFile} {
			if file != "" {
				return fmt.Errorf("--%s is set but --nats-url is empty: the node would not use it", flag)
			}
		}
		return nil
	}
	servers, err := natsServers(n.URL)
	if err != nil {
		return err
	}
	n.URL = strings.Join(servers, ",")
	if n.CAFile != "" {
		pem, err := os.ReadFile(n.CAFile)
		if err != nil {
			return fmt.Errorf("--nats-ca: %w", err)
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return fmt.Errorf("--nats-ca: %s holds no PEM certificate", n.CAFile)
		}
	}
	if (n.CertFile == "") != (n.KeyFile == "") {
		return fmt.Errorf("--nats-cert and --nats-key go together: a client certificate and its private key")
	}
	if n.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(n.CertFile, n.KeyFile); err != nil {
			return fmt.Errorf("--nats-cert, --nats-key: %w", err)
		}
	}
	if n.CredsFile != "" {
		creds, err := os.ReadFile(n.CredsFile)
		if err != nil {
			return fmt.Errorf("--nats-creds: %w", err)
		}
		if _, err := nkeys.ParseDecoratedJWT(creds); err != nil {
			return fmt.Errorf("--nats-creds: %s holds no user JWT: %w", n.CredsFile, err)
		}
		if _, err := nkeys.ParseDecoratedNKey(creds); err != nil {
			return fmt.Errorf("--nats-creds: %s holds no NKey seed: %w", n.CredsFile, err)
		}
	}
	return nil
}

// natsServers splits a comma-separated list of NATS URLs and checks each.
func natsServers(list string) ([]string, error) {
	var servers []string
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := url.Parse(raw)
		if err != nil {
			// Not echoed: an unparsable URL cannot be redacted and may hold a password.
			return nil, fmt.Errorf("--nats-url: server %d of the list is not a URL", len(servers)+1)
		}
		if (u.Scheme != "nats" && u.Scheme != "tls") || u.Hostname() == "" || strings.Trim(u.Path, "/") != "" {
			return nil, fmt.Errorf("--nats-url: %q is not a NATS server's URL (nats://host:4222, or tls://host:4222 for TLS)", u.Redacted())
		}
		servers = append(servers, raw)
	}
	if len(servers) == 0 {
		return nil, fmt.Errorf("--nats-url: %q names no server", list)
	}
	return servers, nil
}

// RedactNATS hides the secrets in a list of NATS URLs: a password, and a token, which NATS takes
// as the URL's user when there is no password.
func RedactNATS(list string) string {
	urls := strings.Split(list, ",")
	for i, raw := range urls {
		u, err := url.Parse(raw)
		switch {
		case err != nil:
			urls[i] = "(not a URL)"
		case u.User != nil:
			if _, hasPassword := u.User.Password(); hasPassword {
				urls[i] = u.Redacted()
			} else {
				u.User = url.User("xxxxx")
				urls[i] = u.String()
			}
		}
	}
	return strings.Join(urls, ",")
}
