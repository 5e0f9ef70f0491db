package core_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// desk is a tiny scripted bot: "human" asks for a person, "??" is not
// understood, anything else is answered.
type desk struct{}

func (desk) Understand(_ context.Context, in core.Input) (core.Decision, error) {
	st := in.State
	switch in.Text {
	case "human":
		st.Fallbacks = 0
		return core.Decision{Intent: "talk_to_human", Confidence: 0.9, Handoff: true, State: st,
			Replies: []core.ReplyText{{Text: "Sure, a person will take over."}}}, nil
	case "??":
		st.Fallbacks++
		return core.Decision{Fallback: true, State: st, Replies: []core.ReplyText{{Text: "Sorry?"}}}, nil
	case "awful":
		return core.Decision{Intent: "complaint", Sentiment: -0.9, State: st, Replies: []core.ReplyText{{Text: "Oh no."}}}, nil
	}
	st.Fallbacks = 0
	return core.Decision{Intent: "answer", Confidence: 0.9, State: st, Replies: []core.ReplyText{{Text: "answer to " + in.Text}}}, nil
}

// everDue is later than any clock of these tests: every outbox entry is due by it.
var everDue = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)

// outbox returns the pending outbox entries (nothing is sending in these
// tests) except the redraws of case messages (ReplyStatus); statuses
// returns those.
func outbox(t *testing.T, st core.Store) []core.Reply {
	t.Helper()
	var out []core.Reply
	for _, r := range allOutbox(t, st) {
		if r.Kind != core.ReplyStatus {
			out = append(out, r)
		}
	}
	return out
}

func statuses(t *testing.T, st core.Store) []core.CaseCard {
	t.Helper()
	var out []core.CaseCard
	for _, r := range allOutbox(t, st) {
		if r.Kind == core.ReplyStatus {
			out = append(out, *r.Case)
		}
	}
	return out
}

func allOutbox(t *testing.T, st core.Store) []core.Reply {
	t.Helper()
	es, err := st.PendingOutbox(context.Background(), everDue, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []core.Reply
	for _, e := range es {
		out = append(out, e.Reply)
	}
	return out
}

func drain(t *testing.T, st core.Store) {
	t.Helper()
	es, _ := st.PendingOutbox(context.Background(), everDue, 1000)
	for _, e := range es {
		if err := st.CompleteOutbox(context.Background(), e.Seq); err != nil {
			t.Fatal(err)
		}
	}
}

// TestHandoffLifecycle runs the whole life of a case with the store and
// the engine on one injected clock, at dates years apart: nothing in it may
// depend on the machine's date.
func TestHandoffLifecycle(t *testing.T) {
	for _, base := range fakeclock.Bases() {
		t.Run(base.Format("2006-01-02"), func(t *testing.T) { testHandoffLifecycle(t, base) })
	}
}

func testHandoffLifecycle(t *testing.T, base time.Time) {
	ctx := context.Background()
	dir := t.TempDir()
	clk := fakeclock.New(base)
	st := openStoreClock(t, dir, clk.Now)
	opts := core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
		DeskPlatform: "desk", DeskChat: "C-support", IdleReturn: 30 * time.Minute, UnassignedAlert: 5 * time.Minute,
	}}
	e := core.NewEngine(st, desk{}, opts)
	cust := msg("cust1", "m1", "hello").Key

	if _, err := e.Handle(ctx, msg("cust1", "m1", "hello")); err != nil {
		t.Fatal(err)
	}
	drain(t, st)
	res, err := e.Handle(ctx, msg("cust1", "m2", "human"))
	if err != nil || !res.Decision.Handoff {
		t.Fatalf("handoff not decided: %+v %v", res, err)
	}
	ob := outbox(t, st)
	if len(ob) != 2 || ob[0].Kind != core.ReplyCase || ob[1].Text != "Sure, a person will take over." {
		t.Fatalf("outbox after handoff = %+v", ob)
	}
	cs := ob[0]
	if cs.Key.Platform != "desk" || cs.Key.Chat != "C-support" || cs.About != cust {
		t.Fatalf("case addressed to %+v about %+v", cs.Key, cs.About)
	}
	for _, want := range []string{"New case: cust1 on test", "Reason: customer asked for a person", "customer: hello", "bot: answer to hello", "customer: human"} {
		if !strings.Contains(cs.Text, want) {
			t.Errorf("case text lacks %q:\n%s", want, cs.Text)
		}
	}
	drain(t, st)

	// While a human owns it, customer messages are relayed, not answered.
	res, err = e.Handle(ctx, msg("cust1", "m3", "are you there?"))
	if err != nil || len(res.Replies) != 0 {
		t.Fatalf("bot answered during handoff: %+v %v", res, err)
	}
	ob = outbox(t, st)
	if len(ob) != 1 || ob[0].Kind != core.ReplyRelay || ob[0].Text != "are you there?" || ob[0].Key != cs.Key {
		t.Fatalf("relay = %+v", ob)
	}
	drain(t, st)

	// The unassigned reminder fires once.
	clk.Add(6 * time.Minute)
	if n, err := e.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v; want one reminder", n, err)
	}
	if ob = outbox(t, st); len(ob) != 1 || ob[0].Kind != core.ReplyNote || !strings.Contains(ob[0].Text, "Reminder") || !ob[0].Broadcast {
		t.Fatalf("reminder = %+v", ob)
	}
	drain(t, st)
	if n, _ := e.Sweep(ctx); n != 0 {
		t.Fatalf("second reminder sent")
	}

	// An agent answers; a Slack retry of the same event is relayed once.
	// Close and reopen the store in between: handoff state is durable.
	st.Close()
	st = openStoreClock(t, dir, clk.Now)
	defer st.Close()
	e = core.NewEngine(st, desk{}, opts)
	am := core.AgentMessage{About: cust, ID: "ev1", Agent: "Ana", Text: "Hi, Ana here. Let me check."}
	ar, err := e.HandleAgent(ctx, am)
	if err != nil || ar.Action != core.AgentRelayed || !ar.AssigneeChanged || ar.Assignee != "Ana" {
		t.Fatalf("agent reply: %+v %v", ar, err)
	}
	if ar, err := e.HandleAgent(ctx, am); err != nil || !ar.Duplicate {
		t.Fatalf("retried agent reply: %+v %v", ar, err)
	}
	ob = outbox(t, st)
	if len(ob) != 1 || ob[0].From != core.AuthorAgent || ob[0].AgentName != "Ana" || ob[0].Key != cust {
		t.Fatalf("agent relay = %+v", ob)
	}
	if sts := statuses(t, st); len(sts) != 1 || sts[0].Status != core.CaseAssigned || sts[0].Agent != "Ana" {
		t.Fatalf("case status after the first agent reply = %+v", sts)
	}
	drain(t, st)
	if ar, _ := e.HandleAgent(ctx, core.AgentMessage{About: cust, ID: "ev2", Agent: "Ana", Text: "!note VIP customer"}); ar.Action != core.AgentNoted {
		t.Fatalf("note: %+v", ar)
	}
	if ob = outbox(t, st); len(ob) != 0 {
		t.Fatalf("a note was sent: %+v", ob)
	}

	// !bot gives it back: the customer is told, the thread gets a note.
	ar, err = e.HandleAgent(ctx, core.AgentMessage{About: cust, ID: "ev3", Agent: "Ana", Text: "!bot"})
	if err != nil || ar.Action != core.AgentReturned {
		t.Fatalf("!bot: %+v %v", ar, err)
	}
	ob = outbox(t, st)
	if len(ob) != 2 || ob[0].Key != cust || !strings.Contains(ob[0].Text, "bot again") || ob[1].Kind != core.ReplyNote {
		t.Fatalf("after !bot: %+v", ob)
	}
	drain(t, st)
	res, err = e.Handle(ctx, msg("cust1", "m4", "where is my parcel"))
	if err != nil || len(res.Replies) != 1 || res.Replies[0].Text != "answer to where is my parcel" {
		t.Fatalf("bot did not answer after return: %+v %v", res, err)
	}
	if recs, _ := st.List(ctx, core.HandoffNamespace, 10); len(recs) != 0 {
		t.Fatalf("handoff index not cleared: %+v", recs)
	}
	drain(t, st)
	// The bot owns it now: an agent's reply in the old thread is not lost,
	// it re-opens the case.
	if ar, _ := e.HandleAgent(ctx, core.AgentMessage{About: cust, ID: "ev4", Agent: "Bo", Text: "hello?"}); ar.Action != core.AgentRelayed || !ar.Reopened || ar.Assignee != "Bo" {
		t.Fatalf("agent text while the bot owns it: %+v", ar)
	}
	if ob = outbox(t, st); len(ob) != 1 || ob[0].Text != "hello?" || ob[0].Key != cust {
		t.Fatalf("agent reply after the return = %+v", ob)
	}
}

func TestHandoffRules(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[0])
	withDesk := core.HandoffOptions{DeskPlatform: "desk", DeskChat: "C1", AfterFallbacks: 2, OnNegativeSentiment: true, IdleReturn: 30 * time.Minute}

	t.Run("after fallbacks", func(t *testing.T) {
		st := openStoreClock(t, t.TempDir(), clk.Now)
		defer st.Close()
		e := core.NewEngine(st, desk{}, core.EngineOptions{Now: clk.Now, Handoff: withDesk})
		r1, _ := e.Handle(ctx, msg("c", "1", "??"))
		r2, _ := e.Handle(ctx, msg("c", "2", "??"))
		if r1.Decision.Handoff || !r2.Decision.Handoff || !strings.Contains(r2.Decision.HandoffReason, "2 messages in a row") {
			t.Fatalf("fallback rule: %+v / %+v", r1.Decision, r2.Decision)
		}
		if len(r2.Replies) != 1 || !strings.Contains(r2.Replies[0].Text, "passing you") {
			t.Fatalf("customer not told about the handoff: %+v", r2.Replies)
		}
	})
	t.Run("negative sentiment", func(t *testing.T) {
		st := openStoreClock(t, t.TempDir(), clk.Now)
		defer st.Close()
		e := core.NewEngine(st, desk{}, core.EngineOptions{Now: clk.Now, Handoff: withDesk})
		r, _ := e.Handle(ctx, msg("c", "1", "awful"))
		if !r.Decision.Handoff || !strings.Contains(r.Decision.HandoffReason, "angry") {
			t.Fatalf("sentiment rule: %+v", r.Decision)
		}
	})
	t.Run("idle return on the next message and by sweep", func(t *testing.T) {
		st := openStoreClock(t, t.TempDir(), clk.Now)
		defer st.Close()
		e := core.NewEngine(st, desk{}, core.EngineOptions{Now: clk.Now, Handoff: withDesk})
		e.Handle(ctx, msg("a", "1", "human"))
		e.Handle(ctx, msg("b", "b1", "human"))
		clk.Add(31 * time.Minute)
		if n, err := e.Sweep(ctx); err != nil || n != 2 {
			t.Fatalf("sweep returned %d, %v; want 2", n, err)
		}
		r, _ := e.Handle(ctx, msg("a", "a2", "hello"))
		if len(r.Replies) != 1 || r.Replies[0].Text != "answer to hello" {
			t.Fatalf("after idle return: %+v", r.Replies)
		}
		// Lazily, without a sweep.
		e.Handle(ctx, msg("c", "c1", "human"))
		clk.Add(31 * time.Minute)
		r, _ = e.Handle(ctx, msg("c", "c2", "hello"))
		if len(r.Replies) != 2 || !strings.Contains(r.Replies[0].Text, "bot again") || r.Replies[1].Text != "answer to hello" {
			t.Fatalf("lazy idle return: %+v", r.Replies)
		}
	})
	t.Run("no desk: unavailable notice, the bot keeps it", func(t *testing.T) {
		st := openStoreClock(t, t.TempDir(), clk.Now)
		defer st.Close()
		e := core.NewEngine(st, desk{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{AfterFallbacks: 2}})
		r, _ := e.Handle(ctx, msg("c", "1", "human"))
		// The intent's "a person will take over" would be untrue: only the notice.
		if r.Decision.Handoff || len(r.Replies) != 1 || !strings.Contains(r.Replies[0].Text, "no one from our team") {
			t.Fatalf("no desk: %+v", r)
		}
		r, _ = e.Handle(ctx, msg("c", "2", "hello"))
		if len(r.Replies) != 1 || r.Replies[0].Text != "answer to hello" {
			t.Fatalf("bot stopped answering: %+v", r)
		}
		for _, o := range outbox(t, st) {
			if o.Kind != core.ReplyAnswer {
				t.Fatalf("desk message without a desk: %+v", o)
			}
		}
	})
}

// TestUndeliveredAgentReplyIsNotedInTheCase: an agent's reply that the
// customer's platform refuses for good (e.g. WeChat's 48-hour window) goes
// to the dead letters and the agents are told in the case thread.
func TestUndeliveredAgentReplyIsNotedInTheCase(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, t.TempDir())
	defer st.Close()
	opts := core.EngineOptions{Handoff: core.HandoffOptions{DeskPlatform: "desk", DeskChat: "C1"}}
	e := core.NewEngine(st, desk{}, opts)
	cust := newRecorder(func(_ int, r core.Reply) error {
		if r.From == core.AuthorAgent {
			return &core.SendError{Platform: "test", Code: "45015", Permanent: true, Err: errors.New("response out of time limit")}
		}
		return nil
	})
	deskRec := newRecorder(nil)
	deskRec.platform = "desk"
	d := core.NewDispatcher(st, []core.Sender{cust, deskRec}, core.DispatcherOptions{
		PollInterval: 20 * time.Millisecond, OnDeadLetter: e.NoteUndelivered})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = d.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()

	if _, err := e.Handle(ctx, msg("w1", "m1", "human")); err != nil {
		t.Fatal(err)
	}
	deskRec.await(t, 1, 5*time.Second) // the case
	if _, err := e.HandleAgent(ctx, core.AgentMessage{About: msg("w1", "", "").Key, ID: "a1", Agent: "Ana", Text: "Hello!"}); err != nil {
		t.Fatal(err)
	}
	d.Notify()
	// The assignment redraws the case (a status), then the note comes.
	var notes []core.Reply
	for _, r := range deskRec.await(t, 2, 5*time.Second) {
		if r.Kind != core.ReplyStatus {
			notes = append(notes, r)
		}
	}
	if len(notes) != 1 || notes[0].Kind != core.ReplyNote || !strings.Contains(notes[0].Text, "45015") || !strings.Contains(notes[0].Text, "Hello!") {
		t.Fatalf("note = %+v", notes[0])
	}
	if dls, _ := st.DeadLetters(ctx, 10); len(dls) != 1 {
		t.Fatalf("dead letters = %d, want 1", len(dls))
	}
}

func TestReplyDisplayText(t *testing.T) {
	if got := (core.Reply{From: core.AuthorAgent, AgentName: "Ana", Text: "hi"}).DisplayText(); got != "Ana: hi" {
		t.Fatal(got)
	}
	if got := (core.Reply{From: core.AuthorBot, Text: "hi"}).DisplayText(); got != "hi" {
		t.Fatal(got)
	}
}
