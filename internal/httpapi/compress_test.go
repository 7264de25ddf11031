package httpapi

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/web"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "gzip, deflate, br": true, "br;q=1.0, GZIP;q=0.5": true,
		"": false, "br": false, "gzip;q=0": false, "gzip; q=0.0": false, "identity": false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func get(t *testing.T, h http.Handler, path, acceptEncoding string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Long JSON answers and the front-end bundles go out compressed to clients that accept it, and
// come back byte for byte; short answers, and clients that do not accept gzip, get them plain.
func TestLongAnswersAreCompressed(t *testing.T) {
	long := strings.Repeat("visitor ", 500)
	h := compressResponses(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/long" {
			writeJSON(w, http.StatusOK, map[string]string{"text": long})
			return
		}
		writeJSON(w, http.StatusCreated, map[string]string{"text": "short"})
	}))

	rec := get(t, h, "/long", "gzip, deflate")
	if rec.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(rec.Header().Get("Vary"), "Accept-Encoding") {
		t.Fatalf("long answer: headers %v, want gzip and Vary", rec.Header())
	}
	if rec.Header().Get("Content-Length") != "" {
		t.Errorf("a compressed answer kept the plain Content-Length %s", rec.Header().Get("Content-Length"))
	}
	if plain := gunzip(t, rec.Body.Bytes()); !strings.Contains(string(plain), long) {
		t.Errorf("the decompressed answer lost its text")
	}
	if rec.Body.Len() > len(long)/4 {
		t.Errorf("compressed to %d bytes from %d", rec.Body.Len(), len(long))
	}
	if rec := get(t, h, "/long", ""); rec.Header().Get("Content-Encoding") != "" || !strings.Contains(rec.Body.String(), long) {
		t.Errorf("a client without Accept-Encoding got %v", rec.Header())
	}
	if rec := get(t, h, "/short", "gzip"); rec.Header().Get("Content-Encoding") != "" || rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), "short") {
		t.Errorf("a short answer: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}

	static := compressResponses(Static(web.Dist(), nil))
	want, err := fs.ReadFile(web.Dist(), "widget.js")
	if err != nil {
		t.Fatal(err)
	}
	rec = get(t, static, "/widget.js", "gzip")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("widget.js: %d %v, want it gzipped", rec.Code, rec.Header())
	}
	if got := gunzip(t, rec.Body.Bytes()); !bytes.Equal(got, want) {
		t.Errorf("widget.js decompressed to %d bytes, want the %d of the file", len(got), len(want))
	}
}
