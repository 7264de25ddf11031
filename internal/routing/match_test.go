package routing

import "testing"

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern, url string
		want         bool
	}{
		{"/cars/*", "https://shop.example/cars/1", true},
		{"/cars/*", "https://shop.example/cars/", true},
		{"/cars/*", "https://shop.example/boats/2", false},
		{"/cars/*", "https://shop.example/used/cars/1", false},
		{"/cars/*", "https://shop.example/cars/1?color=red", true},
		{"/", "https://shop.example", true},
		{"/", "https://shop.example/", true},
		{"*/cars/*", "https://shop.example/cars/1", true},
		{"*/cars/*", "https://shop.example/used/cars/1", true},
		{"*/cars/*", "https://shop.example/boats/1", false},
		{"https://shop.example/cars/*", "https://shop.example/cars/9", true},
		{"https://shop.example/cars/*", "http://shop.example/cars/9", false},
		{"https://shop.example/cars/*", "https://other.example/cars/9", false},
		{"HTTPS://Shop.Example/Cars/*", "https://shop.example/cars/9", true},
		{"shop.example/*", "http://shop.example/a", true},
		{"shop.example/*", "https://shop.example/", true},
		{"shop.example/*", "https://evil.example/shop.example/", false},
		{"*.shop.example/*", "https://de.shop.example/x", true},
		{"*", "https://anything.example/", true},
		{"https://shop.example/cars", "https://shop.example/cars/1", false},
		{"*a*a*a*a*a*b", "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	}
	for _, c := range cases {
		if got := Match(c.pattern, c.url); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.pattern, c.url, got, c.want)
		}
	}
}
