package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

func testDedupe(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	k := convKey(1)
	future := o.now().Add(time.Hour)

	st, seen := load(t, s, k, "slack:Ev1")
	if seen {
		t.Fatal("fresh store: dedupe key reported as seen")
	}
	equal(t, "fresh state", st, core.State{})

	commit(t, s, core.Commit{Key: k, Dedupe: dedupe(future, "slack:Ev1", "slack:C1/1.0001")})

	for _, tc := range []struct {
		keys []string
		want bool
	}{
		{[]string{"slack:Ev1"}, true},
		{[]string{"other", "slack:C1/1.0001"}, true},
		{[]string{"slack:Ev2"}, false},
		{nil, false},
	} {
		if _, seen := load(t, s, k, tc.keys...); seen != tc.want {
			t.Errorf("Load(%q): seen = %v, want %v", tc.keys, seen, tc.want)
		}
		// Dedupe keys are global, not per conversation.
		if _, seen := load(t, s, convKey(2), tc.keys...); seen != tc.want {
			t.Errorf("Load(other conversation, %q): seen = %v, want %v", tc.keys, seen, tc.want)
		}
	}

	// Any overlapping key makes the whole commit a duplicate.
	for _, keys := range [][]string{
		{"slack:Ev1"},
		{"new-a", "slack:C1/1.0001"},
		{"slack:C1/1.0001", "new-b"},
	} {
		err := s.Commit(ctx, core.Commit{Key: convKey(3), Dedupe: dedupe(future, keys...)})
		mustIs(t, err, core.ErrDuplicate, fmt.Sprintf("commit of %q", keys))
	}
	if _, seen := load(t, s, k, "new-a"); seen {
		t.Error("key of a commit that failed with ErrDuplicate was recorded")
	}
	if _, seen := load(t, s, k, "new-b"); seen {
		t.Error("key of a commit that failed with ErrDuplicate was recorded")
	}

	// A commit without dedupe keys is never a duplicate.
	commit(t, s, core.Commit{Key: k})
	commit(t, s, core.Commit{Key: k})
}

// testDedupeConcurrent: 50 goroutines commit the same key at once; exactly
// one wins and only its writes exist.
func testDedupeConcurrent(t *testing.T, o *opener) {
	s := o.store(t)
	const n = 50
	future := o.now().Add(time.Hour)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			k := convKey(100 + i)
			errs[i] = s.Commit(t.Context(), core.Commit{
				Key:       k,
				Dedupe:    dedupe(future, "telegram:update:42", fmt.Sprintf("own-%d", i)),
				SaveState: true,
				State:     core.State{Turns: 1},
				Turns:     []core.Turn{turn(fmt.Sprintf("t%d", i), 0)},
				Outbox:    []core.OutboxEntry{entry(k, fmt.Sprintf("r%d", i))},
				Counters:  map[string]int64{"race": 1},
			})
		})
	}
	close(start)
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("commits %d and %d both succeeded with the same dedupe key", winner, i)
			}
			winner = i
		case !errors.Is(err, core.ErrDuplicate):
			t.Fatalf("commit %d: got %v, want nil or ErrDuplicate", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no commit succeeded")
	}
	equal(t, "counters", counters(t, s), map[string]int64{"race": 1})
	if n := outboxLen(t, s); n != 1 {
		t.Errorf("outbox holds %d entries, want 1", n)
	}
	for i := range n {
		st, seen := load(t, s, convKey(100+i), fmt.Sprintf("own-%d", i))
		if want := i == winner; seen != want || (st.Revision == 1) != want {
			t.Errorf("conversation %d (winner %d): own key seen=%v, revision %d", i, winner, seen, st.Revision)
		}
	}
}

// testDedupeExpiry: expired keys are not seen, may be committed again, and
// ExpireDedupe deletes them in batches of at most batch.
func testDedupeExpiry(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	now := o.now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	k := convKey(1)

	const old = 25
	for i := 0; i < old; i += 5 {
		var keys []string
		for j := i; j < i+5; j++ {
			keys = append(keys, fmt.Sprintf("old-%d", j))
		}
		commit(t, s, core.Commit{Key: k, Dedupe: dedupe(past, keys...)})
	}
	commit(t, s, core.Commit{Key: k, Dedupe: dedupe(future, "live-0", "live-1", "live-2")})

	if _, seen := load(t, s, k, "old-3"); seen {
		t.Error("expired key reported as seen")
	}
	// An expired key that was not deleted yet may be committed again.
	commit(t, s, core.Commit{Key: k, Dedupe: dedupe(future, "old-7")})
	if _, seen := load(t, s, k, "old-7"); !seen {
		t.Error("re-committed key old-7 not seen")
	}

	const batch = 10
	total, calls := 0, 0
	for {
		n, err := s.ExpireDedupe(ctx, now, batch)
		must(t, err, "expire dedupe")
		if n < 0 || n > batch {
			t.Fatalf("ExpireDedupe returned %d, want 0..%d", n, batch)
		}
		if n == 0 {
			break
		}
		total += n
		if calls++; calls > old {
			t.Fatal("ExpireDedupe does not converge to 0")
		}
	}
	if total != old-1 {
		t.Errorf("ExpireDedupe deleted %d keys, want %d (old-7 was re-committed with a later expiry)", total, old-1)
	}
	if calls < (old-1+batch-1)/batch {
		t.Errorf("ExpireDedupe needed only %d calls for %d keys with batch %d", calls, total, batch)
	}
	for i := range old {
		key := fmt.Sprintf("old-%d", i)
		if _, seen := load(t, s, k, key); seen != (i == 7) {
			t.Errorf("after expiry: %s seen = %v", key, seen)
		}
	}
	if _, seen := load(t, s, k, "live-1"); !seen {
		t.Error("live key lost by ExpireDedupe")
	}
	// A deleted key can be used again.
	commit(t, s, core.Commit{Key: k, Dedupe: dedupe(future, "old-1")})
	if _, seen := load(t, s, k, "old-1"); !seen {
		t.Error("key committed after expiry not seen")
	}
	mustIs(t, s.Commit(ctx, core.Commit{Key: k, Dedupe: dedupe(future, "old-7")}), core.ErrDuplicate,
		"re-committed key survives ExpireDedupe")

	// Expiry is judged by the store's clock, whatever the machine's date:
	// a key live for an hour is seen for 59 minutes, then no longer.
	commit(t, s, core.Commit{Key: k, Dedupe: dedupe(o.now().Add(time.Hour), "clock-1")})
	o.clock.Add(59 * time.Minute)
	if _, seen := load(t, s, k, "clock-1"); !seen {
		t.Error("key with an hour to live not seen 59 minutes later (store reads another clock?)")
	}
	mustIs(t, s.Commit(ctx, core.Commit{Key: k, Dedupe: dedupe(o.now().Add(time.Hour), "clock-1")}), core.ErrDuplicate,
		"commit of a live key by the store's clock")
	o.clock.Add(2 * time.Minute)
	if _, seen := load(t, s, k, "clock-1"); seen {
		t.Error("key seen after its expiry by the store's clock")
	}
	n, err := s.ExpireDedupe(ctx, o.now(), 100)
	must(t, err, "expire dedupe by the store's clock")
	if n < 1 {
		t.Errorf("ExpireDedupe at the store's clock deleted %d keys, want at least clock-1", n)
	}
}
