package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// recorder is a Sender that records what it was asked to send and fails
// according to a script: fail(n, r) returns the error for the n-th call
// (1-based) or nil.
type recorder struct {
	platform string
	fail     func(n int, r core.Reply) error
	limits   *core.RateLimits

	mu    sync.Mutex
	calls []sendCall
	sent  map[string]int
	ch    chan core.Reply
}

type sendCall struct {
	at  time.Time
	id  string
	err error
}

func newRecorder(fail func(int, core.Reply) error) *recorder {
	return &recorder{platform: "test", fail: fail, sent: map[string]int{}, ch: make(chan core.Reply, 1000)}
}

func (r *recorder) Platform() string { return r.platform }

func (r *recorder) Send(ctx context.Context, rep core.Reply) error {
	r.mu.Lock()
	n := len(r.calls) + 1
	var err error
	if r.fail != nil {
		err = r.fail(n, rep)
	}
	r.calls = append(r.calls, sendCall{at: time.Now(), id: rep.ID, err: err})
	if err == nil {
		r.sent[rep.ID]++
	}
	r.mu.Unlock()
	if err == nil {
		r.ch <- rep
	}
	return err
}

func (r *recorder) RateLimits() core.RateLimits {
	if r.limits == nil {
		return core.RateLimits{}
	}
	return *r.limits
}

func (r *recorder) snapshot() ([]sendCall, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent := make(map[string]int, len(r.sent))
	for k, v := range r.sent {
		sent[k] = v
	}
	return append([]sendCall(nil), r.calls...), sent
}

func (r *recorder) await(t *testing.T, n int, timeout time.Duration) []core.Reply {
	t.Helper()
	var got []core.Reply
	deadline := time.After(timeout)
	for len(got) < n {
		select {
		case rep := <-r.ch:
			got = append(got, rep)
		case <-deadline:
			t.Fatalf("got %d sends, want %d", len(got), n)
		}
	}
	return got
}

func runDispatcher(t *testing.T, st core.Store, opts core.DispatcherOptions, senders ...core.Sender) (*core.Dispatcher, func()) {
	t.Helper()
	d := core.NewDispatcher(st, senders, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	return d, func() { cancel(); <-done }
}

func fastOpts() core.DispatcherOptions {
	return core.DispatcherOptions{BaseBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, PollInterval: 20 * time.Millisecond}
}

// TestCrashBetweenCommitAndSend closes the store after the commit and before
// any send (the process "crashed"); on reopen the dispatcher sends the reply
// exactly once, and a second restart sends nothing more.
func TestCrashBetweenCommitAndSend(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, dir)
	e := core.NewEngine(st, &echo{}, core.EngineOptions{})
	for i := range 3 {
		if _, err := e.Handle(ctx, msg("c1", fmt.Sprint("m", i), fmt.Sprint("hello ", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	rec := newRecorder(nil)
	_, stop := runDispatcher(t, st, fastOpts(), rec)
	got := rec.await(t, 3, 5*time.Second)
	for i, r := range got {
		if want := fmt.Sprint("you said: hello ", i); r.Text != want {
			t.Fatalf("send %d = %q, want %q (order)", i, r.Text, want)
		}
	}
	waitOutboxEmpty(t, st)
	stop()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	defer st.Close()
	rec2 := newRecorder(nil)
	_, stop2 := runDispatcher(t, st, fastOpts(), rec2)
	time.Sleep(150 * time.Millisecond)
	stop2()
	if calls, _ := rec2.snapshot(); len(calls) != 0 {
		t.Fatalf("replies sent again after a clean restart: %+v", calls)
	}
}

func waitOutboxEmpty(t *testing.T, st core.Store) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if n, err := st.OutboxLen(context.Background()); err == nil && n == 0 {
			return
		}
	}
	t.Fatal("outbox did not drain")
}

func TestFailingSender(t *testing.T) {
	ctx := context.Background()
	temporary := errors.New("connection reset")

	t.Run("temporary errors are retried with growing backoff", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		defer st.Close()
		rec := newRecorder(func(n int, _ core.Reply) error {
			if n <= 3 {
				return temporary
			}
			return nil
		})
		d, stop := runDispatcher(t, st, fastOpts(), rec)
		defer stop()
		e := core.NewEngine(st, &echo{}, core.EngineOptions{Notify: d.Notify})
		if _, err := e.Handle(ctx, msg("c1", "m1", "hi")); err != nil {
			t.Fatal(err)
		}
		rec.await(t, 1, 5*time.Second)
		waitOutboxEmpty(t, st)
		calls, sent := rec.snapshot()
		if len(calls) != 4 || sent["m1.r0"] != 1 {
			t.Fatalf("calls = %d, sent = %v; want 3 failures then one success", len(calls), sent)
		}
		gap1, gap3 := calls[1].at.Sub(calls[0].at), calls[3].at.Sub(calls[2].at)
		if gap1 < 10*time.Millisecond || gap3 < 40*time.Millisecond {
			t.Fatalf("backoff too short: gaps %v, %v (base 20ms doubling, equal jitter)", gap1, gap3)
		}
	})

	t.Run("retry-after is honoured", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		defer st.Close()
		rec := newRecorder(func(n int, _ core.Reply) error {
			if n == 1 {
				return &core.SendError{Platform: "test", Status: 429, RetryAfter: 300 * time.Millisecond}
			}
			return nil
		})
		d, stop := runDispatcher(t, st, fastOpts(), rec)
		defer stop()
		e := core.NewEngine(st, &echo{}, core.EngineOptions{Notify: d.Notify})
		if _, err := e.Handle(ctx, msg("c1", "m1", "hi")); err != nil {
			t.Fatal(err)
		}
		rec.await(t, 1, 5*time.Second)
		calls, _ := rec.snapshot()
		if len(calls) != 2 {
			t.Fatalf("calls = %d, want 2", len(calls))
		}
		if gap := calls[1].at.Sub(calls[0].at); gap < 290*time.Millisecond {
			t.Fatalf("retried after %v, before the 300ms Retry-After", gap)
		}
	})

	t.Run("permanent error goes to the dead letters, later replies still go out in order", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		defer st.Close()
		rec := newRecorder(func(_ int, r core.Reply) error {
			if r.InReplyTo == "m1" {
				return &core.SendError{Platform: "test", Status: 403, Code: "bot_blocked", Permanent: true}
			}
			return nil
		})
		d, stop := runDispatcher(t, st, fastOpts(), rec)
		defer stop()
		e := core.NewEngine(st, &echo{}, core.EngineOptions{Notify: d.Notify})
		for _, id := range []string{"m1", "m2"} {
			if _, err := e.Handle(ctx, msg("c1", id, id)); err != nil {
				t.Fatal(err)
			}
		}
		rec.await(t, 1, 5*time.Second)
		waitOutboxEmpty(t, st)
		dls, err := st.DeadLetters(ctx, 10)
		if err != nil || len(dls) != 1 {
			t.Fatalf("dead letters = %+v (%v), want 1", dls, err)
		}
		if dls[0].Entry.Reply.InReplyTo != "m1" || dls[0].Reason == "" {
			t.Fatalf("dead letter = %+v", dls[0])
		}
		calls, _ := rec.snapshot()
		if len(calls) != 2 {
			t.Fatalf("the permanent failure was retried: %d calls", len(calls))
		}
	})

	t.Run("gives up after max attempts", func(t *testing.T) {
		st := openStore(t, t.TempDir())
		defer st.Close()
		rec := newRecorder(func(int, core.Reply) error { return temporary })
		opts := fastOpts()
		opts.MaxAttempts = 3
		opts.BaseBackoff, opts.MaxBackoff = time.Millisecond, 5*time.Millisecond
		d, stop := runDispatcher(t, st, opts, rec)
		defer stop()
		e := core.NewEngine(st, &echo{}, core.EngineOptions{Notify: d.Notify})
		if _, err := e.Handle(ctx, msg("c1", "m1", "x")); err != nil {
			t.Fatal(err)
		}
		waitOutboxEmpty(t, st)
		dls, _ := st.DeadLetters(ctx, 10)
		if len(dls) != 1 {
			t.Fatalf("want 1 dead letter, got %d", len(dls))
		}
		if calls, _ := rec.snapshot(); len(calls) != 3 {
			t.Fatalf("calls = %d, want 3", len(calls))
		}
	})
}

// TestPerConversationOrderWithRetries: a conversation whose first reply is
// waiting for a retry must not get its second reply first; other
// conversations are not held up.
func TestPerConversationOrderWithRetries(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	rec := newRecorder(func(n int, r core.Reply) error {
		if r.InReplyTo == "a1" && n == 1 {
			return &core.SendError{Platform: "test", RetryAfter: 200 * time.Millisecond}
		}
		return nil
	})
	d := core.NewDispatcher(st, []core.Sender{rec}, fastOpts())
	e := core.NewEngine(st, &echo{}, core.EngineOptions{})
	for _, m := range []core.Message{msg("A", "a1", "a1"), msg("A", "a2", "a2"), msg("B", "b1", "b1")} {
		if _, err := e.Handle(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = d.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	got := rec.await(t, 3, 5*time.Second)
	var order []string
	for _, r := range got {
		order = append(order, r.InReplyTo)
	}
	if order[0] != "b1" || order[1] != "a1" || order[2] != "a2" {
		t.Fatalf("send order = %v, want [b1 a1 a2]", order)
	}
}

func TestRateLimits(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	rec := newRecorder(nil)
	rec.limits = &core.RateLimits{PerChat: rate.Every(50 * time.Millisecond), PerChatBurst: 1}
	e := core.NewEngine(st, &echo{}, core.EngineOptions{})
	for i := range 5 {
		if _, err := e.Handle(ctx, msg("c1", fmt.Sprint("m", i), "x")); err != nil {
			t.Fatal(err)
		}
	}
	_, stop := runDispatcher(t, st, fastOpts(), rec)
	defer stop()
	rec.await(t, 5, 5*time.Second)
	calls, _ := rec.snapshot()
	if span := calls[4].at.Sub(calls[0].at); span < 190*time.Millisecond {
		t.Fatalf("5 sends to one chat at 1 per 50ms took %v, want >= 200ms", span)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	d := core.NewDispatcher(nil, nil, core.DispatcherOptions{BaseBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 10: time.Second} {
		for range 50 {
			got := d.Backoff(attempt)
			if got < want/2 || got > want {
				t.Fatalf("Backoff(%d) = %v, want in [%v, %v]", attempt, got, want/2, want)
			}
		}
	}
}

// blocking is a Sender whose sends wait until release is closed.
type blocking struct {
	platform string
	release  chan struct{}
}

func (b *blocking) Platform() string { return b.platform }
func (b *blocking) Send(ctx context.Context, _ core.Reply) error {
	select {
	case <-b.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestSlowPlatformDoesNotHoldUpOthers: with every worker slot of one
// platform stuck in a send and a backlog of its replies longer than one
// scan page in front, another platform's replies still go out.
func TestSlowPlatformDoesNotHoldUpOthers(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	slow := &blocking{platform: "slow", release: make(chan struct{})}
	fast := newRecorder(nil)
	e := core.NewEngine(st, &echo{}, core.EngineOptions{})
	for i := range 12 {
		m := msg(fmt.Sprint("s", i), fmt.Sprint("s", i), "x")
		m.Key.Platform = "slow"
		if _, err := e.Handle(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		if _, err := e.Handle(ctx, msg(fmt.Sprint("f", i), fmt.Sprint("f", i), "x")); err != nil {
			t.Fatal(err)
		}
	}
	opts := fastOpts()
	opts.Workers = 2
	opts.ScanLimit = 3 // the fast replies sit behind four pages of slow ones
	_, stop := runDispatcher(t, st, opts, slow, fast)
	defer func() { close(slow.release); stop() }()
	fast.await(t, 3, 2*time.Second)
}

// TestDispatcherFollowsTheInjectedClock: with the process clock years away
// from the machine's, a reply waiting for a retry is sent once that clock
// passes its due time, without any other wake-up. (The dispatcher used to
// sleep until the due time by the machine's clock: years.)
func TestDispatcherFollowsTheInjectedClock(t *testing.T) {
	for _, base := range fakeclock.Bases() {
		t.Run(base.Format("2006"), func(t *testing.T) {
			ctx := context.Background()
			clk := fakeclock.New(base)
			st := openStoreClock(t, t.TempDir(), clk.Now)
			defer st.Close()
			rec := newRecorder(func(n int, r core.Reply) error {
				if n == 1 {
					return &core.SendError{Platform: "test", RetryAfter: time.Minute}
				}
				return nil
			})
			opts := fastOpts()
			opts.Now = clk.Now
			d := core.NewDispatcher(st, []core.Sender{rec}, opts)
			e := core.NewEngine(st, &echo{}, core.EngineOptions{Now: clk.Now, Notify: d.Notify})
			rctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { _ = d.Run(rctx); close(done) }()
			defer func() { cancel(); <-done }()
			if _, err := e.Handle(ctx, msg("c", "m1", "hi")); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if calls, _ := rec.snapshot(); len(calls) == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("first attempt not made")
				}
			}
			clk.Add(2 * time.Minute)
			rec.await(t, 1, 5*time.Second)
		})
	}
}

// failingComplete is a store whose CompleteOutbox fails a number of times
// (a full disk after the platform accepted the reply).
type failingComplete struct {
	core.Store
	mu    sync.Mutex
	fails int
}

func (f *failingComplete) CompleteOutbox(ctx context.Context, seq uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fails > 0 {
		f.fails--
		return errors.New("write: no space left on device")
	}
	return f.Store.CompleteOutbox(ctx, seq)
}

// TestDeliveredButNotDeletedIsNotSentAgain: when deleting a sent reply
// fails, the same process retries the deletion, not the send (found by
// internal/chaos TestDiskFull: "sent twice by the same process").
func TestDeliveredButNotDeletedIsNotSentAgain(t *testing.T) {
	ctx := context.Background()
	bst := openStore(t, t.TempDir())
	defer bst.Close()
	st := &failingComplete{Store: bst, fails: 3}
	rec := newRecorder(nil)
	e := core.NewEngine(bst, &echo{}, core.EngineOptions{})
	if _, err := e.Handle(ctx, msg("c", "m1", "hi")); err != nil {
		t.Fatal(err)
	}
	_, stop := runDispatcher(t, st, fastOpts(), rec)
	defer stop()
	rec.await(t, 1, 5*time.Second)
	waitOutboxEmpty(t, bst)
	if calls, _ := rec.snapshot(); len(calls) != 1 {
		t.Fatalf("the reply was sent %d times, want once", len(calls))
	}
}
