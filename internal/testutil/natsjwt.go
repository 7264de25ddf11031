package testutil

import (
	"crypto/sha512"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// NATSOperator makes what a NATS server in operator mode and one of its users need: an operator,
// an account and a user, each a signed JWT as `nsc` would write them. conf is the server's
// configuration (the operator and the account preloaded in memory), creds the path of the user's
// credentials file. The user may publish and subscribe to subjects only, or to anything if none
// are given.
func NATSOperator(t testing.TB, subjects ...string) (conf, creds string) {
	t.Helper()
	dir := t.TempDir()
	operator, account, user := newNKey(t, nkeys.CreateOperator), newNKey(t, nkeys.CreateAccount), newNKey(t, nkeys.CreateUser)
	unlimited := map[string]any{"subs": -1, "data": -1, "payload": -1}
	operatorJWT := signJWT(t, operator, operator, map[string]any{"type": "operator", "version": 2})
	accountLimits := map[string]any{"imports": -1, "exports": -1, "wildcards": true, "conn": -1, "leaf": -1}
	for k, v := range unlimited {
		accountLimits[k] = v
	}
	accountJWT := signJWT(t, operator, account, map[string]any{"type": "account", "version": 2, "limits": accountLimits,
		"default_permissions": map[string]any{"pub": map[string]any{}, "sub": map[string]any{}}})
	allowed := map[string]any{}
	if len(subjects) > 0 {
		allowed["allow"] = subjects
	}
	userClaims := map[string]any{"type": "user", "version": 2, "pub": allowed, "sub": allowed}
	for k, v := range unlimited {
		userClaims[k] = v
	}
	userJWT := signJWT(t, account, user, userClaims)

	operatorFile := filepath.Join(dir, "operator.jwt")
	if err := os.WriteFile(operatorFile, []byte(operatorJWT), 0o600); err != nil {
		t.Fatal(err)
	}
	seed, err := user.Seed()
	if err != nil {
		t.Fatal(err)
	}
	creds = filepath.Join(dir, "user.creds")
	credsText := fmt.Sprintf("-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n", userJWT, seed)
	if err := os.WriteFile(creds, []byte(credsText), 0o600); err != nil {
		t.Fatal(err)
	}
	conf = fmt.Sprintf("operator: %q\nresolver: MEMORY\nresolver_preload: {\n  %s: %q\n}\n", operatorFile, publicKey(t, account), accountJWT)
	return conf, creds
}

func newNKey(t testing.TB, create func() (nkeys.KeyPair, error)) nkeys.KeyPair {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func publicKey(t testing.TB, kp nkeys.KeyPair) string {
	t.Helper()
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// signJWT writes the JWT of subject's claims, signed by issuer, in the form NATS reads: an
// ed25519-nkey signature, and an id that is the hash of the claims.
func signJWT(t testing.TB, issuer, subject nkeys.KeyPair, natsClaims map[string]any) string {
	t.Helper()
	claims := map[string]any{"iat": time.Now().Unix(), "iss": publicKey(t, issuer), "sub": publicKey(t, subject),
		"name": "portico-test", "nats": natsClaims}
	withoutID, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512_256(withoutID)
	claims["jti"] = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:])
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"ed25519-nkey"}`)) + "." + enc.EncodeToString(payload)
	sig, err := issuer.Sign([]byte(signed))
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + enc.EncodeToString(sig)
}
