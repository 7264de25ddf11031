package config

import (
	"io"
	"strings"
	"testing"
)

func TestMailFrom(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
		err  string
	}{
		{nil, nil, "Portico <portico@127.0.0.1>", ""},
		{[]string{"--public-url", "https://chat.example.com:8443/"}, nil, "Portico <portico@chat.example.com>", ""},
		{nil, map[string]string{"PORTICO_MAIL_FROM": "Help Desk <help@shop.example>"}, "Help Desk <help@shop.example>", ""},
		{[]string{"--mail-from", "help@shop.example"}, map[string]string{"PORTICO_MAIL_FROM": "x@y.example"}, "help@shop.example", ""},
		{[]string{"--mail-from", "not an address"}, nil, "", "--mail-from"},
	} {
		cfg, err := Parse("serve", c.args, env(c.env), io.Discard)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: err = %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || cfg.MailFrom != c.want {
			t.Errorf("%v %v: MailFrom = %q, %v; want %q", c.args, c.env, cfg.MailFrom, err, c.want)
		}
	}
	if got := DefaultMailFrom("::1"); got != "Portico <portico@[::1]>" {
		t.Errorf("IPv6 host: %q", got)
	}
}
