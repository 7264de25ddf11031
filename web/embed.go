// Package web holds the sources of the widget and the console and embeds their build (web/dist,
// made by `go run ./tools/webbuild` and committed, so that `go build` alone gives a whole binary).
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built front-end: widget.js, widget/…, console/….
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the path is a constant of this package
	}
	return sub
}
