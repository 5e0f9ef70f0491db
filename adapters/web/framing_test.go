package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestPageNotFramable: by default the page may not be framed by any site
// (clickjacking); a list of origins widens frame-ancestors.
func TestPageNotFramable(t *testing.T) {
	s := newStack(t, Config{})
	status, h, _ := s.do(t, http.MethodGet, "/", "", "", "")
	if status != 200 || h.Get("X-Frame-Options") != "DENY" || !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("status %d, X-Frame-Options %q, CSP %q", status, h.Get("X-Frame-Options"), h.Get("Content-Security-Policy"))
	}
	s = newStack(t, Config{FrameAncestors: []string{"https://shop.example", "bad; script-src *"}})
	_, h, _ = s.do(t, http.MethodGet, "/", "", "", "")
	csp := h.Get("Content-Security-Policy")
	if h.Get("X-Frame-Options") != "" || !strings.HasSuffix(csp, "; frame-ancestors https://shop.example") {
		t.Fatalf("X-Frame-Options %q, CSP %q", h.Get("X-Frame-Options"), csp)
	}
}
