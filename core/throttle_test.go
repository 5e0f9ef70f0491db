package core_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/ratelimit"
)

// fixedClock is a settable test clock.
type fixedClock struct{ t time.Time }

func (c *fixedClock) now() time.Time { return c.t }

func limiter(t *testing.T, c *fixedClock) *ratelimit.Conversations {
	t.Helper()
	l, err := ratelimit.NewConversations(ratelimit.Options{Events: 10, Per: 10 * time.Second, Burst: 10, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestInboundLimitRefusingPlatform: a platform listed in Refuse gets a
// *RateLimitError with Retry-After beyond the burst, and nothing is written
// for the refused messages (issue 14: one token sent 1,000 messages in 3 s).
func TestInboundLimitRefusingPlatform(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	clock := &fixedClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := core.NewEngine(st, &echo{}, core.EngineOptions{Now: clock.now,
		RateLimit: core.RateLimitOptions{Limiter: limiter(t, clock), Refuse: map[string]bool{"test": true}}})
	handled, refused := 0, 0
	for i := range 1000 {
		_, err := e.Handle(ctx, msg("c1", fmt.Sprint("m", i), "hi"))
		if rl, ok := core.IsRateLimited(err); ok {
			refused++
			if rl.RetryAfter < time.Second {
				t.Fatalf("retry after %s", rl.RetryAfter)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		handled++
	}
	if handled != 10 || refused != 990 {
		t.Fatalf("handled %d, refused %d; want 10 and 990", handled, refused)
	}
	if n, _ := st.OutboxLen(ctx); n != 10 {
		t.Fatalf("%d replies queued, want 10", n)
	}
	// Another conversation is not limited by c1; c1 recovers with time.
	if _, err := e.Handle(ctx, msg("c2", "x", "hi")); err != nil {
		t.Fatalf("another conversation: %v", err)
	}
	clock.t = clock.t.Add(time.Second)
	if _, err := e.Handle(ctx, msg("c1", "later", "hi")); err != nil {
		t.Fatalf("after a second: %v", err)
	}
}

// TestInboundLimitPlatformNote: on a platform that must be acknowledged, a
// message over the limit is recorded (transcript), not answered, not relayed
// during a handoff, and the customer is told once per spell.
func TestInboundLimitPlatformNote(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	clock := &fixedClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	u := &echo{}
	e := core.NewEngine(st, u, core.EngineOptions{Now: clock.now,
		RateLimit: core.RateLimitOptions{Limiter: limiter(t, clock)}})
	var notes int
	for i := range 30 {
		m := msg("c1", fmt.Sprint("m", i), fmt.Sprint("line ", i))
		m.DedupeKeys = []string{fmt.Sprint("test:", i)}
		res, err := e.Handle(ctx, m)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		for _, r := range res.Replies {
			if r.Text != "" && r.Text[:8] == "You are " {
				notes++
			}
		}
	}
	if notes != 1 {
		t.Fatalf("%d slow-down notes, want 1", notes)
	}
	tr, err := st.Transcript(ctx, msg("c1", "", "").Key, 100)
	if err != nil {
		t.Fatal(err)
	}
	user := 0
	for _, turn := range tr {
		if turn.From == core.AuthorUser {
			user++
		}
	}
	if user != 30 {
		t.Fatalf("%d customer turns in the transcript, want all 30", user)
	}
	if n, _ := st.OutboxLen(ctx); n != 11 {
		t.Fatalf("%d replies queued, want 10 answers and 1 note", n)
	}
	c, _ := st.Counters(ctx)
	if c["throttled"] != 20 || c["messages"] != 10 {
		t.Fatalf("counters %v", c)
	}
	// A redelivered throttled message is a duplicate.
	m := msg("c1", "m29", "line 29")
	m.DedupeKeys = []string{"test:29"}
	if res, err := e.Handle(ctx, m); err != nil || !res.Duplicate {
		t.Fatalf("redelivery of a throttled message: %+v %v", res, err)
	}
}

// TestInboundLimitDuringHandoffNotRelayed: 600 messages after a handoff
// queue at most the burst of relays for the desk.
func TestInboundLimitDuringHandoffNotRelayed(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	clock := &fixedClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	e := core.NewEngine(st, handoffAll{}, core.EngineOptions{Now: clock.now,
		Handoff:   core.HandoffOptions{DeskPlatform: "desk", DeskChat: "C1"},
		RateLimit: core.RateLimitOptions{Limiter: limiter(t, clock)}})
	for i := range 600 {
		if _, err := e.Handle(ctx, msg("c1", fmt.Sprint("m", i), "help")); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := st.Counters(ctx)
	if c["relayed"] > 10 || c["throttled"] < 590 {
		t.Fatalf("counters %v: want at most 10 relays", c)
	}
}

// handoffAll asks for a person on every message.
type handoffAll struct{}

func (handoffAll) Understand(_ context.Context, in core.Input) (core.Decision, error) {
	return core.Decision{Intent: "human", Confidence: 1, Handoff: true, State: in.State,
		Replies: []core.ReplyText{{Text: "passing you on"}}}, nil
}
