// Package testutil starts real parts for tests: a fresh SQLite file or PostgreSQL database per
// test, the whole HTTP server on loopback, and helpers to act as operators and visitors.
package testutil

import (
	"os"
	"testing"
)

// Need returns the value of an environment variable naming a real service (a PostgreSQL URL,
// a NATS URL, a Chromium binary). Without it the test is skipped on a laptop, but fails in CI
// (CI=true), where .ci/run must have provided the service.
func Need(t testing.TB, env, what string) string {
	t.Helper()
	v := os.Getenv(env)
	if v != "" {
		return v
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not set: CI must provide %s (see .ci/run)", env, what)
	}
	t.Skipf("%s is not set: skipping the test that needs %s (. .ci/services.sh starts one)", env, what)
	return ""
}
