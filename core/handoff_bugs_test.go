package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// shop is a scripted bot closer to a real one than desk: an intent that
// starts a flow, sentiment on every message, media-free fallbacks.
type shop struct{}

func (shop) Understand(_ context.Context, in core.Input) (core.Decision, error) {
	st := in.State
	d := core.Decision{State: st}
	switch {
	case strings.Contains(in.Text, "annoyed"):
		// Matches order tracking (a flow) and is strongly negative.
		d.Intent, d.Confidence, d.Sentiment = "order_status", 0.9, -0.85
		d.State.Flow, d.State.FlowSlot = "track_order", "order_number"
		d.Replies = []core.ReplyText{{Text: "What's your order number?"}}
	case strings.Contains(in.Text, "bit unhappy"):
		d.Intent, d.Confidence, d.Sentiment = "order_status", 0.9, -0.6
		d.Replies = []core.ReplyText{{Text: "Sorry to hear that. What's your order number?"}}
	case strings.Contains(in.Text, "AB123456"):
		d.Intent, d.Confidence = "order_status", 0.9
		d.State.Slots = map[string]string{"order_number": "AB123456", "_internal": "x"}
		d.Replies = []core.ReplyText{{Text: "Order AB123456 is on its way."}}
	case in.Text == "agent":
		d.Intent, d.Confidence, d.Handoff = "talk_to_human", 0.95, true
		d.Replies = []core.ReplyText{{Text: "Of course, let me get a colleague."}}
	case in.Text == "??":
		d.Fallback = true
		d.State.Fallbacks++
		d.Replies = []core.ReplyText{{Text: "Sorry?"}}
	default:
		d.Intent, d.Confidence = "answer", 0.9
		d.State.Fallbacks = 0
		d.Replies = []core.ReplyText{{Text: "answer to " + in.Text}}
	}
	return d, nil
}

func deskOpts(clk *fakeclock.Clock) core.EngineOptions {
	return core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
		DeskPlatform: "desk", DeskChat: "C1", AfterFallbacks: 2, OnNegativeSentiment: true,
		IdleReturn: 30 * time.Minute, UnassignedAlert: 5 * time.Minute, Notify: "<!subteam^S123>",
		NotePrefix: "//", PublicURL: "https://bot.example/",
	}}
}

func newShop(t *testing.T) (*core.Engine, core.Store, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(fakeclock.Bases()[1])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	t.Cleanup(func() { st.Close() })
	return core.NewEngine(st, shop{}, deskOpts(clk)), st, clk
}

func handle(t *testing.T, e *core.Engine, m core.Message) core.Result {
	t.Helper()
	r, err := e.Handle(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func agent(t *testing.T, e *core.Engine, a core.AgentMessage) core.AgentResult {
	t.Helper()
	r, err := e.HandleAgent(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func texts(rs []core.Reply) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Text)
	}
	return out
}

// Bug 1: a negative message that also matches an intent opened a case but
// the customer only got the intent's flow question.
func TestHandoffIsNeverSilent(t *testing.T) {
	e, st, _ := newShop(t)
	r := handle(t, e, msg("c", "1", "my order is late and I'm annoyed"))
	if !r.Decision.Handoff {
		t.Fatalf("no handoff: %+v", r.Decision)
	}
	if got := texts(r.Replies); len(got) != 1 || !strings.Contains(got[0], "passing you") {
		t.Fatalf("customer was told %q, want the handoff notice only", got)
	}
	s, _, _ := st.Load(context.Background(), msg("c", "", "").Key, nil)
	if s.Flow != "" || s.FlowSlot != "" || s.Handoff == nil {
		t.Fatalf("flow question left pending in a handed-off conversation: %+v", s)
	}
	// A customer who asked for a person gets the intent's own answer.
	e2, _, _ := newShop(t)
	r = handle(t, e2, msg("d", "1", "agent"))
	if got := texts(r.Replies); len(got) != 1 || got[0] != "Of course, let me get a colleague." {
		t.Fatalf("asked for a person: told %q", got)
	}
}

// Bug 2: a case that cannot be posted left the customer waiting.
func TestUnpostableCaseReturnsToTheBot(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[2])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	reg := prometheus.NewRegistry()
	opts := deskOpts(clk)
	opts.Metrics = core.NewMetrics(reg, nil)
	e := core.NewEngine(st, shop{}, opts)
	handle(t, e, msg("c", "1", "agent"))
	var cs core.Reply
	for _, r := range outbox(t, st) {
		if r.Kind == core.ReplyCase {
			cs = r
		}
	}
	drain(t, st)
	for i := range 2 { // a second dead letter of the same cause is not logged again
		if err := e.NoteUndelivered(ctx, cs, "slack: chat.postMessage to C1: not_in_channel"); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			ob := outbox(t, st)
			if len(ob) != 1 || ob[0].Key != cs.About || !strings.Contains(ob[0].Text, "no one from our team is available") {
				t.Fatalf("customer told %+v, want the unavailable notice", ob)
			}
		}
	}
	s, _, _ := st.Load(ctx, cs.About, nil)
	if s.Handoff != nil {
		t.Fatalf("conversation still waiting for an agent after the case failed: %+v", s.Handoff)
	}
	want := "# HELP switchboard_handoff_case_failures_total Cases that could not be posted to the support desk (the customer was told nobody is available), by desk platform.\n" +
		"# TYPE switchboard_handoff_case_failures_total counter\nswitchboard_handoff_case_failures_total{platform=\"desk\"} 2\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "switchboard_handoff_case_failures_total"); err != nil {
		t.Fatal(err)
	}
	r := handle(t, e, msg("c", "2", "hello"))
	if got := texts(r.Replies); len(got) != 1 || got[0] != "answer to hello" {
		t.Fatalf("bot does not answer after the failed case: %q", got)
	}
}

// Bug 4: idle return counted only agent messages, warned nobody, and an
// agent reply after the return was dropped.
func TestIdleReturnCountsActivityAndWarns(t *testing.T) {
	ctx := context.Background()
	e, st, clk := newShop(t)
	key := msg("c", "", "").Key
	handle(t, e, msg("c", "1", "agent"))
	agent(t, e, core.AgentMessage{About: key, ID: "a1", Agent: "Ana", AgentID: "UANA", Text: "Hi, I'm Ana."})
	drain(t, st)

	// The customer keeps talking, an agent adds a note: the case is active.
	clk.Add(20 * time.Minute)
	handle(t, e, msg("c", "2", "here are the details"))
	clk.Add(20 * time.Minute)
	agent(t, e, core.AgentMessage{About: key, ID: "a2", Agent: "Bo", AgentID: "UBO", Text: "!note checking the warehouse"})
	clk.Add(20 * time.Minute)
	if n, err := e.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep changed %d (%v): an active case was touched", n, err)
	}
	drain(t, st)

	// 26 minutes without activity: one warning in the thread, then the return.
	clk.Add(6 * time.Minute)
	if n, _ := e.Sweep(ctx); n != 1 {
		t.Fatal("no idle warning")
	}
	ob := outbox(t, st)
	if len(ob) != 1 || ob[0].Kind != core.ReplyNote || !strings.Contains(ob[0].Text, "returns to the bot in 4m0s unless someone replies") {
		t.Fatalf("idle warning = %q", texts(ob))
	}
	drain(t, st)
	if n, _ := e.Sweep(ctx); n != 0 {
		t.Fatal("warned twice")
	}
	clk.Add(5 * time.Minute)
	if n, _ := e.Sweep(ctx); n != 1 {
		t.Fatal("no idle return")
	}
	if sts := statuses(t, st); len(sts) != 1 || sts[0].Status != core.CaseReturned || !strings.Contains(sts[0].StatusLine(), "no activity for 30m0s") {
		t.Fatalf("case status after idle return = %+v", sts)
	}
	drain(t, st)

	// Ana answers a minute later: the case re-opens and her reply is sent.
	clk.Add(time.Minute)
	ar := agent(t, e, core.AgentMessage{About: key, ID: "a3", Agent: "Ana", AgentID: "UANA", Text: "Found it: it ships today."})
	if ar.Action != core.AgentRelayed || !ar.Reopened {
		t.Fatalf("agent reply after the return: %+v", ar)
	}
	if ob := outbox(t, st); len(ob) != 1 || ob[0].Text != "Found it: it ships today." || ob[0].Key != key {
		t.Fatalf("agent reply after the return was not sent: %+v", ob)
	}
	s, _, _ := st.Load(ctx, key, nil)
	if s.Handoff == nil || s.Handoff.Agent != "Ana" {
		t.Fatalf("case not re-opened for Ana: %+v", s.Handoff)
	}
}

// Bug 5: the unassigned reminder was posted inside the thread.
func TestUnassignedReminderIsVisible(t *testing.T) {
	e, st, clk := newShop(t)
	handle(t, e, msg("c", "1", "agent"))
	drain(t, st)
	clk.Add(5 * time.Minute)
	if n, _ := e.Sweep(context.Background()); n != 1 {
		t.Fatal("no reminder")
	}
	ob := outbox(t, st)
	if len(ob) != 1 || !ob[0].Broadcast || ob[0].Mention != "<!subteam^S123>" || !strings.Contains(ob[0].Text, "waited 5m0s") {
		t.Fatalf("reminder = %+v", ob)
	}
}

// Bug 6: a second agent's chatter reached the customer.
func TestOnlyTheAssigneeReachesTheCustomer(t *testing.T) {
	e, st, _ := newShop(t)
	key := msg("c", "", "").Key
	handle(t, e, msg("c", "1", "agent"))
	drain(t, st)
	steps := []struct {
		id, who, uid, text string
		want               core.AgentAction
		sent               bool
	}{
		{"a1", "Ana", "UANA", "Hi, Ana here.", core.AgentRelayed, true},
		{"a2", "Bo", "UBO", "Ana, is this the VIP from yesterday?", core.AgentNotAssignee, false},
		{"a3", "Ana", "UANA", "// yes, be nice", core.AgentNoted, false},
		{"a4", "Bo", "UBO", "!note I will check stock", core.AgentNoted, false},
		{"a5", "Ana", "UANA", "One moment please.", core.AgentRelayed, true},
		{"a6", "Bo", "UBO", "!take", core.AgentTook, false},
		{"a7", "Bo", "UBO", "Hello, Bo here, I'll take over.", core.AgentRelayed, true},
		{"a8", "Ana", "UANA", "thanks Bo", core.AgentNotAssignee, false},
	}
	for _, s := range steps {
		ar := agent(t, e, core.AgentMessage{About: key, ID: s.id, Agent: s.who, AgentID: s.uid, Text: s.text})
		ob := outbox(t, st)
		if ar.Action != s.want || (len(ob) == 1) != s.sent {
			t.Fatalf("%s %q: action %s, sent %q; want %s, sent=%v", s.who, s.text, ar.Action, texts(ob), s.want, s.sent)
		}
		drain(t, st)
	}
}

// Bug 7: agent edits were dropped.
func TestAgentEditSendsACorrection(t *testing.T) {
	e, st, clk := newShop(t)
	key := msg("c", "", "").Key
	handle(t, e, msg("c", "1", "agent"))
	sent := clk.Now()
	agent(t, e, core.AgentMessage{About: key, ID: "a1", Agent: "Ana", Text: "Your refund is 50 EUR."})
	agent(t, e, core.AgentMessage{About: key, ID: "a2", Agent: "Ana", Text: "!note internal"})
	drain(t, st)
	clk.Add(2 * time.Minute)
	ar := agent(t, e, core.AgentMessage{About: key, ID: "a1-edit1", EditOf: "a1", SentAt: sent, Agent: "Ana", Text: "Your refund is 55 EUR."})
	ob := outbox(t, st)
	if ar.Action != core.AgentCorrected || len(ob) != 1 || ob[0].Corrects != "agent.a1" ||
		ob[0].DisplayText() != "(correction) Ana: Your refund is 55 EUR." {
		t.Fatalf("edit: %+v, outbox %+v", ar, ob)
	}
	drain(t, st)
	// A note never reached the customer: its edit must not either.
	if ar := agent(t, e, core.AgentMessage{About: key, ID: "a2-edit", EditOf: "a2", SentAt: sent, Agent: "Ana", Text: "!note internal, edited"}); ar.Action != core.AgentEditIgnored {
		t.Fatalf("edit of a note: %+v", ar)
	}
	// Too late.
	clk.Add(time.Hour)
	if ar := agent(t, e, core.AgentMessage{About: key, ID: "a1-edit2", EditOf: "a1", SentAt: sent, Agent: "Ana", Text: "Your refund is 60 EUR."}); ar.Action != core.AgentEditIgnored {
		t.Fatalf("late edit: %+v", ar)
	}
	if ob := outbox(t, st); len(ob) != 0 {
		t.Fatalf("ignored edits sent %q", texts(ob))
	}
}

// Bug 8: one mildly negative message (a factual complaint) went to a
// human; anger, or frustration twice in a row, does.
func TestSentimentNeedsAngerOrRepetition(t *testing.T) {
	e, _, _ := newShop(t)
	if r := handle(t, e, msg("c", "1", "I'm a bit unhappy")); r.Decision.Handoff {
		t.Fatalf("one mildly negative message handed off: %s", r.Decision.HandoffReason)
	}
	if r := handle(t, e, msg("c", "2", "hello")); r.Decision.Handoff {
		t.Fatal("neutral message handed off")
	}
	handle(t, e, msg("c", "3", "still a bit unhappy"))
	if r := handle(t, e, msg("c", "4", "really a bit unhappy")); !r.Decision.Handoff || !strings.Contains(r.Decision.HandoffReason, "two negative messages in a row") {
		t.Fatalf("two negative messages in a row: %+v", r.Decision)
	}
}

// Bug 9: two stickers in a row counted as two fallbacks.
func TestMediaIsNotAFallback(t *testing.T) {
	e, _, _ := newShop(t)
	for i, id := range []string{"1", "2", "3"} {
		m := msg("c", id, "")
		m.Note = "[sticker]"
		r := handle(t, e, m)
		if r.Decision.Handoff || r.Decision.Fallback || len(r.Replies) != 1 || !strings.Contains(r.Replies[0].Text, "only read text") {
			t.Fatalf("media message %d: %+v", i, r)
		}
	}
	// A real fallback after media still needs two in a row.
	if r := handle(t, e, msg("c", "4", "??")); r.Decision.Handoff {
		t.Fatal("one fallback after media handed off")
	}
}

// Part 3: the case card tells an agent who, what and what was collected.
func TestCaseCard(t *testing.T) {
	e, st, _ := newShop(t)
	web := core.Message{Key: core.ConversationKey{Platform: "web", Chat: "s-9f3c", User: "s-9f3c"}, ID: "w1", Text: "where is AB123456"}
	handle(t, e, web)
	web.ID, web.Text = "w2", "I'm a bit unhappy"
	handle(t, e, web)
	web.ID, web.Text = "w3", "agent"
	handle(t, e, web)
	var card *core.CaseCard
	for _, r := range outbox(t, st) {
		if r.Kind == core.ReplyCase {
			card = r.Case
		}
	}
	if card == nil {
		t.Fatal("no case card")
	}
	if !strings.HasPrefix(card.Customer, "Web visitor ") || len(card.Customer) != len("Web visitor 0000") {
		t.Errorf("customer = %q", card.Customer)
	}
	if card.Platform != "web" || card.Status != core.CaseWaiting || card.Reason != "customer asked for a person" {
		t.Errorf("card = %+v", card)
	}
	if strings.Join(card.Intents, ",") != "order_status,talk_to_human" {
		t.Errorf("intents = %v", card.Intents)
	}
	if len(card.Slots) != 1 || card.Slots["order_number"] != "AB123456" {
		t.Errorf("slots = %v (internal slots must not show)", card.Slots)
	}
	if !strings.Contains(card.Sentiment, "negative") && !strings.Contains(card.Sentiment, "neutral") {
		t.Errorf("sentiment = %q", card.Sentiment)
	}
	if card.TranscriptURL != "https://bot.example/admin/conversations/web:s-9f3c:s-9f3c" {
		t.Errorf("transcript url = %q", card.TranscriptURL)
	}
	for _, want := range []string{"Web visitor", "order_number: AB123456", "customer: agent", "!close"} {
		if !strings.Contains(card.Text(), want) {
			t.Errorf("case text lacks %q:\n%s", want, card.Text())
		}
	}
	if a, b := core.CustomerName(web.Key, ""), core.CustomerName(web.Key, ""); a != b {
		t.Errorf("visitor name not stable: %q, %q", a, b)
	}
}

// Issue 14 item 4: a customer cannot open more than MaxCasesPerHour cases
// in an hour; after the hour they can again.
func TestCasesPerHourAreCapped(t *testing.T) {
	e, _, clk := newShop(t)
	key := msg("c", "", "").Key
	for i := range 4 {
		r := handle(t, e, msg("c", fmt.Sprintf("ask%d", i), "agent"))
		if want := i < 3; r.Decision.Handoff != want {
			t.Fatalf("case %d: handoff %v, want %v (%+v)", i+1, r.Decision.Handoff, want, r.Replies)
		}
		if i == 3 && !strings.Contains(r.Replies[0].Text, "no one from our team is available") {
			t.Fatalf("fourth case in an hour: told %q", texts(r.Replies))
		}
		agent(t, e, core.AgentMessage{About: key, ID: fmt.Sprintf("back%d", i), Agent: "Ana", Text: "!bot"})
		clk.Add(10 * time.Minute)
	}
	clk.Add(31 * time.Minute) // the first case is now more than an hour old
	if r := handle(t, e, msg("c", "later", "agent")); !r.Decision.Handoff {
		t.Fatal("no case after the hour")
	}
}

// Issue 14 item 4: customer messages that wait to be relayed together are
// posted to the case thread as one message.
func TestRelaysAreCoalesced(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[1])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	e := core.NewEngine(st, shop{}, deskOpts(clk))
	handle(t, e, msg("c", "1", "agent"))
	for i := range 5 {
		handle(t, e, msg("c", fmt.Sprintf("burst%d", i), fmt.Sprintf("line %d", i)))
	}
	desk := newRecorder(nil)
	desk.platform = "desk"
	opts := fastOpts()
	opts.Now = clk.Now
	d := core.NewDispatcher(st, []core.Sender{newRecorder(nil), desk}, opts)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = d.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()
	got := desk.await(t, 2, 5*time.Second) // the case, then one relay
	if got[0].Kind != core.ReplyCase || got[1].Kind != core.ReplyRelay || got[1].Text != "line 0\nline 1\nline 2\nline 3\nline 4" {
		t.Fatalf("desk got %+v", got)
	}
	time.Sleep(100 * time.Millisecond)
	if calls, _ := desk.snapshot(); len(calls) != 2 {
		t.Fatalf("desk called %d times, want 2 (case + one coalesced relay)", len(calls))
	}
	if n, _ := st.OutboxLen(ctx); n != 0 {
		t.Fatalf("outbox holds %d entries after the coalesced relay", n)
	}
}
