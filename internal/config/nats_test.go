package config_test

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/testutil"
)

func parseNATS(args ...string) (*config.Config, error) {
	return config.Parse("serve", args, func(string) string { return "" }, io.Discard)
}

// A cluster's servers are a comma-separated list; each is checked, and a bad one is named
// without its password.
func TestNATSURLs(t *testing.T) {
	cfg, err := parseNATS("--nats-url", " nats://a.example:4222, tls://user:pw@b.example:4222 ,")
	if err != nil {
		t.Fatal(err)
	}
	if want := "nats://a.example:4222,tls://user:pw@b.example:4222"; cfg.NATS.URL != want {
		t.Fatalf("URL = %q, want %q", cfg.NATS.URL, want)
	}
	for _, c := range []struct{ url, err string }{
		{"http://a.example:4222", `"http://a.example:4222" is not a NATS server's URL`},
		{"nats://", "is not a NATS server's URL"},
		{"nats://a.example:4222/path", "is not a NATS server's URL"},
		{"a.example:4222", "is not a NATS server's URL"},
		{"nats://a.example, smtp://user:hidden@b.example", `"smtp://user:xxxxx@b.example" is not a NATS server's URL`},
		{"nats://user:hid den@a.example:4222", "server 1 of the list is not a URL"},
		{" , ", "names no server"},
	} {
		_, err := parseNATS("--nats-url", c.url)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: err = %v, want %q", c.url, err, c.err)
		}
		if err != nil && (strings.Contains(err.Error(), "hidden") || strings.Contains(err.Error(), "hid den")) {
			t.Errorf("%q: the error shows the password: %v", c.url, err)
		}
	}
}

// The files for TLS and credentials are read at start, so a wrong one fails the start with the
// flag's name; the bench hands the same flags to the nodes it starts.
func TestNATSFilesAreCheckedAtStart(t *testing.T) {
	pki := testutil.NewPKI(t)
	_, creds := testutil.NATSOperator(t)
	args := []string{"--nats-url", "tls://127.0.0.1:4222", "--nats-ca", pki.CA, "--nats-cert", pki.ClientCert, "--nats-key", pki.ClientKey, "--nats-creds", creds}
	cfg, err := parseNATS(args...)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.NATS.Args(); !slices.Equal(got, args) {
		t.Fatalf("Args() = %q, want %q", got, args)
	}

	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	url := []string{"--nats-url", "nats://127.0.0.1:4222"}
	for _, c := range []struct {
		args []string
		err  string
	}{
		{[]string{"--nats-ca", pki.CA}, "--nats-ca is set but --nats-url is empty"},
		{append(url, "--nats-ca", missing), "--nats-ca: open " + missing},
		{append(url, "--nats-ca", notPEM), "--nats-ca: " + notPEM + " holds no PEM certificate"},
		{append(url, "--nats-cert", pki.ClientCert), "--nats-cert and --nats-key go together"},
		{append(url, "--nats-key", pki.ClientKey), "--nats-cert and --nats-key go together"},
		{append(url, "--nats-cert", pki.ClientCert, "--nats-key", pki.ServerKey), "--nats-cert, --nats-key: tls: private key does not match public key"},
		{append(url, "--nats-creds", missing), "--nats-creds: open " + missing},
		{append(url, "--nats-creds", pki.CA), "--nats-creds: " + pki.CA + " holds no"},
	} {
		_, err := parseNATS(c.args...)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%q: err = %v, want %q", c.args, err, c.err)
		}
	}
}

// What a node prints of its configuration hides passwords and tokens.
func TestNATSSecretsAreRedacted(t *testing.T) {
	got := config.RedactNATS("nats://secret-token@a.example:4222,tls://user:secret-pw@b.example:4222,nats://c.example:4222")
	if want := "nats://xxxxx@a.example:4222,tls://user:xxxxx@b.example:4222,nats://c.example:4222"; got != want {
		t.Fatalf("RedactNATS = %q, want %q", got, want)
	}
	cfg, err := parseNATS("--nats-url", "nats://secret-token@a.example:4222")
	if err != nil {
		t.Fatal(err)
	}
	if s := cfg.String(); strings.Contains(s, "secret-token") {
		t.Fatalf("the configuration printed shows the token: %s", s)
	}
}
