package core_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// echo is a deterministic Understander: it answers "you said: <text>" and
// counts the turns it saw in the state, so tests can check ordering.
type echo struct {
	delay   time.Duration
	mu      sync.Mutex
	busy    map[string]bool // conversations being understood right now
	overlap atomic.Int64    // times a conversation was understood twice at once
	active  atomic.Int64
	maxPar  atomic.Int64
}

func (e *echo) Understand(ctx context.Context, in core.Input) (core.Decision, error) {
	key := in.UserName
	e.mu.Lock()
	if e.busy == nil {
		e.busy = map[string]bool{}
	}
	if e.busy[key] {
		e.overlap.Add(1)
	}
	e.busy[key] = true
	e.mu.Unlock()
	n := e.active.Add(1)
	for {
		m := e.maxPar.Load()
		if n <= m || e.maxPar.CompareAndSwap(m, n) {
			break
		}
	}
	if e.delay > 0 {
		time.Sleep(e.delay)
	}
	e.active.Add(-1)
	e.mu.Lock()
	delete(e.busy, key)
	e.mu.Unlock()
	st := in.State
	if st.Slots == nil {
		st.Slots = map[string]string{}
	}
	st.Slots["last"] = in.Text
	return core.Decision{Intent: "echo", Confidence: 1, Language: "en", State: st,
		Replies: []core.ReplyText{{Text: "you said: " + in.Text}}}, nil
}

func openStore(t testing.TB, dir string) *bolt.Store {
	t.Helper()
	return openStoreClock(t, dir, nil)
}

// openStoreClock opens a store that reads the time from now (nil: the
// machine's clock); pass the engine's clock.
func openStoreClock(t testing.TB, dir string, now func() time.Time) *bolt.Store {
	t.Helper()
	st, err := bolt.Open(context.Background(), filepath.Join(dir, "sb.db"), bolt.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func msg(conv, id, text string) core.Message {
	return core.Message{Key: core.ConversationKey{Platform: "test", Chat: conv, User: conv}, ID: id, Text: text, UserName: conv}
}

func TestHandleDedupe(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	e := core.NewEngine(st, &echo{}, core.EngineOptions{})
	m := msg("c1", "m1", "hello")
	m.DedupeKeys = []string{"test:evt:1", "test:c1/ts1"}
	r1, err := e.Handle(ctx, m)
	if err != nil || r1.Duplicate || len(r1.Replies) != 1 {
		t.Fatalf("first: %+v %v", r1, err)
	}
	// Same message redelivered, and the same message under a new event id
	// that shares the second key (Slack's mention arriving twice).
	m2 := m
	m2.DedupeKeys = []string{"test:evt:2", "test:c1/ts1"}
	for _, mm := range []core.Message{m, m2} {
		r, err := e.Handle(ctx, mm)
		if err != nil || !r.Duplicate || len(r.Replies) != 0 {
			t.Fatalf("redelivery: %+v %v", r, err)
		}
	}
	n, err := st.OutboxLen(ctx)
	if err != nil || n != 1 {
		t.Fatalf("outbox has %d entries (%v), want 1", n, err)
	}
	tr, err := st.Transcript(ctx, m.Key, 10)
	if err != nil || len(tr) != 2 {
		t.Fatalf("transcript = %+v (%v), want one user and one bot turn", tr, err)
	}
	if tr[0].From != core.AuthorUser || tr[1].From != core.AuthorBot || tr[1].Text != "you said: hello" {
		t.Fatalf("transcript = %+v", tr)
	}
}

func TestHandleRejectsInvalid(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	e := core.NewEngine(st, &echo{}, core.EngineOptions{})
	if _, err := e.Handle(context.Background(), core.Message{Text: "x"}); err == nil {
		t.Fatal("message without platform accepted")
	}
	if _, err := e.Handle(context.Background(), core.Message{Key: core.ConversationKey{Platform: "p"}, Text: "x"}); err == nil {
		t.Fatal("message without chat accepted")
	}
}

type failingUnderstander struct{}

func (failingUnderstander) Understand(context.Context, core.Input) (core.Decision, error) {
	return core.Decision{}, errors.New("boom")
}

func TestHandleUnderstanderErrorWritesNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	m := msg("c1", "m1", "hi")
	if _, err := core.NewEngine(st, failingUnderstander{}, core.EngineOptions{}).Handle(ctx, m); err == nil {
		t.Fatal("want error")
	}
	// The message was not marked as seen: a retry by the platform is handled.
	r, err := core.NewEngine(st, &echo{}, core.EngineOptions{}).Handle(ctx, m)
	if err != nil || r.Duplicate {
		t.Fatalf("retry after failure: %+v %v", r, err)
	}
}

// TestOrderingUnderConcurrency sends 100 conversations × 20 messages at once.
// Each conversation's messages come from one goroutine in order (as from one
// webhook stream), and some from a second goroutine at the same time; the
// engine must never understand two messages of one conversation at once,
// must handle different conversations in parallel, and each transcript must
// hold the first goroutine's messages in the order they were sent.
func TestOrderingUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	u := &echo{delay: 200 * time.Microsecond}
	e := core.NewEngine(st, u, core.EngineOptions{})
	const convs, per = 100, 20
	var wg sync.WaitGroup
	for c := range convs {
		conv := fmt.Sprintf("conv%03d", c)
		wg.Go(func() {
			for i := range per {
				if _, err := e.Handle(ctx, msg(conv, fmt.Sprintf("%s-a%02d", conv, i), fmt.Sprintf("a%02d", i))); err != nil {
					t.Error(err)
				}
			}
		})
		wg.Go(func() {
			for i := range per / 2 {
				if _, err := e.Handle(ctx, msg(conv, fmt.Sprintf("%s-b%02d", conv, i), fmt.Sprintf("b%02d", i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := u.overlap.Load(); n != 0 {
		t.Fatalf("a conversation was understood concurrently %d times", n)
	}
	if p := u.maxPar.Load(); p < 2 {
		t.Fatalf("conversations were not handled in parallel (max %d at once)", p)
	}
	for c := range convs {
		key := core.ConversationKey{Platform: "test", Chat: fmt.Sprintf("conv%03d", c), User: fmt.Sprintf("conv%03d", c)}
		tr, err := st.Transcript(ctx, key, 1000)
		if err != nil {
			t.Fatal(err)
		}
		var as []string
		users := 0
		for _, turn := range tr {
			if turn.From == core.AuthorUser {
				users++
				if turn.Text[0] == 'a' {
					as = append(as, turn.Text)
				}
			}
		}
		if users != per+per/2 {
			t.Fatalf("%v: %d user turns, want %d", key, users, per+per/2)
		}
		for i, a := range as {
			if a != fmt.Sprintf("a%02d", i) {
				t.Fatalf("%v: order broken at %d: %v", key, i, as)
			}
		}
		s, _, err := st.Load(ctx, key, nil)
		if err != nil || s.Turns != per+per/2 {
			t.Fatalf("%v: state.Turns = %d (%v), want %d (lost update?)", key, s.Turns, err, per+per/2)
		}
	}
}
