package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

func testStateRevision(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	k := convKey(1)

	want := fullState()
	commit(t, s, core.Commit{Key: k, SaveState: true, State: want})
	got, _ := load(t, s, k)
	want.Revision = 1
	equal(t, "state after first commit", normState(got), want)

	for _, rev := range []uint64{0, 2, 7} {
		stale := fullState()
		stale.Revision = rev
		stale.UserName = "stale"
		mustIs(t, s.Commit(ctx, core.Commit{Key: k, SaveState: true, State: stale}), core.ErrConflict,
			fmt.Sprintf("commit based on revision %d while stored is 1", rev))
	}
	got, _ = load(t, s, k)
	equal(t, "state after conflicts", normState(got), want)

	next := got.Clone()
	next.UserName, next.Handoff, next.Slots = "Bob", nil, nil
	commit(t, s, core.Commit{Key: k, SaveState: true, State: next})
	got, _ = load(t, s, k)
	next.Revision = 2
	equal(t, "state after second commit", normState(got), normState(next))

	// Without SaveState the state and its revision are left alone, whatever
	// revision the commit carries.
	commit(t, s, core.Commit{Key: k, State: core.State{Revision: 99, UserName: "ignored"},
		Turns: []core.Turn{turn("x", 0)}})
	got, _ = load(t, s, k)
	equal(t, "state after commit without SaveState", normState(got), normState(next))

	// Conversations are independent.
	other, _ := load(t, s, convKey(2))
	equal(t, "other conversation", other, core.State{})
	commit(t, s, core.Commit{Key: convKey(2), SaveState: true, State: core.State{UserName: "Eve"}})
	other, _ = load(t, s, convKey(2))
	equal(t, "other conversation after commit", other, core.State{Revision: 1, UserName: "Eve"})
}

// testStateConcurrentCAS: goroutines doing load-modify-commit on one
// conversation, retrying on ErrConflict, lose no update.
func testStateConcurrentCAS(t *testing.T, o *opener) {
	s := o.store(t)
	k := convKey(1)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			for attempt := 0; ; attempt++ {
				st, _, err := s.Load(t.Context(), k, nil)
				if err != nil {
					errs <- err
					return
				}
				st.Turns++
				err = s.Commit(t.Context(), core.Commit{Key: k, SaveState: true, State: st,
					Counters: map[string]int64{"cas": 1}})
				if err == nil {
					return
				}
				if !errors.Is(err, core.ErrConflict) || attempt > 10*n {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("load-modify-commit: %v", err)
	}
	st, _ := load(t, s, k)
	if st.Turns != n || st.Revision != n {
		t.Errorf("after %d increments: Turns %d, Revision %d", n, st.Turns, st.Revision)
	}
	equal(t, "counters", counters(t, s), map[string]int64{"cas": n})
}

// testFailedCommitWritesNothing: a commit that fails leaves no trace of any
// of its parts.
func testFailedCommitWritesNothing(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	k := convKey(1)
	future := o.now().Add(time.Hour)
	commit(t, s, core.Commit{Key: k, Dedupe: dedupe(future, "taken"), SaveState: true, State: fullState()})
	before, _ := load(t, s, k)

	full := func(state core.State, keys ...string) core.Commit {
		return core.Commit{
			Key: k, Dedupe: dedupe(future, keys...), SaveState: true, State: state,
			Turns:    []core.Turn{turn("lost-turn", 0)},
			Outbox:   []core.OutboxEntry{entry(k, "lost-reply")},
			Counters: map[string]int64{"lost": 1},
		}
	}
	stale := before
	stale.Revision = 0
	for _, tc := range []struct {
		name string
		c    core.Commit
		want error
	}{
		{"duplicate", full(before, "fresh-1", "taken"), core.ErrDuplicate},
		{"conflict", full(stale, "fresh-2"), core.ErrConflict},
	} {
		mustIs(t, s.Commit(ctx, tc.c), tc.want, tc.name)
		for _, key := range []string{"fresh-1", "fresh-2"} {
			if _, seen := load(t, s, k, key); seen {
				t.Errorf("%s: dedupe key %s recorded", tc.name, key)
			}
		}
		after, _ := load(t, s, k)
		equal(t, tc.name+": state", normState(after), normState(before))
		if ts := transcript(t, s, k, 10); len(ts) != 0 {
			t.Errorf("%s: transcript has %d turns", tc.name, len(ts))
		}
		if n := outboxLen(t, s); n != 0 {
			t.Errorf("%s: outbox has %d entries", tc.name, n)
		}
		equal(t, tc.name+": counters", len(counters(t, s)), 0)
	}
}

func testTranscript(t *testing.T, o *opener) {
	s := o.store(t)
	k := convKey(1)
	var want []core.Turn
	for c := range 3 {
		turns := []core.Turn{turn(fmt.Sprintf("t%d", 2*c), 2*c), turn(fmt.Sprintf("t%d", 2*c+1), 2*c+1)}
		want = append(want, turns...)
		commit(t, s, core.Commit{Key: k, Turns: turns})
	}
	commit(t, s, core.Commit{Key: convKey(2), Turns: []core.Turn{turn("other", 9)}})

	for _, tc := range []struct {
		limit int
		want  []core.Turn
	}{
		{100, want},
		{6, want},
		{4, want[2:]},
		{1, want[5:]},
	} {
		equal(t, fmt.Sprintf("Transcript(limit %d)", tc.limit), normTurns(transcript(t, s, k, tc.limit)), tc.want)
	}
	if got := transcript(t, s, k, 0); len(got) != 0 {
		t.Errorf("Transcript(limit 0) returned %d turns", len(got))
	}
	if got := transcript(t, s, convKey(99), 10); len(got) != 0 {
		t.Errorf("unknown conversation: %d turns", len(got))
	}
	equal(t, "other conversation", turnIDs(transcript(t, s, convKey(2), 10)), []string{"other"})
}

// testTranscriptTrimming: whatever a store keeps of a long conversation is
// its most recent turns, in order, at least 50 of them.
func testTranscriptTrimming(t *testing.T, o *opener) {
	s := o.store(t)
	k := convKey(1)
	const total = 400
	var all []string
	for c := range total / 10 {
		var turns []core.Turn
		for i := range 10 {
			id := fmt.Sprintf("t%03d", c*10+i)
			all = append(all, id)
			turns = append(turns, turn(id, c*10+i))
		}
		commit(t, s, core.Commit{Key: k, Turns: turns})
	}
	kept := turnIDs(transcript(t, s, k, 2*total))
	if len(kept) < 50 || len(kept) > total {
		t.Fatalf("kept %d of %d turns, want 50..%d", len(kept), total, total)
	}
	equal(t, "kept turns are the most recent, in order", kept, all[total-len(kept):])
	equal(t, "Transcript(limit 5)", turnIDs(transcript(t, s, k, 5)), all[total-5:])
}

func testCounters(t *testing.T, o *opener) {
	s := o.store(t)
	if c := counters(t, s); len(c) != 0 {
		t.Fatalf("fresh store has counters %v", c)
	}
	for _, add := range []map[string]int64{
		{"messages": 1, "intent:greet": 2},
		{"messages": 3, "handoffs": -1},
		nil,
		{"messages": 1000000000000},
	} {
		commit(t, s, core.Commit{Key: convKey(1), Counters: add})
	}
	equal(t, "counters", counters(t, s), map[string]int64{
		"messages": 1000000000004, "intent:greet": 2, "handoffs": -1,
	})
}

// testConcurrentWriters: 64 goroutines × 50 commits on their own
// conversations; every write is there afterwards and the counters are exact.
func testConcurrentWriters(t *testing.T, o *opener) {
	s := o.store(t)
	const writers, commits = 64, 50
	future := o.now().Add(time.Hour)
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Go(func() {
			k := convKey(g)
			for j := range commits {
				id := fmt.Sprintf("g%02d-%02d", g, j)
				err := s.Commit(t.Context(), core.Commit{
					Key:       k,
					Dedupe:    dedupe(future, "cw:"+id),
					SaveState: true,
					State:     core.State{Revision: uint64(j), Turns: j + 1, UserName: k.User},
					Turns:     []core.Turn{turn(id, j)},
					Outbox:    []core.OutboxEntry{entry(k, id)},
					Counters:  map[string]int64{"messages": 1, fmt.Sprintf("writer%d", g%4): 1},
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d commit %d: %w", g, j, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	for g := range writers {
		k := convKey(g)
		st, seen := load(t, s, k, fmt.Sprintf("cw:g%02d-00", g))
		if !seen || st.Revision != commits || st.Turns != commits || st.UserName != k.User {
			t.Errorf("writer %d: seen=%v state %+v", g, seen, st)
		}
		ts := turnIDs(transcript(t, s, k, commits))
		var want []string
		for j := range commits {
			want = append(want, fmt.Sprintf("g%02d-%02d", g, j))
		}
		equal(t, fmt.Sprintf("writer %d transcript", g), ts, want)
	}
	equal(t, "counters", counters(t, s), map[string]int64{
		"messages": writers * commits, "writer0": writers * commits / 4, "writer1": writers * commits / 4,
		"writer2": writers * commits / 4, "writer3": writers * commits / 4,
	})
	if n := outboxLen(t, s); n != writers*commits {
		t.Errorf("outbox holds %d entries, want %d", n, writers*commits)
	}
	p := pending(t, s, t0, 2*writers*commits)
	if len(p) != writers*commits {
		t.Fatalf("PendingOutbox returned %d entries, want %d", len(p), writers*commits)
	}
	next := make([]int, writers) // next commit index expected per writer
	for i, e := range p {
		if i > 0 && e.Seq <= p[i-1].Seq {
			t.Fatalf("outbox seq not increasing at %d: %d after %d", i, e.Seq, p[i-1].Seq)
		}
		var g, j int
		if _, err := fmt.Sscanf(e.Reply.ID, "g%02d-%02d", &g, &j); err != nil {
			t.Fatalf("unexpected outbox entry %q", e.Reply.ID)
		}
		if j != next[g] {
			t.Fatalf("writer %d: entry %d came before entry %d", g, j, next[g])
		}
		next[g]++
	}
}
