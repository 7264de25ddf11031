package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/portico/portico/internal/domain"
)

// securityHeaders is set on every answer. Pages and API answers may not be framed or sniffed.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		if !strings.HasPrefix(r.URL.Path, "/demo/") {
			h.Set("X-Frame-Options", "DENY")
		}
		next.ServeHTTP(w, r)
	})
}

func recoverPanics(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
					writeErrorCode(w, http.StatusInternalServerError, "internal_error", "something went wrong on our side; it has been logged")
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection for the WebSocket upgrade.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logRequests logs each request at debug level and hands its time to observe, when set. The
// router sets r.Pattern on the request it is given, which is this one: no middleware between
// them replaces the request.
func logRequests(log *slog.Logger, observe func(route string, status int, took time.Duration)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			if strings.HasSuffix(r.URL.Path, "/ws") {
				return
			}
			took := time.Since(start)
			if observe != nil {
				route := r.Pattern
				if route == "" {
					route = "unmatched"
				}
				observe(route, rec.status, took)
			}
			log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", took)
		})
	}
}

type ctxKey int

const (
	operatorKey ctxKey = iota
	sessionKey
	visitorKey
)

func operatorFrom(ctx context.Context) *domain.Operator {
	op, _ := ctx.Value(operatorKey).(*domain.Operator)
	return op
}

func visitorFrom(ctx context.Context) *domain.Visitor {
	v, _ := ctx.Value(visitorKey).(*domain.Visitor)
	return v
}

func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func isUnsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}
