package config

import (
	"os"
	"strings"
	"testing"
)

func TestREADMEConfigurationTableMatchesOptions(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const start, end = "<!-- config-table:start -->\n", "<!-- config-table:end -->"
	text := string(readme)
	i, j := strings.Index(text, start), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatal("README.md has no config-table markers")
	}
	if got, want := text[i+len(start):j], MarkdownTable(); got != want {
		t.Fatalf("README.md's configuration table is stale; it should read:\n%s", want)
	}
}
