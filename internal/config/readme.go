package config

import (
	"fmt"
	"strings"
)

// MarkdownTable is the README's configuration table, made from Options() so the two cannot
// drift apart (a test compares them).
func MarkdownTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n| --- | --- | --- | --- |\n")
	for _, o := range Options() {
		def := ""
		if o.Default != "" {
			def = "`" + o.Default + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", o.Flag, o.Env, def, o.Usage)
	}
	return b.String()
}
