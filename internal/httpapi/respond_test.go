package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
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

// Answers are encoded in buffers that requests share one after the other: each answer is whole
// and its own, with its length, whatever came before it on the same buffer.
func TestAnswersKeepTheirOwnBodies(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				// Some answers are longer than a buffer that is kept, some shorter.
				text := fmt.Sprintf("%d-%d-", g, i) + strings.Repeat("x", (i*977)%(2*maxPooledBody))
				rec := httptest.NewRecorder()
				writeJSON(rec, http.StatusCreated, map[string]string{"text": text})
				want := `{"text":"` + text + "\"}\n"
				if rec.Code != http.StatusCreated || rec.Body.String() != want {
					t.Errorf("answer %d-%d: %d, %d bytes, not the %d written", g, i, rec.Code, rec.Body.Len(), len(want))
					return
				}
				if n, _ := strconv.Atoi(rec.Header().Get("Content-Length")); n != len(want) {
					t.Errorf("answer %d-%d: Content-Length %d, body %d", g, i, n, len(want))
					return
				}
			}
		})
	}
	wg.Wait()
}

// A request body is one JSON value: what is wrong with one is said in the error.
func TestRequestBodiesAreOneJSONValue(t *testing.T) {
	cases := []struct {
		body     string
		optional bool
		want     string // in the error; "" for none
	}{
		{`{"n": 1}`, false, ""},
		{"  {\"n\": 1}\n\t", false, ""},
		{``, false, "the body is empty"},
		{" \n", false, "the body is empty"},
		{``, true, ""},
		{`{"n": 1} {"n": 2}`, false, "more than one JSON value"},
		{`{"n": 1`, false, "unexpected end of JSON input"},
		{`{"n": "one"}`, false, "cannot unmarshal string"},
	}
	for _, c := range cases {
		var v struct{ N int }
		r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
		err := decodeBody(httptest.NewRecorder(), r, &v, c.optional)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%q: %v", c.body, err)
		case c.want == "" && c.body != "" && v.N != 1:
			t.Errorf("%q: read %d", c.body, v.N)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, errBadJSON)):
			t.Errorf("%q: error %v, want one that says %q", c.body, err, c.want)
		}
	}
}
