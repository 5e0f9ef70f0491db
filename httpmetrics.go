package main

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// countRequests wraps h and counts the requests of the platform routes
// (/webhooks/<platform>…, /api/web/…) by route and status code in
// switchboard_http_requests_total, so rejected requests (401 bad signature,
// 400 bad body, 413 too large) show up in /metrics per platform.
func countRequests(h http.Handler, reg prometheus.Registerer) http.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_http_requests_total",
		Help: "Requests to the platform routes, by route and HTTP status (4xx = rejected).",
	}, []string{"route", "code"})
	reg.MustRegister(requests)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := platformRoute(r.URL.Path)
		if route == "" {
			h.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	})
}

// platformRoute names the counted route of path ("/webhooks/slack",
// "/api/web"), or "" for other paths. Unknown platforms share one label so
// that scanners cannot create series at will.
func platformRoute(path string) string {
	switch {
	case strings.HasPrefix(path, "/webhooks/"):
		p := strings.SplitN(strings.TrimPrefix(path, "/webhooks/"), "/", 2)[0]
		switch p {
		case "slack", "telegram", "discord", "wechat":
			return "/webhooks/" + p
		}
		return "/webhooks/other"
	case strings.HasPrefix(path, "/api/web/"):
		return "/api/web"
	}
	return ""
}

// statusWriter remembers the status code written. It passes Flush through
// for the web chat's event stream.
type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader {
		s.code, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
