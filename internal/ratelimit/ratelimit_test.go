package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestKeyedBurstThenRate(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	k, err := New(Options{Events: 10, Per: 10 * time.Second, Burst: 5, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if ok, _ := k.Allow("a"); !ok {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	ok, wait := k.Allow("a")
	if ok || wait != time.Second {
		t.Fatalf("6th event: ok=%v wait=%s, want refused for 1s", ok, wait)
	}
	if ok, _ := k.Allow("b"); !ok {
		t.Fatal("another key is limited by a's bucket")
	}
	c.t = c.t.Add(time.Second)
	if ok, _ := k.Allow("a"); !ok {
		t.Fatal("refused after the refill")
	}
	if ok, _ := k.Allow("a"); ok {
		t.Fatal("two events after one refill")
	}
}

func TestKeyedRetryAfterRoundsUp(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	k, _ := New(Options{Events: 1, Per: 90 * time.Second, Burst: 1, Now: c.now})
	k.Allow("a")
	_, wait := k.Allow("a")
	if wait != 90*time.Second || RetryAfter(wait) != "90" {
		t.Fatalf("wait %s (%s)", wait, RetryAfter(wait))
	}
	if RetryAfter(1500*time.Millisecond) != "2" || RetryAfter(0) != "1" {
		t.Fatal("RetryAfter does not round up to at least 1")
	}
}

func TestKeyedBoundedMemory(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	k, _ := New(Options{Events: 1, Per: time.Second, Burst: 2, Max: 100, Now: c.now})
	for i := range 10_000 {
		k.Allow(fmt.Sprint(i))
	}
	if n := k.Len(); n != 100 {
		t.Fatalf("%d keys remembered, want 100", n)
	}
	// Idle buckets are forgotten once they would be full again.
	c.t = c.t.Add(3 * time.Second)
	k.Allow("new")
	if n := k.Len(); n != 1 {
		t.Fatalf("%d keys after the idle period, want 1", n)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{}, {Events: 1, Per: time.Second}, {Events: 1, Burst: 1}, {Per: time.Second, Burst: 1}} {
		if _, err := New(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestConversationsNoteOncePerSpell(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	conv, err := NewConversations(Options{Events: 1, Per: time.Second, Burst: 2, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	var notes []bool
	for range 5 {
		ok, _, note := conv.Allow("k")
		if !ok {
			notes = append(notes, note)
		}
	}
	if fmt.Sprint(notes) != "[true false false]" {
		t.Fatalf("notes %v, want one at the start of the spell", notes)
	}
	c.t = c.t.Add(time.Second)
	if ok, _, _ := conv.Allow("k"); !ok {
		t.Fatal("refused after the refill")
	}
	if _, _, note := conv.Allow("k"); !note {
		t.Fatal("a new spell after an accepted message gets no note")
	}
}

func TestKeyedBlockedDoesNotTakeTokens(t *testing.T) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	k, _ := New(Options{Events: 1, Per: 10 * time.Second, Burst: 2, Now: c.now})
	if b, _ := k.Blocked("a"); b {
		t.Fatal("unknown key blocked")
	}
	k.Allow("a")
	for range 5 {
		if b, _ := k.Blocked("a"); b {
			t.Fatal("blocked with a token left")
		}
	}
	k.Allow("a")
	b, wait := k.Blocked("a")
	if !b || wait != 10*time.Second {
		t.Fatalf("blocked %v wait %s, want blocked for 10s", b, wait)
	}
}
