package httpapi

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// consolePolicy keeps the console to its own scripts even if some text slipped through as HTML.
const consolePolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data: https: http:; " +
	"style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Static serves the embedded front-end and, when given, the demo pages.
func Static(assets fs.FS, demo http.Handler) http.Handler {
	files := http.FileServerFS(assets)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /widget.js", func(w http.ResponseWriter, r *http.Request) {
		// Fixed name, so a short cache: a new release reaches every site within minutes.
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /widget/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		files.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /console/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", consolePolicy)
		name := strings.TrimPrefix(r.URL.Path, "/")
		if st, err := fs.Stat(assets, name); err == nil && !st.IsDir() && name != "console/index.html" {
			if strings.HasPrefix(path.Base(name), "app-") {
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			}
			files.ServeHTTP(w, r)
			return
		}
		// Every other console path is the single-page app, which routes on the client.
		page, err := fs.ReadFile(assets, "console/index.html")
		if err != nil {
			http.Error(w, "console not built", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(page)
	})
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusMovedPermanently)
	})
	if demo != nil {
		mux.Handle("/demo/", demo)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/", http.StatusFound)
	})
	return mux
}
