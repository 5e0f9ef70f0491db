package intents

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents/sentiment"
)

func sampleUnderstander(t *testing.T, opts Options) *Understander {
	t.Helper()
	bot, err := Load(Sample(), ".")
	if err != nil {
		t.Fatalf("Load sample: %v", err)
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	u, err := New(t.Context(), bot, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return u
}

func TestUnderstandSample(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	tests := []struct {
		text, hint   string
		intent, lang string // intent "" means fallback
		reply        string // a substring of the reply
		handoff      bool
	}{
		{text: "what are your opening hours", intent: "opening_hours", lang: "en", reply: "We're open Monday to Friday"},
		{text: "你们几点开门", intent: "opening_hours", lang: "zh", reply: "我们周一至周五 9:00–18:00 营业"},
		{text: "When do you close on Saturday?", intent: "opening_hours", lang: "en", reply: "Saturday 10:00–14:00"},
		{text: "我的快递到哪了", intent: "order_status", lang: "zh", reply: "订单号"},
		{text: "Where is my order? It's been a week", intent: "order_status", lang: "en", reply: "order number"},
		{text: "I'd like to return these shoes", intent: "return_request", lang: "en", reply: "order number"},
		{text: "what is your return policy", intent: "returns_policy", lang: "en", reply: "30 days"},
		{text: "退货政策是怎样的", intent: "returns_policy", lang: "zh", reply: "30 天"},
		{text: "我要修改收货地址", intent: "change_address", lang: "zh", reply: "订单号"},
		{text: "how much is shipping to france", intent: "faq:shipping_costs", lang: "en", reply: "€50"},
		{text: "运费是多少钱", intent: "faq:shipping_costs", lang: "zh", reply: "包邮"},
		{text: "can I pay with PayPal?", intent: "faq:payment_methods", lang: "en", reply: "PayPal"},
		{text: "可以用支付宝付款吗", intent: "faq:payment_methods", lang: "zh", reply: "支付宝"},
		{text: "how long does delivery take to Spain", intent: "faq:delivery_time", lang: "en", reply: "2–4 working days"},
		{text: "I want to talk to a human", intent: "talk_to_human", lang: "en", reply: "member of our team", handoff: true},
		{text: "转人工客服", intent: "talk_to_human", lang: "zh", reply: "人工客服", handoff: true},
		{text: "thank you so much", intent: "thanks", lang: "en"},
		{text: "好的再见", intent: "goodbye", lang: "zh"},
		{text: "hello", intent: "greeting", lang: "en", reply: "Ann"},
		// The hint wins over detection.
		{text: "opening hours", hint: "zh", intent: "opening_hours", lang: "zh", reply: "营业"},
		// A language the bot does not speak gets the default language.
		{text: "what are your opening hours", hint: "fr", intent: "opening_hours", lang: "en", reply: "We're open"},
		// Out of scope.
		{text: "what is the capital of peru", lang: "en"},
		{text: "asdkjh qwe zxcvb", lang: "en"},
		{text: "what's the weather like tomorrow", lang: "en"},
		{text: "北京明天天气怎么样", lang: "zh"},
	}
	for _, tt := range tests {
		t.Run(tt.text+"/"+tt.hint, func(t *testing.T) {
			in := core.Input{Text: tt.text, Language: tt.hint, UserName: "Ann",
				State: core.State{Fallbacks: 1, LastIntent: "previous"}}
			d, err := u.Understand(t.Context(), in)
			if err != nil {
				t.Fatalf("Understand: %v", err)
			}
			if d.Intent != tt.intent || d.Language != tt.lang || d.Handoff != tt.handoff {
				t.Fatalf("got intent %q (%.2f) lang %q handoff %v; want %q %q %v (reply %q)",
					d.Intent, d.Confidence, d.Language, d.Handoff, tt.intent, tt.lang, tt.handoff, d.Replies)
			}
			if len(d.Replies) != 1 || d.Replies[0].Text == "" || !strings.Contains(d.Replies[0].Text, tt.reply) {
				t.Errorf("replies %q, want one containing %q", d.Replies, tt.reply)
			}
			if d.State.UserName != "Ann" {
				t.Errorf("State.UserName = %q", d.State.UserName)
			}
			if tt.intent == "" {
				if !d.Fallback || d.Confidence != 0 || d.State.Fallbacks != 2 || d.State.LastIntent != "previous" {
					t.Errorf("fallback decision: Fallback %v Confidence %v Fallbacks %d LastIntent %q",
						d.Fallback, d.Confidence, d.State.Fallbacks, d.State.LastIntent)
				}
				return
			}
			if d.Fallback || d.Confidence < u.Threshold() || d.Confidence > 1 ||
				d.State.Fallbacks != 0 || d.State.LastIntent != tt.intent {
				t.Errorf("decision: Fallback %v Confidence %v (threshold %v) Fallbacks %d LastIntent %q",
					d.Fallback, d.Confidence, u.Threshold(), d.State.Fallbacks, d.State.LastIntent)
			}
			if tt.handoff && d.HandoffReason != HandoffReasonAsked {
				t.Errorf("HandoffReason = %q", d.HandoffReason)
			}
		})
	}
}

func TestUnderstandLanguageAndState(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	ctx := t.Context()
	slots := map[string]string{"order_id": "SB-1"}
	in := core.Input{Text: "谢谢", State: core.State{Slots: slots, Turns: 3}}
	d, err := u.Understand(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if d.State.Language != "zh" || d.State.Turns != 3 || d.State.Slots["order_id"] != "SB-1" {
		t.Errorf("state = %+v", d.State)
	}
	d.State.Slots["order_id"] = "changed"
	if slots["order_id"] != "SB-1" {
		t.Error("Understand shares the input's Slots map with the decision")
	}
	// No letters: the conversation's language, then the default.
	for _, tc := range []struct{ stateLang, want string }{{"zh", "zh"}, {"", "en"}} {
		d, err := u.Understand(ctx, core.Input{Text: "123 ???", State: core.State{Language: tc.stateLang}})
		if err != nil {
			t.Fatal(err)
		}
		if !d.Fallback || d.Language != tc.want || d.State.Language != tc.want {
			t.Errorf("state language %q: fallback %v language %q, want fallback in %q", tc.stateLang, d.Fallback, d.Language, tc.want)
		}
	}
	// Quick replies come in the reply's language.
	d, _ = u.Understand(ctx, core.Input{Text: "你好"})
	if d.Intent != "greeting" || len(d.Replies[0].QuickReplies) == 0 || d.Replies[0].QuickReplies[0] != "营业时间" {
		t.Errorf("greeting quick replies = %q", d.Replies[0].QuickReplies)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := u.Understand(canceled, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Understand with canceled ctx: %v", err)
	}
}

func TestUnderstandDeterministic(t *testing.T) {
	a := sampleUnderstander(t, Options{Seed: 42})
	b := sampleUnderstander(t, Options{Seed: 42})
	if a.Threshold() != b.Threshold() {
		t.Errorf("thresholds differ with the same seed: %v, %v", a.Threshold(), b.Threshold())
	}
	seen := map[string]bool{}
	for turns := range 20 {
		in := core.Input{Text: "hello", State: core.State{Turns: turns}}
		da, _ := a.Understand(t.Context(), in)
		db, _ := b.Understand(t.Context(), in)
		if da.Replies[0].Text != db.Replies[0].Text || da.Confidence != db.Confidence {
			t.Fatalf("turn %d: %q (%v) vs %q (%v)", turns, da.Replies[0].Text, da.Confidence, db.Replies[0].Text, db.Confidence)
		}
		seen[da.Replies[0].Text] = true
	}
	if len(seen) != 2 {
		t.Errorf("greeting variants over 20 turns: %v, want both", seen)
	}
}

func TestNewOptions(t *testing.T) {
	bot, err := Load(Sample(), ".")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	u, err := New(t.Context(), bot, Options{Seed: 1, ConfidenceThreshold: 0.5, DefaultLanguage: "zh",
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if u.Threshold() != 0.5 {
		t.Errorf("Threshold = %v, want 0.5", u.Threshold())
	}
	for _, want := range []string{"intents: 15, faq entries: 7", "en 272, zh 265", "default language: zh", "flows: 3, entity types: 11, session timeout: 30m0s, time zone: Europe/Berlin",
		"0.500 (set in configuration)"} {
		if !strings.Contains(u.Report(), want) {
			t.Errorf("Report %q lacks %q", u.Report(), want)
		}
	}
	if !strings.Contains(logs.String(), "classifier trained") {
		t.Errorf("no training log line: %s", logs.String())
	}
	d, _ := u.Understand(t.Context(), core.Input{Text: "1234"}) // no letters: default language
	if d.Language != "zh" {
		t.Errorf("DefaultLanguage option ignored: reply in %q", d.Language)
	}
	r, ok := u.HandoffReply(core.Input{Text: "hmm", State: core.State{Language: "zh"}})
	if !ok || !strings.Contains(r.Text, "Someone will reply") {
		t.Errorf("HandoffReply = %q, %v (the text \"hmm\" is English)", r.Text, ok)
	}

	cal := sampleUnderstander(t, Options{})
	if th := cal.Threshold(); th <= 0 || th >= 1 || !strings.Contains(cal.Report(), "calibrated") {
		t.Errorf("calibrated threshold %v, report %q", th, cal.Report())
	}

	for _, bad := range []float64{-0.1, 1, 1.5} {
		if _, err := New(t.Context(), bot, Options{ConfidenceThreshold: bad}); err == nil {
			t.Errorf("threshold %v accepted", bad)
		}
	}
	if _, err := New(t.Context(), nil, Options{}); err == nil {
		t.Error("nil bot accepted")
	}
	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := New(canceled, bot, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("New with canceled ctx: %v", err)
	}
}

func TestNewSmallBots(t *testing.T) {
	load := func(src string) *Bot {
		t.Helper()
		bot, err := Load(fstest.MapFS{"a.yaml": {Data: []byte(src)}}, ".")
		if err != nil {
			t.Fatal(err)
		}
		return bot
	}
	one := load("intents:\n  - {name: a, examples: {en: [hi, hello]}, responses: {en: A}}\nfallback: {en: x}\n")
	if _, err := New(t.Context(), one, Options{}); err == nil {
		t.Error("New with one label succeeded; a classifier needs two")
	}
	// One example per label: calibration cannot hold any out.
	tiny := load("intents:\n  - {name: a, examples: {en: [hi]}, responses: {en: A}}\n" +
		"  - {name: b, examples: {en: [bye]}, responses: {en: B}}\nfallback: {en: x}\n")
	u, err := New(t.Context(), tiny, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if u.Threshold() != 0.75 || !strings.Contains(u.Report(), "calibration impossible") {
		t.Errorf("tiny bot: threshold %v, report %q", u.Threshold(), u.Report())
	}
	if _, ok := u.HandoffReply(core.Input{}); ok {
		t.Error("HandoffReply without a handoff message returned ok")
	}
}

func TestUnderstandConcurrent(t *testing.T) {
	u := sampleUnderstander(t, Options{Seed: 0})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			texts := []string{"hello", "你好", "where is my order", "what is the capital of peru", "AB123456"}
			for j := range 50 {
				st := core.State{}
				if j%2 == 1 {
					st = core.State{Flow: "order_status", FlowSlot: "order_id"}
				}
				d, err := u.Understand(t.Context(), core.Input{Text: texts[(i+j)%len(texts)], State: st})
				if err != nil || len(d.Replies) == 0 || d.Replies[0].Text == "" {
					t.Errorf("Understand: %v, %v", d, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// The engine's sentiment rule (core cannot import package sentiment) uses
// the same thresholds as sentiment.Angry.
func TestSentimentThresholdsMatchCore(t *testing.T) {
	if core.DefaultAngrySentiment != sentiment.AngryAtOrBelow || core.DefaultNegativeSentiment != sentiment.FrustratedBelow || sentiment.FrustratedRun != 2 {
		t.Fatalf("core: angry %v, frustrated %v; sentiment: %v, %v, run %d", core.DefaultAngrySentiment, core.DefaultNegativeSentiment,
			sentiment.AngryAtOrBelow, sentiment.FrustratedBelow, sentiment.FrustratedRun)
	}
}
