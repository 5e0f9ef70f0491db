// Package ratelimit holds token-bucket limiters per key (a client address, a
// conversation) with bounded memory, on top of golang.org/x/time/rate.
//
// A Keyed limiter gives each key its own bucket of burst tokens refilled at
// a steady rate. Buckets of keys not seen for longer than a full refill are
// forgotten (they would be full again anyway), so memory follows the number
// of recently active keys; beyond Max keys the least recently used ones are
// forgotten first. The clock is injectable for tests.
package ratelimit

import (
	"container/list"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys bounds the keys a Keyed limiter remembers when Options.Max
// is zero.
const DefaultMaxKeys = 100_000

// Options configures a Keyed limiter.
type Options struct {
	// Events per Per refill one key's bucket; Burst is its size. Events
	// must be at least 1, Per and Burst positive.
	Events int
	Per    time.Duration
	Burst  int
	// Max is how many keys are remembered; the least recently used are
	// forgotten beyond it (they start again with a full bucket). Default
	// DefaultMaxKeys.
	Max int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Keyed is a set of token buckets, one per key. It is safe for concurrent use.
type Keyed struct {
	limit rate.Limit
	burst int
	max   int
	idle  time.Duration // a bucket idle this long is full again
	now   func() time.Time

	mu   sync.Mutex
	keys map[string]*list.Element
	lru  *list.List // of *bucket, most recently used first
}

type bucket struct {
	key     string
	lim     *rate.Limiter
	last    time.Time
	refused bool // the last event was refused: a spell of refusals is on
}

// New returns a Keyed limiter. It returns an error when o is invalid.
func New(o Options) (*Keyed, error) {
	if o.Events < 1 || o.Per <= 0 || o.Burst < 1 {
		return nil, fmt.Errorf("ratelimit: need events >= 1, a positive period and burst >= 1; got %d per %s, burst %d", o.Events, o.Per, o.Burst)
	}
	if o.Max <= 0 {
		o.Max = DefaultMaxKeys
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	perEvent := o.Per / time.Duration(o.Events)
	idle := time.Duration(math.Min(float64(perEvent)*float64(o.Burst), float64(365*24*time.Hour)))
	return &Keyed{
		limit: rate.Every(perEvent),
		burst: o.Burst,
		max:   o.Max,
		idle:  idle,
		now:   o.Now,
		keys:  make(map[string]*list.Element),
		lru:   list.New(),
	}, nil
}

// Allow takes one token from key's bucket. When the bucket is empty it
// returns false and how long until a token is available (at least one
// second, rounded up, fit for a Retry-After header).
func (k *Keyed) Allow(key string) (bool, time.Duration) {
	ok, wait, _ := k.allow(key)
	return ok, wait
}

// allow is Allow that also reports whether a refusal is the first since the
// key's last allowed event.
func (k *Keyed) allow(key string) (ok bool, wait time.Duration, first bool) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	b := k.get(key, now)
	r := b.lim.ReserveN(now, 1)
	if !r.OK() {
		first, b.refused = !b.refused, true
		return false, time.Second, first
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		first, b.refused = !b.refused, true
		return false, ceilSecond(d), first
	}
	b.refused = false
	return true, 0, false
}

// Conversations is a Keyed limiter for the inbound messages of each
// conversation; it implements core.InboundLimiter.
type Conversations struct{ k *Keyed }

// NewConversations returns a Conversations limiter (see New for o).
func NewConversations(o Options) (*Conversations, error) {
	k, err := New(o)
	if err != nil {
		return nil, err
	}
	return &Conversations{k: k}, nil
}

// Allow takes one message of the conversation key. When it refuses, it says
// how long until the next message is accepted and whether this is the first
// refusal since the conversation's last accepted message (the moment to tell
// the customer to slow down).
func (c *Conversations) Allow(key string) (ok bool, retryAfter time.Duration, note bool) {
	return c.k.allow(key)
}

// Blocked reports, without taking a token, whether key's bucket is empty,
// and how long until it holds one (rounded up to whole seconds). A key
// never seen is not blocked.
func (k *Keyed) Blocked(key string) (bool, time.Duration) {
	now := k.now()
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.keys[key]
	if !ok {
		return false, 0
	}
	lim := e.Value.(*bucket).lim
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	wait := time.Duration((1 - tokens) / float64(lim.Limit()) * float64(time.Second))
	return true, ceilSecond(wait)
}

// Len returns the number of keys remembered.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// get returns key's bucket, creating it and forgetting idle or least recently
// used buckets. The caller holds k.mu.
func (k *Keyed) get(key string, now time.Time) *bucket {
	if e, ok := k.keys[key]; ok {
		b := e.Value.(*bucket)
		b.last = now
		k.lru.MoveToFront(e)
		return b
	}
	// Forget buckets idle long enough to be full again, oldest first.
	for e := k.lru.Back(); e != nil; e = k.lru.Back() {
		b := e.Value.(*bucket)
		if now.Sub(b.last) < k.idle && len(k.keys) < k.max {
			break
		}
		k.lru.Remove(e)
		delete(k.keys, b.key)
	}
	b := &bucket{key: key, lim: rate.NewLimiter(k.limit, k.burst), last: now}
	b.lim.AllowN(now, 0) // start the bucket's clock at now, not at the zero time
	k.keys[key] = k.lru.PushFront(b)
	return b
}

// ceilSecond rounds d up to whole seconds, at least one.
func ceilSecond(d time.Duration) time.Duration {
	return max(time.Second, (d+time.Second-1)/time.Second*time.Second)
}

// RetryAfter formats d as the value of a Retry-After header: whole seconds,
// rounded up, at least 1.
func RetryAfter(d time.Duration) string {
	return fmt.Sprint(int64(ceilSecond(d) / time.Second))
}
