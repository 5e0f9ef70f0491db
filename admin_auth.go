package main

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/internal/ratelimit"
)

// MinAdminTokenLen is the shortest server.admin_token accepted.
const MinAdminTokenLen = 32

// Failed admin logins allowed per client address: a burst, then one a minute.
const (
	adminFailBurst  = 10
	adminFailPerMin = 1
)

// adminGuard checks the admin bearer token. The comparison is of HMACs of
// both values under a random per-process key, in constant time, so neither
// the token's content nor its length leaks through timing. Failed attempts
// are logged with the client address and limited per address: after
// adminFailBurst failures the address gets 429 with Retry-After, without the
// token being checked, until a token is refilled. It is safe for concurrent use.
type adminGuard struct {
	name     string // "admin" or "metrics", in logs and errors
	want     []byte // HMAC of "Bearer " + token; nil when the admin API is off
	key      []byte
	failures *ratelimit.Keyed
	client   func(*http.Request) string
	log      *slog.Logger
}

// newAdminGuard returns the guard of token ("" disables the admin API).
// client gives a request's client address; now is the clock (nil: time.Now).
func newAdminGuard(token string, client func(*http.Request) string, log *slog.Logger, now func() time.Time) *adminGuard {
	return newTokenGuard("admin", token, client, log, now)
}

// newTokenGuard is newAdminGuard for another bearer-token route (name is
// "metrics" for /metrics with server.metrics_token).
func newTokenGuard(name, token string, client func(*http.Request) string, log *slog.Logger, now func() time.Time) *adminGuard {
	g := &adminGuard{name: name, key: make([]byte, 32), client: client, log: log}
	_, _ = rand.Read(g.key) // crypto/rand.Read never fails on supported platforms
	if token != "" {
		g.want = g.mac("Bearer " + token)
	}
	g.failures, _ = ratelimit.New(ratelimit.Options{Events: adminFailPerMin, Per: time.Minute, Burst: adminFailBurst, Now: now})
	return g
}

func (g *adminGuard) mac(s string) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// wrap lets a request through to next only with the admin bearer token.
func (g *adminGuard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.want == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "admin API disabled: set server.admin_token (or SWITCHBOARD_SERVER_ADMIN_TOKEN)"})
			return
		}
		client := g.client(r)
		if blocked, wait := g.failures.Blocked(client); blocked {
			g.log.Warn(g.name+": request refused: too many wrong tokens from this address", "client", client, "path", r.URL.Path)
			w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many wrong " + g.name + " tokens; retry later"})
			return
		}
		got := r.Header.Get("Authorization")
		if scheme, rest, ok := strings.Cut(got, " "); ok && strings.EqualFold(scheme, "Bearer") {
			got = "Bearer " + rest
		}
		if !hmac.Equal(g.mac(got), g.want) {
			g.failures.Allow(client)
			g.log.Warn(g.name+": wrong or missing token", "client", client, "path", r.URL.Path, "method", r.Method)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong " + g.name + " token (Authorization: Bearer <server." + g.name + "_token>)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
