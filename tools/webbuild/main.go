// Command webbuild bundles the widget and console sources under web/ into web/dist, which the
// portico binary embeds. With -check it builds into memory and fails when web/dist is stale.
package main

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

func main() {
	check := flag.Bool("check", false, "fail when the committed web/dist differs from a fresh build")
	root := flag.String("root", "web", "the web/ folder")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "webbuild:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	files, err := build(root)
	if err != nil {
		return err
	}
	dist := filepath.Join(root, "dist")
	if check {
		return compare(dist, files)
	}
	if err := os.RemoveAll(dist); err != nil {
		return err
	}
	for _, name := range sortedKeys(files) {
		path := filepath.Join(dist, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return err
		}
	}
	report(files)
	return nil
}

// build returns the finished files keyed by their path under dist/.
func build(root string) (map[string][]byte, error) {
	out := map[string][]byte{}

	widgetApp, err := bundle(filepath.Join(root, "widget", "app.js"), api.FormatIIFE, api.ES2019)
	if err != nil {
		return nil, err
	}
	appName := "widget/app-" + hash(widgetApp) + ".js"
	out[appName] = widgetApp

	loader, err := bundle(filepath.Join(root, "widget", "loader.js"), api.FormatIIFE, api.ES2019)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(loader, []byte("__PORTICO_APP__")) {
		return nil, errors.New("widget/loader.js must contain the placeholder __PORTICO_APP__")
	}
	out["widget.js"] = bytes.ReplaceAll(loader, []byte("__PORTICO_APP__"), []byte("/"+appName))

	consoleJS, err := bundle(filepath.Join(root, "console", "app.js"), api.FormatESModule, api.ES2020)
	if err != nil {
		return nil, err
	}
	consoleCSS, err := bundle(filepath.Join(root, "console", "app.css"), api.FormatDefault, api.ES2020)
	if err != nil {
		return nil, err
	}
	jsName := "console/app-" + hash(consoleJS) + ".js"
	cssName := "console/app-" + hash(consoleCSS) + ".css"
	out[jsName] = consoleJS
	out[cssName] = consoleCSS

	page, err := os.ReadFile(filepath.Join(root, "console", "index.html"))
	if err != nil {
		return nil, err
	}
	for placeholder, name := range map[string]string{"__CONSOLE_JS__": jsName, "__CONSOLE_CSS__": cssName} {
		if !bytes.Contains(page, []byte(placeholder)) {
			return nil, fmt.Errorf("console/index.html must contain %s", placeholder)
		}
		page = bytes.ReplaceAll(page, []byte(placeholder), []byte("/"+name))
	}
	out["console/index.html"] = page

	for _, static := range []string{"manifest.webmanifest", "icon.svg", "sw.js"} {
		data, err := os.ReadFile(filepath.Join(root, "console", static))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out["console/"+static] = data
	}
	return out, nil
}

func bundle(entry string, format api.Format, target api.Target) ([]byte, error) {
	result := api.Build(api.BuildOptions{
		EntryPoints:       []string{entry},
		Bundle:            true,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Format:            format,
		Target:            target,
		Loader:            map[string]api.Loader{".css": api.LoaderCSS},
		Write:             false,
		LegalComments:     api.LegalCommentsNone,
		Charset:           api.CharsetUTF8,
		Plugins:           []api.Plugin{cssAsText},
		LogLevel:          api.LogLevelSilent,
	})
	if len(result.Errors) > 0 {
		msgs := api.FormatMessages(result.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("%s:\n%s", entry, strings.Join(msgs, ""))
	}
	if len(result.OutputFiles) != 1 {
		return nil, fmt.Errorf("%s: expected one output file, got %d", entry, len(result.OutputFiles))
	}
	return result.OutputFiles[0].Contents, nil
}

// cssAsText lets JavaScript import a stylesheet as a minified string, which is how the widget
// puts its styles inside its shadow root.
var cssAsText = api.Plugin{
	Name: "css-as-text",
	Setup: func(b api.PluginBuild) {
		b.OnResolve(api.OnResolveOptions{Filter: `\.css$`}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
			if !strings.HasSuffix(args.Importer, ".js") {
				return api.OnResolveResult{}, nil
			}
			return api.OnResolveResult{Path: filepath.Join(args.ResolveDir, args.Path), Namespace: "css-text"}, nil
		})
		b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "css-text"}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
			src, err := os.ReadFile(args.Path)
			if err != nil {
				return api.OnLoadResult{}, err
			}
			min := api.Transform(string(src), api.TransformOptions{Loader: api.LoaderCSS, MinifyWhitespace: true, MinifySyntax: true})
			if len(min.Errors) > 0 {
				return api.OnLoadResult{}, fmt.Errorf("%s: %s", args.Path, min.Errors[0].Text)
			}
			text := strings.TrimSpace(string(min.Code))
			return api.OnLoadResult{Contents: &text, Loader: api.LoaderText}, nil
		})
	},
}

func hash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])[:10]
}

func compare(dist string, want map[string][]byte) error {
	var problems []string
	seen := map[string]bool{}
	err := filepath.WalkDir(dist, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dist, path)
		rel = filepath.ToSlash(rel)
		seen[rel] = true
		got, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if w, ok := want[rel]; !ok {
			problems = append(problems, "extra file "+rel)
		} else if !bytes.Equal(got, w) {
			problems = append(problems, "changed "+rel)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(want) {
		if !seen[name] {
			problems = append(problems, "missing "+name)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("web/dist is stale, run `go run ./tools/webbuild`: %s", strings.Join(problems, ", "))
	}
	fmt.Println("web/dist matches its sources")
	return nil
}

func report(files map[string][]byte) {
	var total int
	for _, name := range sortedKeys(files) {
		gz := gzipSize(files[name])
		if strings.HasPrefix(name, "widget") {
			total += gz
		}
		fmt.Printf("%-40s %7d bytes %6d gzipped\n", name, len(files[name]), gz)
	}
	fmt.Printf("%-40s %7s       %6d gzipped\n", "widget total", "", total)
}

func gzipSize(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
