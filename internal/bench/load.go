package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// capShare is the share of an adapter's outbound limit the bench offers
// that platform, leaving room for the retries of 429s.
const capShare = 0.8

// loader sends the messages: Connections workers, each delivering one
// message at a time with the platform's timeout and retries.
type loader struct {
	o       Options
	drivers []driver
	caps    []*rate.Limiter // nil: uncapped
	tr      *tracker
	client  *http.Client
	samples []atomic.Pointer[sampled] // the first acknowledged message per driver

	free    []int // the drivers without a cap
	seq     atomic.Int64
	rr      atomic.Uint64
	rrFree  atomic.Uint64
	perDrv  []atomic.Int64 // messages prepared per driver
	sent    atomic.Int64
	acked   atomic.Int64
	failed  atomic.Int64
	started time.Time
}

func newLoader(o Options, drivers []driver, caps map[string]rate.Limit, tr *tracker) *loader {
	l := &loader{o: o, drivers: drivers, tr: tr, started: time.Now(),
		caps:    make([]*rate.Limiter, len(drivers)),
		samples: make([]atomic.Pointer[sampled], len(drivers)),
		perDrv:  make([]atomic.Int64, len(drivers)),
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConns: o.Connections * 2, MaxIdleConnsPerHost: o.Connections * 2, IdleConnTimeout: time.Minute,
		}},
	}
	for i, d := range drivers {
		if c, ok := caps[d.name()]; ok && !o.Uncapped {
			l.caps[i] = rate.NewLimiter(c, 1)
		} else {
			l.free = append(l.free, i)
		}
	}
	return l
}

// run (called once, right after newLoader) sends messages until the duration or the message count is reached
// and every delivery in flight has finished; it returns how long that took.
func (l *loader) run(ctx context.Context) time.Duration {
	deadline := l.started.Add(l.o.Duration)
	var interval time.Duration
	if l.o.Rate > 0 {
		interval = time.Duration(float64(time.Second) / l.o.Rate)
	}
	var wg sync.WaitGroup
	for range l.o.Connections {
		wg.Go(func() {
			for ctx.Err() == nil {
				k := l.seq.Add(1) - 1
				if l.o.Messages > 0 && k >= int64(l.o.Messages) {
					return
				}
				start := time.Now()
				if interval > 0 {
					start = l.started.Add(time.Duration(k) * interval)
					if l.o.Messages <= 0 && !start.Before(deadline) {
						return
					}
					if !sleep(ctx, time.Until(start)) {
						return
					}
				} else if l.o.Messages <= 0 && !start.Before(deadline) {
					return
				}
				if !l.one(ctx, int(k), start) {
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(l.started)
}

// one picks a platform and delivers message k, due at start (when the
// bench is behind its rate, start is in the past: latency counts from it).
// It returns false when ctx ended.
func (l *loader) one(ctx context.Context, k int, start time.Time) bool {
	i, err := l.pick(ctx)
	if err != nil {
		return false
	}
	d := l.drivers[i]
	n := int(l.perDrv[i].Add(1) - 1)
	m, dl := d.prepare(n, l.o.Questions[k%len(l.o.Questions)])
	m.seq = k
	if l.o.Rate <= 0 {
		start = time.Now()
	}
	m.start = start
	l.tr.add(m, dl.uniqueConv)
	if dl.ref != "" {
		l.tr.addRef(m, dl.ref)
	}
	l.sent.Add(1)
	pol := d.policy()
	tries := 1
	if pol.retries {
		tries += l.o.Retries
	}
	for a := range tries {
		if a > 0 && !sleep(ctx, 100*time.Millisecond<<(a-1)) {
			break
		}
		actx, cancel := context.WithTimeout(ctx, pol.timeout)
		o := dl.try(actx, l.client, a)
		cancel()
		m.attempts++
		if o.passive != nil {
			l.tr.record(*o.passive)
		}
		if o.ok() {
			m.acked, m.ackAt = true, time.Now()
			if o.ref != "" {
				l.tr.addRef(m, o.ref)
			}
			l.acked.Add(1)
			l.samples[i].CompareAndSwap(nil, &sampled{m: m, d: dl})
			return true
		}
		if o.err != nil {
			m.lastErr = o.err.Error()
		} else {
			m.lastErr = fmt.Sprintf("status %d", o.status)
		}
	}
	l.failed.Add(1)
	return ctx.Err() == nil
}

// pick chooses the platform of the next message: the next in turn, unless
// its cap does not allow a message now; then the next in turn of the
// uncapped platforms, or, when every platform is capped, the capped one
// once its cap allows.
func (l *loader) pick(ctx context.Context) (int, error) {
	i := int(l.rr.Add(1) % uint64(len(l.drivers)))
	switch {
	case l.caps[i] == nil || l.caps[i].Allow():
		return i, nil
	case len(l.free) > 0:
		return l.free[l.rrFree.Add(1)%uint64(len(l.free))], nil
	}
	return i, l.caps[i].Wait(ctx)
}

// sample returns the first acknowledged message of driver i, waiting up to
// wait for one; nil when there is none.
func (l *loader) sample(ctx context.Context, i int, wait time.Duration) *sampled {
	deadline := time.Now().Add(wait)
	for {
		if s := l.samples[i].Load(); s != nil {
			return s
		}
		if !time.Now().Before(deadline) || !sleep(ctx, 20*time.Millisecond) {
			return nil
		}
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
