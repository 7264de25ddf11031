package httpapi

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Answers of a kilobyte or more are gzipped for clients that accept it: the widget and console
// bundles (35 KB of widget become 13 KB) and long lists such as the live visitors, which with
// thousands online run to megabytes. Small answers (a message's acknowledgement) are sent as
// they are: compressing them costs more CPU than the bytes it saves.
const minCompressedBytes = 1024

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func compressResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A WebSocket upgrade hijacks the connection; a range is of the plain bytes.
		if r.Header.Get("Upgrade") != "" || r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		gw := &gzipResponse{ResponseWriter: w}
		defer gw.finish()
		next.ServeHTTP(gw, r)
	})
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		_, q, weighted := strings.Cut(strings.ReplaceAll(params, " ", ""), "q=")
		if !weighted {
			return true
		}
		f, err := strconv.ParseFloat(q, 64)
		return err == nil && f > 0
	}
	return false
}

// gzipResponse decides when the status is written whether the body is worth compressing.
type gzipResponse struct {
	http.ResponseWriter
	gz      *gzip.Writer
	decided bool
}

func (g *gzipResponse) WriteHeader(code int) {
	if !g.decided {
		g.decided = true
		if g.worthCompressing(code) {
			h := g.Header()
			h.Del("Content-Length")
			h.Set("Content-Encoding", "gzip")
			g.gz = gzipWriters.Get().(*gzip.Writer)
			g.gz.Reset(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipResponse) worthCompressing(code int) bool {
	h := g.Header()
	if code < 200 || code == http.StatusNoContent || code == http.StatusNotModified || h.Get("Content-Encoding") != "" {
		return false
	}
	n, err := strconv.Atoi(h.Get("Content-Length"))
	if err != nil || n < minCompressedBytes {
		return false // unknown lengths are the streams and the hijacked; small ones are not worth it
	}
	ct := h.Get("Content-Type")
	return strings.HasPrefix(ct, "text/") || strings.HasPrefix(ct, "application/json") ||
		strings.HasPrefix(ct, "application/javascript") || strings.HasPrefix(ct, "image/svg+xml") ||
		strings.HasPrefix(ct, "application/manifest+json")
}

func (g *gzipResponse) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipResponse) finish() {
	if g.gz != nil {
		g.gz.Close()
		g.gz.Reset(nil)
		gzipWriters.Put(g.gz)
		g.gz = nil
	}
}

// Unwrap lets http.ResponseController reach the connection underneath.
func (g *gzipResponse) Unwrap() http.ResponseWriter { return g.ResponseWriter }
