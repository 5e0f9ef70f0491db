package bench

import (
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

// slowEdge sits in front of a fake platform API for --slow-platform: every
// send (isSend) is delayed by latency, and a fraction rate of them is
// answered 429 with Retry-After. inject arranges that 429: through the
// fake's own failure control (which then answers this call in the
// platform's exact shape) or by writing it itself, in which case it returns
// true. It is safe for concurrent use.
type slowEdge struct {
	rate    float64
	latency time.Duration
	isSend  func(r *http.Request) bool
	inject  func(w http.ResponseWriter, r *http.Request) (written bool)
	next    http.Handler

	sends    atomic.Int64
	injected atomic.Int64
}

// newSlowEdge returns nil when o does not ask for a slow platform, so that
// the fake is served directly.
func newSlowEdge(o Options, isSend func(*http.Request) bool, inject func(http.ResponseWriter, *http.Request) bool) *slowEdge {
	if !o.SlowPlatform {
		return nil
	}
	return &slowEdge{rate: o.SlowRate, latency: o.SlowLatency, isSend: isSend, inject: inject}
}

func (e *slowEdge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if e.isSend(r) {
		e.sends.Add(1)
		if e.latency > 0 {
			t := time.NewTimer(e.latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if rand.Float64() < e.rate {
			e.injected.Add(1)
			if e.inject(w, r) {
				return
			}
		}
	}
	e.next.ServeHTTP(w, r)
}

// stats returns the sends seen and the 429s injected; zero for a nil edge.
func (e *slowEdge) stats() (sends, injected int64) {
	if e == nil {
		return 0, 0
	}
	return e.sends.Load(), e.injected.Load()
}

// proxyTo returns a reverse proxy to a fake that runs its own server (the
// Slack and WeChat fakes do not expose their handlers).
func proxyTo(base string) (http.Handler, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return p, nil
}

// write429 answers 429 with a Retry-After of one second, as a proxy or load
// balancer in front of a platform does.
func write429(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	http.Error(w, "429 Too Many Requests", http.StatusTooManyRequests)
}
