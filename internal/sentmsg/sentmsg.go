// Package sentmsg remembers, for a while and in memory, which platform
// message a reply became, so that an adapter can edit it later (an agent
// corrected it). It is bounded: the oldest entries go first, and entries
// older than the retention are not returned. After a restart nothing is
// remembered and adapters fall back to sending a correction as a new
// message.
package sentmsg

import (
	"sync"
	"time"
)

// Registry maps reply ids to platform message references. The zero value
// is not usable; use New. It is safe for concurrent use.
type Registry struct {
	mu     sync.Mutex
	max    int
	keep   time.Duration
	now    func() time.Time
	refs   map[string]entry
	order  []string // insertion order, for eviction
	cursor int      // index of the oldest live entry in order
}

type entry struct {
	ref string
	at  time.Time
}

// New returns a registry of at most max entries, each kept for keep,
// judged by now (nil: time.Now).
func New(max int, keep time.Duration, now func() time.Time) *Registry {
	if now == nil {
		now = time.Now
	}
	return &Registry{max: max, keep: keep, now: now, refs: make(map[string]entry)}
}

// Put remembers that reply became the platform message ref.
func (r *Registry) Put(reply, ref string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.refs[reply]; !ok {
		r.order = append(r.order, reply)
	}
	r.refs[reply] = entry{ref: ref, at: r.now()}
	for len(r.refs) > r.max && r.cursor < len(r.order) {
		delete(r.refs, r.order[r.cursor])
		r.cursor++
	}
	if r.cursor > len(r.order)/2 {
		r.order = append([]string(nil), r.order[r.cursor:]...)
		r.cursor = 0
	}
}

// Get returns the platform message of reply, and false when it is not
// known or older than the retention.
func (r *Registry) Get(reply string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.refs[reply]
	if !ok || r.now().Sub(e.at) > r.keep {
		return "", false
	}
	return e.ref, true
}
