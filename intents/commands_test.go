package intents

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/switchboard-gw/switchboard/core"
)

func TestCommands(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	inFlow := core.State{Flow: "return_request", FlowSlot: "order_id", Fallbacks: 1, Language: "en"}
	tests := []struct {
		name         string
		text, cmd    string
		lang         string
		state        core.State
		intent, flow string
		reply        string // substring of the first reply
	}{
		// "/start" used to be classified as the text "start" and began the
		// return flow ("start a return").
		{name: "start", text: "/start", cmd: "start", reply: "Welcome to Example Shop, Ann!"},
		{name: "start deep link", text: "/start ref-42", cmd: "start", reply: "Welcome to Example Shop, Ann!"},
		{name: "start ends a flow", text: "/start", cmd: "start", state: inFlow, reply: "Welcome"},
		{name: "start in Chinese", text: "/start", cmd: "start", lang: "zh", reply: "欢迎光临 Example Shop，Ann！"},
		{name: "help", text: "/help", cmd: "help", reply: "/start"},
		{name: "help keeps the flow", text: "/help", cmd: "help", state: inFlow, flow: "return_request", reply: "/start"},
		{name: "intent by name", text: "/opening_hours", cmd: "opening_hours", intent: "opening_hours", reply: "Monday to Friday"},
		{name: "faq by id", text: "/shipping_costs", cmd: "shipping_costs", intent: "faq:shipping_costs", reply: "€50"},
		{name: "dash and case", text: "/Shipping-Costs", cmd: "Shipping-Costs", intent: "faq:shipping_costs", reply: "€50"},
		{name: "flow with arguments", text: "/order_status AB123456", cmd: "order_status", intent: "order_status", flow: ""},
		{name: "unknown", text: "/frobnicate", cmd: "frobnicate", reply: "don't know that command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := u.Understand(t.Context(), core.Input{Text: tt.text, Command: tt.cmd, Language: tt.lang,
				UserName: "Ann", State: tt.state.Clone()})
			if err != nil {
				t.Fatalf("Understand: %v", err)
			}
			if d.Intent != tt.intent || d.State.Flow != tt.flow {
				t.Errorf("intent %q flow %q, want %q %q (replies %q)", d.Intent, d.State.Flow, tt.intent, tt.flow, d.Replies)
			}
			if d.Fallback || d.Handoff || d.State.Fallbacks != 0 && tt.cmd == "start" {
				t.Errorf("Fallback %v Handoff %v Fallbacks %d", d.Fallback, d.Handoff, d.State.Fallbacks)
			}
			if len(d.Replies) == 0 || !strings.Contains(d.Replies[0].Text, tt.reply) {
				t.Errorf("replies %q, want the first containing %q", d.Replies, tt.reply)
			}
		})
	}
}

func TestCommandFlowArgumentsFillSlots(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	d, err := u.Understand(t.Context(), core.Input{Text: "/order_status AB123456", Command: "order_status"})
	if err != nil {
		t.Fatal(err)
	}
	if d.State.Slots["order_id"] != "AB123456" {
		t.Errorf("slots %v, want order_id AB123456 from the command's argument (replies %q)", d.State.Slots, d.Replies)
	}
}

func TestWelcomeResponse(t *testing.T) {
	files := fstest.MapFS{"bot.yaml": {Data: []byte(`
fallback: {en: ["Sorry?"]}
responses:
  welcome:
    en: ["Welcome to Acme, {{.UserName}}!"]
  help:
    en: ["Ask about prices or delivery."]
intents:
  - name: greeting
    examples: {en: [hello, hi there, good morning]}
    responses: {en: ["Hi!"]}
  - name: prices
    examples: {en: [how much is it, what does it cost, price list]}
    responses: {en: ["See our price list."]}
`)}}
	bot, err := Load(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(t.Context(), bot, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for cmd, want := range map[string]string{"start": "Welcome to Acme, Ann!", "help": "Ask about prices or delivery."} {
		d, err := u.Understand(t.Context(), core.Input{Text: "/" + cmd, Command: cmd, UserName: "Ann"})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Replies) != 1 || d.Replies[0].Text != want {
			t.Errorf("/%s: replies %q, want %q", cmd, d.Replies, want)
		}
	}
}

// Without responses.welcome, /start says the greeting intent's answer.
func TestWelcomeDefaultsToGreeting(t *testing.T) {
	files := fstest.MapFS{"bot.yaml": {Data: []byte(`
fallback: {en: ["Sorry?"]}
intents:
  - name: greeting
    examples: {en: [hello, hi there, good morning]}
    responses: {en: ["Hi {{.UserName}}, how can I help?"]}
    quick_replies: {en: [Prices]}
  - name: prices
    examples: {en: [how much is it, what does it cost, price list]}
    responses: {en: ["See our price list."]}
`)}}
	bot, err := Load(files, ".")
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(t.Context(), bot, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	d, err := u.Understand(t.Context(), core.Input{Text: "/start", Command: "start", UserName: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Intent != "greeting" || len(d.Replies) != 1 || d.Replies[0].Text != "Hi Ann, how can I help?" ||
		len(d.Replies[0].QuickReplies) != 1 {
		t.Errorf("intent %q replies %q", d.Intent, d.Replies)
	}
}

// Stickers, photos and voice notes without text are no fallbacks: two in a
// row used to hand the conversation to a person.
func TestNoTextIsNoFallback(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	st := core.State{Fallbacks: 1}
	for i := range 3 {
		d, err := u.Understand(t.Context(), core.Input{Text: "", State: st})
		if err != nil {
			t.Fatal(err)
		}
		if d.Fallback || d.Handoff || d.State.Fallbacks != 1 {
			t.Fatalf("message %d: Fallback %v Handoff %v Fallbacks %d", i, d.Fallback, d.Handoff, d.State.Fallbacks)
		}
		if len(d.Replies) != 1 || !strings.Contains(d.Replies[0].Text, "only read text") {
			t.Fatalf("replies %q", d.Replies)
		}
		st = d.State
	}
}

func TestSuggest(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	got := u.Suggest("opening", "en", 5)
	if len(got) == 0 || len(got) > 5 || !strings.Contains(strings.ToLower(got[0]), "opening") {
		t.Errorf("Suggest(opening) = %q", got)
	}
	if got := u.Suggest("运费", "", 3); len(got) == 0 || !strings.Contains(got[0], "运费") {
		t.Errorf("Suggest(运费) = %q", got)
	}
	all := u.Suggest("", "en", 100)
	if len(all) < 5 {
		t.Errorf("Suggest(\"\") = %q", all)
	}
	for _, s := range all {
		if s == u.phrases("talk_to_human", "en")[0] {
			t.Errorf("handoff intent proposed: %q", s)
		}
	}
	if got := u.Suggest("x", "en", 0); got != nil {
		t.Errorf("n=0 gave %q", got)
	}
}
