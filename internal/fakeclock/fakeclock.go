// Package fakeclock is a settable clock for tests. Production code takes the
// current time from a func() time.Time (time.Now by default); tests pass
// (*Clock).Now instead, so that expiry, timeouts and reminders are decided
// against a time the test controls and never against the machine's date.
package fakeclock

import (
	"sync"
	"time"
)

// Clock is a time that moves only when told to. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New returns a clock that reads t until it is moved.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time; use the method value c.Now wherever a
// func() time.Time is expected.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d (backward if d is negative).
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Bases returns the times tests run at to prove they do not depend on
// today's date: years in the past (a leap day, a minute before midnight), a
// recent fixed date and years in the future (an hour before a new year).
func Bases() []time.Time {
	return []time.Time{
		time.Date(2020, 2, 29, 23, 59, 30, 0, time.UTC),
		time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC),
		time.Date(2035, 12, 31, 23, 0, 0, 0, time.UTC),
	}
}
