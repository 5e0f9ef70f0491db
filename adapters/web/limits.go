package web

import (
	"net/http"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/internal/ratelimit"
)

// limits are the web chat's per-client limits: session creation (a token
// bucket per client address) and live event streams (per client address and
// in total). Per session the hub keeps at most MaxSubscribers streams.
type limits struct {
	sessions *ratelimit.Keyed

	mu        sync.Mutex
	perClient int
	total     int
	streams   map[string]int // live streams per client address
	live      int
}

func newLimits(cfg Config, now func() time.Time) *limits {
	sessions, err := ratelimit.New(ratelimit.Options{Events: cfg.SessionsPerMinute, Per: time.Minute,
		Burst: cfg.SessionBurst, Now: now})
	if err != nil {
		// withDefaults makes every value positive; keep a strict limit
		// rather than none should that ever change.
		sessions, _ = ratelimit.New(ratelimit.Options{Events: 1, Per: time.Minute, Burst: 1, Now: now})
	}
	return &limits{sessions: sessions, perClient: cfg.MaxStreamsPerClient, total: cfg.MaxStreams,
		streams: make(map[string]int)}
}

// streamRefusal says why a stream was not admitted.
type streamRefusal int

const (
	streamOK streamRefusal = iota
	streamClientFull
	streamServerFull
)

// openStream admits one more event stream of client, or says which cap it
// hit. A nil return of release means it was refused; otherwise the caller
// must call release once when the stream ends.
func (l *limits) openStream(client string) (release func(), why streamRefusal) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.live >= l.total:
		return nil, streamServerFull
	case l.streams[client] >= l.perClient:
		return nil, streamClientFull
	}
	l.live++
	l.streams[client]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.live--
			if l.streams[client]--; l.streams[client] <= 0 {
				delete(l.streams, client)
			}
		})
	}, streamOK
}

// liveStreams returns the number of open event streams.
func (l *limits) liveStreams() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.live
}

// tooMany writes 429 with Retry-After.
func tooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
	writeError(w, http.StatusTooManyRequests, msg)
}
