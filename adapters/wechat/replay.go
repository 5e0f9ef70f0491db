package wechat

import (
	"crypto/sha256"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// DefaultMaxClockSkew is how far a push's timestamp may be from the
// gateway's clock, either way, when Config.MaxClockSkew is zero.
const DefaultMaxClockSkew = 5 * time.Minute

// MaxClockSkewLimit is the largest MaxClockSkew Validate accepts.
const MaxClockSkewLimit = 24 * time.Hour

// maxReplayEntries bounds the replay guard's memory (about 100 bytes per
// entry). Only requests with a valid signature are remembered, so only
// WeChat, or someone holding the token, can fill it; when it is full of
// unexpired entries new requests are refused with 503 (WeChat retries)
// rather than let a replay through.
const maxReplayEntries = 100_000

// maxNonceLen bounds the nonce WeChat sends (10 digits in practice).
const maxNonceLen = 64

// errReplayFull is returned by replayGuard.admit when the guard cannot
// remember one more request.
var errReplayFull = errors.New("replay guard is full")

// checkFresh checks the timestamp and nonce of a signed WeChat request: both
// must be present, the nonce short, and the timestamp a Unix time within skew
// of now. WeChat's signature covers only (token, timestamp, nonce), so
// without this window one signed URL would be valid forever. Errors wrap
// errUnauthorized.
func checkFresh(q url.Values, now time.Time, skew time.Duration) error {
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if ts == "" || nonce == "" {
		return unauthorized("timestamp and nonce are required")
	}
	if len(nonce) > maxNonceLen {
		return unauthorized("nonce is longer than %d characters", maxNonceLen)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return unauthorized("timestamp is not a number")
	}
	d := now.Sub(time.Unix(sec, 0))
	if d > skew || d < -skew {
		return unauthorized("timestamp is %s away from the server's clock (max_clock_skew %s); check both clocks",
			d.Round(time.Second), skew)
	}
	return nil
}

// replayGuard remembers each signed (timestamp, nonce, signature) it admits
// until its timestamp leaves the clock-skew window, together with a hash of
// what the signature was used for (the request body, or the echostr of a URL
// check). A second request with the same triple is admitted only for the
// same body: that is WeChat retrying a push it got no answer to (or an exact
// replay, which the message's dedupe key then stops). The same triple with
// another body, the way a captured URL is abused, is refused.
//
// It lives in memory, not in the store: the check and the insert must be one
// atomic step (core.Store's key-value records have no put-if-absent), and the
// records are short-lived. The cost is that a restart, or another replica,
// forgets the triples of the last few minutes; safe mode (encoding_aes_key)
// authenticates the body itself and is not affected. A replayGuard is safe
// for concurrent use.
type replayGuard struct {
	mu        sync.Mutex
	skew      time.Duration
	max       int
	seen      map[[sha256.Size]byte]replayEntry
	lastSweep time.Time
}

type replayEntry struct {
	body    [sha256.Size]byte
	expires time.Time
}

func newReplayGuard(skew time.Duration, max int) *replayGuard {
	return &replayGuard{skew: skew, max: max, seen: make(map[[sha256.Size]byte]replayEntry)}
}

// admit records the triple of q for body at now. It returns nil when the
// triple is new or was admitted before for the same body, an error wrapping
// errUnauthorized when it was used for another body, and errReplayFull when
// the guard holds max unexpired entries. Call it only after the signature
// and checkFresh passed.
func (g *replayGuard) admit(q url.Values, body []byte, now time.Time) error {
	ts := q.Get("timestamp")
	h := sha256.New()
	for _, s := range []string{ts, q.Get("nonce"), q.Get("signature")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	bodySum := sha256.Sum256(body)
	sec, _ := strconv.ParseInt(ts, 10, 64)                 // checked by checkFresh
	expires := time.Unix(sec, 0).Add(g.skew + time.Second) // checkFresh accepts ts+skew itself

	g.mu.Lock()
	defer g.mu.Unlock()
	if e, ok := g.seen[key]; ok && now.Before(e.expires) {
		if e.body != bodySum {
			return unauthorized("this signature (timestamp, nonce) was already used for another request")
		}
		return nil
	}
	if len(g.seen) >= g.max || now.Sub(g.lastSweep) > g.skew {
		g.sweep(now)
	}
	if len(g.seen) >= g.max {
		return errReplayFull
	}
	g.seen[key] = replayEntry{body: bodySum, expires: expires}
	return nil
}

// sweep drops expired entries. The caller holds g.mu.
func (g *replayGuard) sweep(now time.Time) {
	for k, e := range g.seen {
		if !now.Before(e.expires) {
			delete(g.seen, k)
		}
	}
	g.lastSweep = now
}

// len returns the number of entries held, expired or not.
func (g *replayGuard) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}
