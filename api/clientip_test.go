package api

import (
	"net/netip"
	"testing"
)

func TestResolveClientIP(t *testing.T) {
	t.Parallel()
	lb := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxy trusted: the peer, whatever the header says", "203.0.113.9:4000", []string{"1.2.3.4"}, nil, "203.0.113.9"},
		{"untrusted peer cannot choose its address", "203.0.113.9:4000", []string{"1.2.3.4"}, lb, "203.0.113.9"},
		{"behind the load balancer: the client it saw", "10.0.0.5:4000", []string{"198.51.100.7"}, lb, "198.51.100.7"},
		{"a forged left part is ignored", "10.0.0.5:4000", []string{"1.2.3.4, 198.51.100.7"}, lb, "198.51.100.7"},
		{"chains of trusted proxies are walked", "10.0.0.5:4000", []string{"198.51.100.7, 10.1.1.1", "10.2.2.2"}, lb, "198.51.100.7"},
		{"no header: the proxy itself", "10.0.0.5:4000", nil, lb, "10.0.0.5"},
		{"malformed chain: the peer", "10.0.0.5:4000", []string{"not-an-ip"}, lb, "10.0.0.5"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, nil, "2001:db8::1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := resolveClientIP(c.remote, c.xff, c.trusted); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
}
