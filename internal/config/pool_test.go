package config

import (
	"io"
	"strings"
	"testing"
)

func TestDatabasePool(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		args []string
		env  map[string]string
		want int
		err  string
	}{
		{nil, nil, DefaultDatabasePool(), ""},
		{[]string{"--database-pool", "0"}, nil, DefaultDatabasePool(), ""},
		{[]string{"--database-pool", "4"}, nil, 4, ""},
		{nil, map[string]string{"PORTICO_DATABASE_POOL": "16"}, 16, ""},
		{[]string{"--database-pool", "-1"}, nil, 0, "--database-pool"},
		{[]string{"--database-pool", "many"}, nil, 0, "--database-pool"},
		{[]string{"--database-pool", "5000"}, nil, 0, "--database-pool"},
	} {
		cfg, err := Parse("serve", c.args, env(c.env), io.Discard)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: err = %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || cfg.DatabasePool != c.want {
			t.Errorf("%v %v: pool %v, %v; want %d", c.args, c.env, cfg, err, c.want)
		}
	}
}
