package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
)

// The OpenAPI document is kept in parts, one per capability (openapi/*.json): core.json holds
// the info, servers and security schemes; every part may add paths and components. They are
// merged once, when the package loads; a test holds the result to routes().
//
//go:embed openapi/*.json
var openAPIParts embed.FS

var openAPIDocument = mustMergeOpenAPI(openAPIParts)

func mustMergeOpenAPI(fsys fs.FS) []byte {
	doc, err := mergeOpenAPI(fsys)
	if err != nil {
		panic(err) // the parts are embedded: a broken part is a build mistake, and tests catch it
	}
	return doc
}

func mergeOpenAPI(fsys fs.FS) ([]byte, error) {
	names, err := fs.Glob(fsys, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var doc map[string]any
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var part map[string]any
		if err := json.Unmarshal(data, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if doc == nil {
			doc = map[string]any{}
		}
		if err := mergeInto(doc, part, name, 0); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

// mergeInto adds src to dst. Objects merge down to paths and component names (depth 2);
// the same operation or component defined twice is an error.
func mergeInto(dst, src map[string]any, part string, depth int) error {
	for k, v := range src {
		existing, ok := dst[k]
		if !ok {
			dst[k] = v
			continue
		}
		a, aok := existing.(map[string]any)
		b, bok := v.(map[string]any)
		if !aok || !bok || depth >= 2 {
			return fmt.Errorf("%s: %q is defined twice", part, k)
		}
		if err := mergeInto(a, b, part, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(openAPIDocument)
}
