package web

import (
	"bytes"
	"compress/gzip"
	"image/color"
	"net/http"
	"os"
	"strings"
	"testing"
)

func gzipSize(t *testing.T, b []byte) int {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Len()
}

// TestFraming checks who may frame the page: nobody by default, exactly the
// allowed origins when web.allowed_origins is set.
func TestFraming(t *testing.T) {
	t.Run("default: nobody", func(t *testing.T) {
		s := newStack(t, Config{})
		_, h, _ := s.do(t, http.MethodGet, "/", "", "", "")
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP = %q, want frame-ancestors 'none'", csp)
		}
		if h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("X-Frame-Options = %q, want DENY", h.Get("X-Frame-Options"))
		}
	})
	t.Run("allowed origins", func(t *testing.T) {
		s := newStack(t, Config{Branding: Branding{AllowedOrigins: []string{"https://Shop.example", "http://localhost:3000/"}}})
		_, h, _ := s.do(t, http.MethodGet, "/?embed=1", "", "", "")
		if csp := h.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "frame-ancestors https://shop.example http://localhost:3000") {
			t.Errorf("CSP = %q", csp)
		}
		if h.Get("X-Frame-Options") != "" {
			t.Errorf("X-Frame-Options = %q; it cannot list origins and would block them", h.Get("X-Frame-Options"))
		}
	})
}

// TestCORS checks that only allowed origins get CORS headers and preflights.
func TestCORS(t *testing.T) {
	s := newStack(t, Config{Branding: Branding{AllowedOrigins: []string{"https://shop.example"}}})
	tok := s.newSession(t)
	for _, tc := range []struct {
		origin string
		allow  bool
	}{{"https://shop.example", true}, {"https://evil.example", false}} {
		req, _ := http.NewRequest(http.MethodOptions, s.srv.URL+"/api/web/messages", nil)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("Access-Control-Allow-Origin")
		if tc.allow && (resp.StatusCode != http.StatusNoContent || got != tc.origin ||
			!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization")) {
			t.Errorf("preflight from %s = %d, allow-origin %q", tc.origin, resp.StatusCode, got)
		}
		if !tc.allow && (resp.StatusCode != http.StatusForbidden || got != "") {
			t.Errorf("preflight from %s = %d, allow-origin %q; want 403 without CORS headers", tc.origin, resp.StatusCode, got)
		}

		req, _ = http.NewRequest(http.MethodGet, s.srv.URL+"/api/web/messages", nil)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err = s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); (got == tc.origin) != tc.allow || (!tc.allow && got != "") {
			t.Errorf("GET from %s: Access-Control-Allow-Origin = %q", tc.origin, got)
		}
	}
	// A method that is not allowed still gets 405, not a preflight answer.
	if status, h, _ := s.do(t, http.MethodDelete, "/api/web/messages", tok, "", ""); status != http.StatusMethodNotAllowed || h.Get("Allow") == "" {
		t.Errorf("DELETE = %d, Allow %q", status, h.Get("Allow"))
	}
}

func TestWidgetScript(t *testing.T) {
	s := newStack(t, Config{Branding: Branding{Title: `Acme </script><b>`, PrimaryColor: "#0f766e",
		Strings: map[string]map[string]string{"zh": {"open": "联系我们"}}}})
	status, h, body := s.do(t, http.MethodGet, "/widget.js", "", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /widget.js = %d", status)
	}
	js := string(body)
	for name, ok := range map[string]bool{
		"javascript type":       strings.HasPrefix(h.Get("Content-Type"), "text/javascript"),
		"loadable cross-origin": h.Get("Cross-Origin-Resource-Policy") == "cross-origin",
		"nosniff":               h.Get("X-Content-Type-Options") == "nosniff",
		"cacheable":             strings.Contains(h.Get("Cache-Control"), "max-age="),
		"config filled in":      !strings.Contains(js, widgetPlaceholder) && strings.Contains(js, `"color":"#0f766e"`),
		"owner's strings":       strings.Contains(js, `"open":"联系我们"`),
		"title escaped":         !strings.Contains(js, "Acme </script>") && strings.Contains(js, `Acme \u003c/script\u003e`),
		"no external resources": !strings.Contains(js, "//cdn") && !strings.Contains(js, "import "),
		"no innerHTML":          !strings.Contains(js, "innerHTML"),
	} {
		if !ok {
			t.Errorf("widget.js check failed: %s", name)
		}
	}
	if n := gzipSize(t, body); n >= 15<<10 {
		t.Errorf("widget.js is %d bytes gzipped, want < 15 KiB", n)
	}
}

func TestAvatarFile(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/bot.png"
	if err := os.WriteFile(p, testPNG(t, color.RGBA{1, 2, 3, 255}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, Config{Branding: Branding{AvatarFile: p}})
	status, h, body := s.do(t, http.MethodGet, "/web/avatar", "", "", "")
	if status != http.StatusOK || h.Get("Content-Type") != "image/png" || !bytes.HasPrefix(body, []byte("\x89PNG")) {
		t.Fatalf("GET /web/avatar = %d %s", status, h.Get("Content-Type"))
	}
	_, _, page := s.do(t, http.MethodGet, "/", "", "", "")
	if !strings.Contains(string(page), `"avatar":"web/avatar"`) {
		t.Error("the page does not use the avatar file")
	}
	if status, _, _ := newStack(t, Config{}).do(t, http.MethodGet, "/web/avatar", "", "", ""); status != http.StatusNotFound {
		t.Errorf("GET /web/avatar without one = %d, want 404", status)
	}
}
