package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

func testOutboxOrder(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	if n := outboxLen(t, s); n != 0 {
		t.Fatalf("fresh outbox holds %d entries", n)
	}
	if _, ok, err := s.NextOutboxAttempt(ctx); err != nil || ok {
		t.Fatalf("NextOutboxAttempt on empty outbox: ok=%v err=%v", ok, err)
	}
	if p := pending(t, s, t0.Add(time.Hour), 10); len(p) != 0 {
		t.Fatalf("empty outbox: %d pending", len(p))
	}

	var want []core.OutboxEntry
	for i := range 30 {
		k := convKey(i % 4)
		var batch []core.OutboxEntry
		for j := range i%3 + 1 {
			batch = append(batch, entry(k, fmt.Sprintf("r%02d-%d", i, j)))
		}
		want = append(want, batch...)
		commit(t, s, core.Commit{Key: k, Outbox: batch})
	}
	got := pending(t, s, t0, 1000)
	if len(got) != len(want) {
		t.Fatalf("PendingOutbox returned %d entries, want %d", len(got), len(want))
	}
	for i := range got {
		if i > 0 && got[i].Seq <= got[i-1].Seq {
			t.Fatalf("seq not increasing at %d: %d after %d", i, got[i].Seq, got[i-1].Seq)
		}
		w := want[i]
		w.Seq = got[i].Seq
		equal(t, fmt.Sprintf("entry %d", i), normEntry(got[i]), w)
	}
	equal(t, "PendingOutbox(limit 7)", ids(pending(t, s, t0, 7)), ids(want[:7]))
	if n := outboxLen(t, s); n != len(want) {
		t.Errorf("OutboxLen = %d, want %d", n, len(want))
	}

	// An entry that is not due is skipped without disturbing the order.
	later := entry(convKey(1), "later")
	later.NextAttempt = t0.Add(time.Hour)
	commit(t, s, core.Commit{Key: convKey(1), Outbox: []core.OutboxEntry{later}})
	commit(t, s, core.Commit{Key: convKey(1), Outbox: []core.OutboxEntry{entry(convKey(1), "last")}})
	equal(t, "due now", ids(pending(t, s, t0, 1000)), append(ids(want), "last"))
	equal(t, "due in an hour", ids(pending(t, s, t0.Add(time.Hour), 1000)), append(ids(want), "later", "last"))
	next, ok, err := s.NextOutboxAttempt(ctx)
	must(t, err, "next outbox attempt")
	if !ok || !next.Equal(t0) {
		t.Errorf("NextOutboxAttempt = %v, %v; want %v", next, ok, t0)
	}
}

// testOutboxConcurrentOrder: entries committed concurrently come back in
// commit order: the entries of one commit are adjacent and in their order,
// and each writer's commits are in the order it made them.
func testOutboxConcurrentOrder(t *testing.T, o *opener) {
	s := o.store(t)
	const writers, commits = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := range writers {
		wg.Go(func() {
			for j := range commits {
				k := convKey(g)
				err := s.Commit(t.Context(), core.Commit{Key: k, Outbox: []core.OutboxEntry{
					entry(k, fmt.Sprintf("w%d-%02d-a", g, j)), entry(k, fmt.Sprintf("w%d-%02d-b", g, j)),
				}})
				if err != nil {
					errs <- err
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
	p := pending(t, s, t0, 10*writers*commits)
	if len(p) != 2*writers*commits {
		t.Fatalf("PendingOutbox returned %d entries, want %d", len(p), 2*writers*commits)
	}
	next := make([]int, writers)
	for i := 0; i < len(p); i += 2 {
		var g, j int
		if _, err := fmt.Sscanf(p[i].Reply.ID, "w%d-%02d-a", &g, &j); err != nil {
			t.Fatalf("entry %d is %q, want the first entry of a commit", i, p[i].Reply.ID)
		}
		if want := fmt.Sprintf("w%d-%02d-b", g, j); p[i+1].Reply.ID != want {
			t.Fatalf("entry %d is %q, want %q (entries of one commit must be adjacent)", i+1, p[i+1].Reply.ID, want)
		}
		if j != next[g] {
			t.Fatalf("writer %d: commit %d came before commit %d", g, j, next[g])
		}
		next[g]++
	}
}

func testOutboxLifecycle(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	k := convKey(1)
	commit(t, s, core.Commit{Key: k, Outbox: []core.OutboxEntry{entry(k, "e1"), entry(k, "e2"), entry(k, "e3")}})
	p := pending(t, s, t0, 10)
	equal(t, "pending", ids(p), []string{"e1", "e2", "e3"})
	s1, s2, s3 := p[0].Seq, p[1].Seq, p[2].Seq

	retryAt := t0.Add(time.Minute)
	must(t, s.RetryOutbox(ctx, s1, 1, retryAt, "HTTP 500"), "retry e1")
	equal(t, "pending while e1 backs off", ids(pending(t, s, t0, 10)), []string{"e2", "e3"})
	p = pending(t, s, retryAt, 10)
	equal(t, "pending after the backoff", ids(p), []string{"e1", "e2", "e3"})
	want1 := entry(k, "e1")
	want1.Seq, want1.Attempts, want1.NextAttempt, want1.LastError = s1, 1, retryAt, "HTTP 500"
	equal(t, "retried entry", normEntry(p[0]), want1)
	next, ok, err := s.NextOutboxAttempt(ctx)
	must(t, err, "next outbox attempt")
	if !ok || !next.Equal(t0) {
		t.Errorf("NextOutboxAttempt = %v, %v; want %v", next, ok, t0)
	}

	for _, seq := range []uint64{s2, s2, s3 + 1000} {
		must(t, s.CompleteOutbox(ctx, seq), fmt.Sprintf("complete %d", seq))
	}
	if n := outboxLen(t, s); n != 2 {
		t.Errorf("OutboxLen after complete = %d, want 2", n)
	}

	deadAt := t0.Add(2 * time.Minute)
	must(t, s.DeadLetter(ctx, s3, "chat not found", deadAt), "dead-letter e3")
	mustIs(t, s.DeadLetter(ctx, s3, "again", deadAt), core.ErrNotFound, "dead-letter e3 twice")
	mustIs(t, s.RetryOutbox(ctx, s3, 2, deadAt, "x"), core.ErrNotFound, "retry dead-lettered e3")
	mustIs(t, s.RetryOutbox(ctx, s2, 2, deadAt, "x"), core.ErrNotFound, "retry completed e2")
	mustIs(t, s.DeadLetter(ctx, s2, "x", deadAt), core.ErrNotFound, "dead-letter completed e2")
	equal(t, "pending after dead letter", ids(pending(t, s, deadAt, 10)), []string{"e1"})
	next, ok, err = s.NextOutboxAttempt(ctx)
	must(t, err, "next outbox attempt")
	if !ok || !next.Equal(retryAt) {
		t.Errorf("NextOutboxAttempt = %v, %v; want %v", next, ok, retryAt)
	}

	must(t, s.DeadLetter(ctx, s1, "gave up after 1 attempt", deadAt.Add(time.Minute)), "dead-letter e1")
	dl, err := s.DeadLetters(ctx, 10)
	must(t, err, "dead letters")
	want3 := entry(k, "e3")
	want3.Seq = s3
	if len(dl) != 2 {
		t.Fatalf("DeadLetters returned %d, want 2", len(dl))
	}
	equal(t, "first dead letter", core.DeadLetter{Entry: normEntry(dl[0].Entry), Reason: dl[0].Reason, At: dl[0].At.UTC()},
		core.DeadLetter{Entry: want3, Reason: "chat not found", At: deadAt})
	equal(t, "second dead letter", core.DeadLetter{Entry: normEntry(dl[1].Entry), Reason: dl[1].Reason, At: dl[1].At.UTC()},
		core.DeadLetter{Entry: want1, Reason: "gave up after 1 attempt", At: deadAt.Add(time.Minute)})
	dl, err = s.DeadLetters(ctx, 1)
	must(t, err, "dead letters")
	if len(dl) != 1 || dl[0].Entry.Seq != s3 {
		t.Errorf("DeadLetters(1) = %+v, want only e3", dl)
	}

	if n := outboxLen(t, s); n != 0 {
		t.Errorf("OutboxLen at the end = %d, want 0", n)
	}
	if _, ok, err := s.NextOutboxAttempt(ctx); err != nil || ok {
		t.Errorf("NextOutboxAttempt on empty outbox: ok=%v err=%v", ok, err)
	}
	if p := pending(t, s, t0.Add(24*time.Hour), 10); len(p) != 0 {
		t.Errorf("empty outbox: %d pending", len(p))
	}
}

// testOutboxReplay: pending entries survive close and reopen with their
// attempts, and new entries are ordered after them.
func testOutboxReplay(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	k := convKey(1)
	var batch []core.OutboxEntry
	for i := range 5 {
		batch = append(batch, entry(k, fmt.Sprintf("e%d", i)))
	}
	commit(t, s, core.Commit{Key: k, Outbox: batch[:2]})
	commit(t, s, core.Commit{Key: k, Outbox: batch[2:]})
	p := pending(t, s, t0, 10)
	retryAt := t0.Add(5 * time.Minute)
	must(t, s.RetryOutbox(ctx, p[1].Seq, 3, retryAt, "timeout"), "retry e1")
	must(t, s.CompleteOutbox(ctx, p[0].Seq), "complete e0")
	must(t, s.Close(), "close")

	s = o.store(t)
	got := pending(t, s, retryAt, 10)
	var want []core.OutboxEntry
	for i, e := range batch[1:] {
		e.Seq = p[i+1].Seq
		want = append(want, e)
	}
	want[0].Attempts, want[0].NextAttempt, want[0].LastError = 3, retryAt, "timeout"
	if len(got) != len(want) {
		t.Fatalf("after reopen: %d pending, want %d", len(got), len(want))
	}
	for i := range got {
		equal(t, fmt.Sprintf("after reopen, entry %d", i), normEntry(got[i]), want[i])
	}
	next, ok, err := s.NextOutboxAttempt(ctx)
	must(t, err, "next outbox attempt")
	if !ok || !next.Equal(t0) {
		t.Errorf("NextOutboxAttempt after reopen = %v, %v; want %v", next, ok, t0)
	}
	commit(t, s, core.Commit{Key: k, Outbox: []core.OutboxEntry{entry(k, "new")}})
	got = pending(t, s, retryAt, 10)
	equal(t, "order after reopen", ids(got), []string{"e1", "e2", "e3", "e4", "new"})
	if last := got[len(got)-1].Seq; last <= p[len(p)-1].Seq {
		t.Errorf("new entry got seq %d, not after the old maximum %d", last, p[len(p)-1].Seq)
	}
}
