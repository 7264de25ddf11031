package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route in routes(); a test keeps the two in step.
//
//go:embed openapi.json
var openAPIDocument []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(openAPIDocument)
}
