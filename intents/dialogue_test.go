package intents

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// pizzaBot is a small bot with one flow whose completion calls the action
// at actionURL (or says a response when actionURL is "").
func pizzaBot(actionURL string) string {
	done := `    response: {en: "One {{.Slots.size}} pizza for {{.Slots.count}} on {{.Slots.day}}, {{.Slots.confirm}}."}`
	if actionURL != "" {
		done = fmt.Sprintf(`    action:
      url: %s
      secret: s3cret
      allow_private: true
      timeout: 200ms
    max_attempts: 2
    on_failure: exit`, actionURL)
	}
	return `settings: {session_timeout: 10m, time_zone: Asia/Shanghai}
entities:
  size: {S: [small, 小号], L: [large, 大号]}
fallback: {en: "Sorry?", zh: "抱歉？"}
intents:
  - name: order_pizza
    examples: {en: [I want a pizza, order a pizza, pizza please, get me a pizza, can I order pizza, pizza delivery,
      I want a large pizza, a small pizza for two, order a large pizza for 2 tomorrow, pizza for four people on friday,
      I'd like to order pizza, can you deliver a pizza tomorrow]}
  - name: thanks
    examples: {en: [thanks, thank you, thanks a lot, great thanks, cheers, many thanks]}
    responses: {en: "You're welcome."}
  - name: opening_hours
    examples: {en: [when are you open, opening hours, what time do you open, are you open today, hours, when do you close]}
    responses: {en: "We open at noon."}
  - name: human
    handoff: true
    examples: {en: [agent, human, talk to a person, real person, staff member, customer service]}
    responses: {en: "Connecting you."}
flows:
  - name: pizza
    intent: order_pizza
    slots:
      - name: size
        entity: size
        prompt: {en: "Which size?"}
        reprompt: {en: "Small or large?"}
      - name: count
        entity: number
        prompt: {en: "For how many people?"}
        validate: {min: 1, max: 20}
      - name: day
        entity: date
        prompt: {en: "Which day?"}
      - name: confirm
        entity: yes_no
        prompt: {en: "{{.Slots.size}} for {{.Slots.count}} on {{.Slots.day}}, right?"}
        reask_on_no: [count]
` + done + "\n"
}

func newBot(t *testing.T, src string) *Understander {
	t.Helper()
	bot, err := Load(fstest.MapFS{"bot.yaml": {Data: []byte(src)}}, ".")
	if err != nil {
		t.Fatalf("Load:\n%v", err)
	}
	// A bot this small has no calibration data worth the name.
	u, err := New(t.Context(), bot, Options{Seed: 1, ConfidenceThreshold: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// conv plays a conversation through Understand, keeping the state between
// turns like the engine does.
type conv struct {
	t   *testing.T
	u   *Understander
	st  core.State
	now time.Time
}

func (c *conv) say(text string) core.Decision {
	c.t.Helper()
	d, err := c.u.Understand(c.t.Context(), core.Input{Text: text, State: c.st, Now: c.now})
	if err != nil {
		c.t.Fatalf("Understand(%q): %v", text, err)
	}
	c.st = d.State
	c.st.LastSeen = c.now
	c.now = c.now.Add(time.Minute)
	return d
}

func said(d core.Decision) string {
	var s []string
	for _, r := range d.Replies {
		s = append(s, r.Text)
	}
	return strings.Join(s, " | ")
}

func (c *conv) expect(text, want string) core.Decision {
	c.t.Helper()
	d := c.say(text)
	if !strings.Contains(said(d), want) {
		c.t.Fatalf("%q: replies %q, want %q (state %+v)", text, said(d), want, d.State)
	}
	return d
}

var tuesday = time.Date(2026, 11, 24, 20, 0, 0, 0, time.UTC) // already Wednesday in Shanghai

func TestFlowSlots(t *testing.T) {
	u := newBot(t, pizzaBot(""))
	c := &conv{t: t, u: u, now: tuesday}
	d := c.expect("I want a pizza", "Which size?")
	if d.Intent != "order_pizza" || d.State.Flow != "pizza" || d.State.FlowSlot != "size" {
		t.Fatalf("start: %+v", d)
	}
	if q := d.Replies[0].QuickReplies; strings.Join(q, ",") != "S,L" {
		t.Errorf("quick replies for a list slot = %v", q)
	}
	c.expect("purple", "Small or large?")
	if c.st.Attempts != 1 {
		t.Errorf("attempts = %d", c.st.Attempts)
	}
	c.expect("large", "For how many people?")
	c.expect("50", "For how many people?") // out of range: reprompt (none defined → prompt)
	c.expect("three", "Which day?")
	d = c.expect("tomorrow", "L for 3 on 2026-11-26, right?") // tomorrow in Shanghai
	if q := d.Replies[0].QuickReplies; strings.Join(q, ",") != "Yes,No" {
		t.Errorf("quick replies for yes_no = %v", q)
	}
	c.expect("no", "For how many people?") // reask_on_no: count
	if _, ok := c.st.Slots["count"]; ok {
		t.Error("count kept after no")
	}
	c.expect("4", "L for 4 on 2026-11-26, right?")
	d = c.expect("yes", "One L pizza for 4 on 2026-11-26, yes.")
	if d.State.Flow != "" || d.State.FlowSlot != "" || d.State.Slots["size"] != "L" {
		t.Errorf("after completion: %+v", d.State)
	}
}

func TestFlowPrefillInterruptCancelTimeout(t *testing.T) {
	u := newBot(t, pizzaBot(""))
	c := &conv{t: t, u: u, now: tuesday}
	d := c.expect("I want a large pizza for 2", "Which day?")
	if d.State.Slots["size"] != "L" || d.State.Slots["count"] != "2" {
		t.Fatalf("prefill: %+v", d.State.Slots)
	}
	d = c.expect("when are you open", "We open at noon. | Which day?")
	if d.Intent != "opening_hours" || d.State.Flow != "pizza" || d.State.Attempts != 0 {
		t.Errorf("interruption: %+v", d)
	}
	d = c.expect("actually make it small", "updated")
	if d.State.Slots["size"] != "S" || !strings.Contains(said(d), "Which day?") {
		t.Errorf("correction: %q %+v", said(d), d.State.Slots)
	}
	d = c.expect("never mind", "stopped")
	if d.State.Flow != "" {
		t.Errorf("cancel: %+v", d.State)
	}
	c.expect("pizza please", "Which size?")
	if c.st.Slots["size"] != "" {
		t.Errorf("a new flow kept the old size %q", c.st.Slots["size"])
	}
	c.now = c.now.Add(11 * time.Minute)
	d = c.say("large")
	if d.State.Flow != "" || d.State.Slots != nil || !d.Fallback {
		t.Errorf("after the session timeout: %+v", d)
	}
	c.expect("pizza please", "Which size?")
	d = c.expect("human", "Connecting you.")
	if !d.Handoff || d.State.Flow != "" {
		t.Errorf("handoff in a flow: %+v", d)
	}
}

func TestFlowFailure(t *testing.T) {
	src := strings.Replace(pizzaBot(""), "    response:", "    max_attempts: 2\n    on_failure: exit\n    response:", 1)
	u := newBot(t, src)
	c := &conv{t: t, u: u, now: tuesday}
	c.expect("I want a pizza", "Which size?")
	c.expect("purple", "Small or large?")
	d := c.expect("green", "still didn't get that")
	if d.Handoff || d.State.Flow != "" {
		t.Errorf("exit: %+v", d)
	}
	u = newBot(t, pizzaBot(""))
	c = &conv{t: t, u: u, now: tuesday}
	c.say("I want a pizza")
	c.say("purple")
	c.say("green")
	d = c.say("blue")
	if !d.Handoff || d.HandoffReason != "flow pizza: no valid size after 3 attempts" || d.State.Flow != "" {
		t.Errorf("handoff: %+v", d)
	}
}

func TestFlowGone(t *testing.T) {
	u := newBot(t, pizzaBot(""))
	d, err := u.Understand(t.Context(), core.Input{Text: "when are you open",
		State: core.State{Flow: "burger", FlowSlot: "bun", Attempts: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if d.State.Flow != "" || d.State.Attempts != 0 || len(d.Replies) != 2 ||
		!strings.Contains(d.Replies[0].Text, "can't continue") || d.Replies[1].Text != "We open at noon." {
		t.Errorf("flow gone: %+v", d)
	}
}

func TestSentimentOnEveryTurn(t *testing.T) {
	u := newBot(t, pizzaBot(""))
	c := &conv{t: t, u: u, now: tuesday}
	if d := c.say("this is terrible, I'm furious"); d.Sentiment > -0.5 {
		t.Errorf("sentiment %v", d.Sentiment)
	}
	c.say("I want a pizza")
	if d := c.say("large, great!"); d.Sentiment <= 0 {
		t.Errorf("sentiment in a flow %v", d.Sentiment)
	}
}

// actionServer is the bot owner's service: it checks the signature and
// answers as told by mode.
type actionServer struct {
	mode  atomic.Value // "ok", "slow", "garbage", "500", "empty"
	calls atomic.Int64
	last  atomic.Value // ActionRequest
}

func (s *actionServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	body, _ := io.ReadAll(r.Body)
	if !VerifySignature("s3cret", body, r.Header.Get(SignatureHeader)) || r.Method != http.MethodPost {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req ActionRequest
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.last.Store(req)
	switch s.mode.Load() {
	case "slow":
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	case "garbage":
		io.WriteString(w, "<html>oops</html>")
	case "500":
		http.Error(w, "boom", http.StatusInternalServerError)
	case "empty":
		io.WriteString(w, `{"text": "  "}`)
	default:
		json.NewEncoder(w).Encode(ActionReply{Text: fmt.Sprintf("Booked %s pizza %s for %s.", req.Slots["size"], req.ConversationID[:4], req.Language),
			QuickReplies: []string{"Track it"}})
	}
}

func TestActionWebhook(t *testing.T) {
	srv := &actionServer{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	u := newBot(t, pizzaBot(ts.URL+"/hook?token=abc"))
	for _, mode := range []string{"slow", "garbage", "500", "empty"} {
		t.Run(mode, func(t *testing.T) {
			srv.mode.Store(mode)
			c := &conv{t: t, u: u, now: tuesday}
			c.say("I want a large pizza for 2 tomorrow")
			start := time.Now()
			d := c.expect("yes", "something went wrong")
			if time.Since(start) > time.Second {
				t.Errorf("the action's 200ms timeout took %v", time.Since(start))
			}
			if d.State.Flow != "pizza" || d.State.FlowSlot != "" || strings.Join(d.Replies[0].QuickReplies, ",") != "Retry,Cancel" {
				t.Fatalf("after a failed action: %+v", d)
			}
			srv.mode.Store("ok")
			d = c.expect("retry", "Booked L pizza")
			if d.State.Flow != "" || strings.Join(d.Replies[0].QuickReplies, ",") != "Track it" {
				t.Errorf("after retry: %+v", d)
			}
			req := srv.last.Load().(ActionRequest)
			if req.Flow != "pizza" || req.Language != "en" || req.Slots["count"] != "2" || req.Slots["day"] != "2026-11-26" ||
				req.Slots[conversationSlot] != "" || len(req.ConversationID) != 32 || len(req.RequestID) != 32 {
				t.Errorf("request = %+v", req)
			}
		})
	}
	// Two failures in a row: max_attempts 2, on_failure exit.
	srv.mode.Store("500")
	c := &conv{t: t, u: u, now: tuesday}
	c.say("I want a large pizza for 2 tomorrow")
	c.expect("yes", "something went wrong")
	d := c.expect("retry", "something went wrong")
	if d.State.Flow != "" || len(d.Replies[0].QuickReplies) != 0 {
		t.Errorf("after the last attempt: %+v", d)
	}
	// Cancel instead of retry; any other message leaves the flow too.
	c.say("I want a large pizza for 2 tomorrow")
	c.say("yes")
	if d := c.expect("cancel", "stopped"); d.State.Flow != "" {
		t.Errorf("cancel after a failed action: %+v", d.State)
	}
	c.say("I want a large pizza for 2 tomorrow")
	c.say("yes")
	if d := c.expect("when are you open", "noon"); d.State.Flow != "" {
		t.Errorf("question after a failed action: %+v", d.State)
	}
	// An unreachable service.
	ts.Close()
	c.say("I want a large pizza for 2 tomorrow")
	if d := c.expect("yes", "something went wrong"); d.State.Flow != "pizza" {
		t.Errorf("unreachable: %+v", d.State)
	}
}

func TestActionErrorsNameNoSecret(t *testing.T) {
	u := newBot(t, pizzaBot("http://127.0.0.1:1/hook?token=abc"))
	f := u.bot.flow("pizza")
	_, err := u.callAction(context.Background(), f, core.ConversationKey{}, core.State{Slots: map[string]string{"size": "L"}}, "en")
	if err == nil || strings.Contains(err.Error(), "token") || strings.Contains(err.Error(), "s3cret") ||
		!strings.Contains(err.Error(), "http://127.0.0.1:1/hook") {
		t.Errorf("error = %v", err)
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"a":1}`)
	sig := Sign("k", body)
	if !strings.HasPrefix(sig, "sha256=") || len(sig) != 7+64 || !VerifySignature("k", body, sig) ||
		VerifySignature("other", body, sig) || VerifySignature("k", []byte(`{"a":2}`), sig) {
		t.Errorf("Sign = %s", sig)
	}
}

func TestOwnerMessages(t *testing.T) {
	src := pizzaBot("") + `responses:
  cancelled: {en: "Fine, forgotten."}
  cancel_button: {en: "Stop it all"}
  returned: {en: "The bot is back, {{.UserName}}."}
`
	u := newBot(t, src)
	c := &conv{t: t, u: u, now: tuesday}
	c.say("I want a pizza")
	if d := c.expect("Stop it all", "Fine, forgotten."); d.State.Flow != "" {
		t.Errorf("the owner's cancel button did not cancel: %+v", d.State)
	}
	c.say("I want a pizza")
	c.expect("please cancel", "Fine, forgotten.")
	r, ok := u.Notice(core.NoticeReturned, core.Input{State: core.State{UserName: "Ann"}})
	if !ok || r.Text != "The bot is back, Ann." {
		t.Errorf("returned notice = %q, %v", r.Text, ok)
	}
	if _, ok := u.Notice(core.NoticeUnavailable, core.Input{}); ok {
		t.Error("unavailable notice without a text of the bot")
	}
}
