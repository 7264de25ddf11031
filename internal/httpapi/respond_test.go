package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request its client gave up is answered 499 and logged at debug level, not as a failure.
func TestAbandonedRequestIsNoServerError(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("POST", "/api/v1/auth/login", nil).WithContext(ctx)
	w := httptest.NewRecorder()
	writeError(w, r, log, fmt.Errorf("login: %w", context.Canceled))
	if w.Code != statusClientClosedRequest {
		t.Fatalf("status %d, want %d", w.Code, statusClientClosedRequest)
	}
	if strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "abandoned") {
		t.Fatalf("log: %q", logged.String())
	}

	// The same error while the request is still live is the server's own failure.
	logged.Reset()
	w = httptest.NewRecorder()
	writeError(w, httptest.NewRequest("POST", "/api/v1/auth/login", nil), log, context.Canceled)
	if w.Code != http.StatusInternalServerError || !strings.Contains(logged.String(), "level=ERROR") {
		t.Fatalf("status %d, log %q", w.Code, logged.String())
	}
}
