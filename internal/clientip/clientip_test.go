package clientip

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestAddr(t *testing.T) {
	r, err := New([]string{"10.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client", "203.0.113.7:5555", nil, "203.0.113.7"},
		{"untrusted peer's XFF is ignored", "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"trusted proxy", "10.1.2.3:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"forged left entries ignored", "10.1.2.3:80", []string{"6.6.6.6, 198.51.100.9"}, "198.51.100.9"},
		{"chain of trusted proxies", "10.1.2.3:80", []string{"198.51.100.9, 10.9.9.9"}, "198.51.100.9"},
		{"several headers", "[::1]:80", []string{"6.6.6.6", "198.51.100.9"}, "198.51.100.9"},
		{"malformed entry stops at the last trusted hop", "10.1.2.3:80", []string{"198.51.100.9, junk"}, "10.1.2.3"},
		{"trusted proxy without XFF", "10.1.2.3:80", nil, "10.1.2.3"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:80", []string{"198.51.100.9"}, "198.51.100.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "/", nil)
			req.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			if got := r.Addr(req); got != tt.want {
				t.Errorf("Addr = %q, want %q", got, tt.want)
			}
		})
	}
	var none *Resolver
	req, _ := http.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.1.2.3:80"
	req.Header.Set("X-Forwarded-For", "1.1.1.1")
	if got := none.Addr(req); got != "10.1.2.3" {
		t.Errorf("nil resolver trusted XFF: %q", got)
	}
}

func TestNewRejectsGarbage(t *testing.T) {
	if _, err := New([]string{"10.0.0.0/8", "proxy.local"}); err == nil {
		t.Fatal("a host name was accepted as a trusted proxy")
	}
}

func FuzzAddr(f *testing.F) {
	f.Add("10.1.2.3:80", "1.2.3.4, 10.0.0.1")
	f.Add("[::1]:1", "::ffff:1.2.3.4,,, x")
	r, _ := New([]string{"10.0.0.0/8", "::1"})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		req, _ := http.NewRequest("GET", "/", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", xff)
		got := r.Addr(req)
		if got == remote {
			return
		}
		if _, err := netip.ParseAddr(got); err != nil {
			t.Fatalf("Addr(%q, %q) = %q, not an IP", remote, xff, got)
		}
	})
}
