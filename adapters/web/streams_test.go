package web

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// TestStreamLimits: one client cannot hold more than MaxStreamsPerClient
// event streams (429 with Retry-After), the server not more than MaxStreams
// (503), one session not more than MaxSubscribers (the oldest is closed), and
// a closed stream frees its slot.
func TestStreamLimits(t *testing.T) {
	s := newStack(t, Config{MaxSubscribers: 3, MaxStreamsPerClient: 4, MaxStreams: 5,
		ClientAddr: func(*http.Request) string { return "198.51.100.7" }})
	a, b := s.newSession(t), s.newSession(t)

	first := s.openEvents(t, a)
	for range 2 {
		s.openEvents(t, a)
	}
	// A fourth stream of session a closes its oldest.
	s.openEvents(t, a)
	waitClosed(t, first)
	// The client now holds 3 streams: one more is allowed, then 429.
	s.openEvents(t, b)
	status, h, body := s.do(t, http.MethodGet, "/api/web/events", b, "", "")
	if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("5th stream of one client: %d %s (Retry-After %q), want 429", status, body, h.Get("Retry-After"))
	}
	if n := s.a.limits.liveStreams(); n != 4 {
		t.Fatalf("%d live streams, want 4", n)
	}
}

func TestStreamLimitTotal(t *testing.T) {
	var n atomic.Int32
	s := newStack(t, Config{MaxStreamsPerClient: 100, MaxStreams: 3,
		ClientAddr: func(*http.Request) string { return fmt.Sprint("client", n.Add(1)) }})
	for range 3 {
		s.openEvents(t, s.newSession(t))
	}
	status, h, body := s.do(t, http.MethodGet, "/api/web/events", s.newSession(t), "", "")
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Fatalf("stream over the total: %d %s, want 503 with Retry-After", status, body)
	}
}

// TestStreamMaxLife: a stream ends after StreamMaxLife (EventSource then
// reconnects) and frees its slot.
func TestStreamMaxLife(t *testing.T) {
	s := newStack(t, Config{StreamMaxLife: 200 * time.Millisecond, Heartbeat: 50 * time.Millisecond})
	ev := s.openEvents(t, s.newSession(t))
	waitClosed(t, ev)
	deadline := time.Now().Add(2 * time.Second)
	for s.a.limits.liveStreams() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the ended stream still holds its slot")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitClosed waits until an event stream's channel is closed.
func waitClosed(t *testing.T, ch <-chan sseEvent) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, open := <-ch:
			if !open {
				return
			}
		case <-timeout:
			t.Fatal("event stream still open")
		}
	}
}
