package intents

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents/nlu"
)

func TestAcceptShareThreshold(t *testing.T) {
	scores := []float64{0.9, 0.1, 0.5, 0.3, 0.2, 0.05, 0.4, 0.6, 0.7, 0.8}
	for _, tc := range []struct {
		share    float64
		answered int
	}{{0, 0}, {0.1, 1}, {0.15, 1}, {0.2, 2}, {0.5, 5}} {
		th := acceptShareThreshold(scores, tc.share)
		n := 0
		for _, s := range scores {
			if s >= th {
				n++
			}
		}
		if n != tc.answered {
			t.Errorf("share %.2f: threshold %v answers %d, want %d", tc.share, th, n, tc.answered)
		}
	}
	if th := acceptShareThreshold(nil, 0.1); th != 0 {
		t.Errorf("no scores: %v", th)
	}
	if th := acceptShareThreshold(scores, 1); th != 0 {
		t.Errorf("share 1: %v, want 0 (answer all)", th)
	}
}

func TestWrongRateThreshold(t *testing.T) {
	// From the top: right, right, wrong, right, wrong, wrong.
	scores := []float64{0.9, 0.8, 0.7, 0.6, 0.5, 0.4}
	correct := []bool{true, true, false, true, false, false}
	for _, tc := range []struct {
		share, want float64
	}{
		{0, 0.8},    // answer the two right ones only
		{0.25, 0.6}, // 1 wrong of 4
		{0.4, 0.5},  // 2 of 5
		{0.5, 0.4},  // 3 of 6
	} {
		if got := wrongRateThreshold(scores, correct, tc.share); got != tc.want {
			t.Errorf("share %.2f: %v, want %v", tc.share, got, tc.want)
		}
	}
	// Wrong from the start: the threshold with the lowest rate.
	if got := wrongRateThreshold([]float64{0.9, 0.8, 0.7}, []bool{false, true, true}, 0.1); got != 0.7 {
		t.Errorf("no threshold meets the share: %v, want 0.7 (1 wrong of 3)", got)
	}
	// Ties are not split.
	if got := wrongRateThreshold([]float64{0.9, 0.5, 0.5}, []bool{true, true, false}, 0); got != 0.9 {
		t.Errorf("ties: %v, want 0.9", got)
	}
}

// TestDecide covers the three outcomes of the rule and the clarification
// conditions on a bot with a fixed threshold.
func TestDecide(t *testing.T) {
	u := newClarifyBot(t, 0.4)
	if v := u.decide("what do blue shoes cost", "en"); v.Act != ActAnswer || v.Label != "shoe_price" || v.Threshold != 0.4 {
		t.Errorf("clear question: %+v", v)
	}
	v := u.decide("blue shoes", "en")
	if v.Act != ActClarify || v.RunnerUp == "" || !strings.Contains(v.Reason, "both plausible") {
		t.Errorf("ambiguous: %+v", v)
	}
	if v := u.decide("zebra crossing lanterns", "en"); v.Act != ActFallback || !strings.Contains(v.Reason, "below the threshold") {
		t.Errorf("unknown words: %+v", v)
	}
	if v := u.decide("  ", "en"); v.Act != ActFallback || v.Reason != "no text" {
		t.Errorf("no text: %+v", v)
	}
}

// TestDecideClarifyNeedsAStandOutPair: a flat ranking (three or more
// candidates alike) is "no idea", not "one of these two".
func TestDecideClarifyNeedsAStandOutPair(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	for _, text := range []string{"what's the weather like tomorrow", "明天天气怎么样", "purple monkey dishwasher"} {
		lang := "en"
		if strings.ContainsRune(text, '天') {
			lang = "zh"
		}
		v := u.decide(text, lang)
		if v.Act != ActFallback {
			t.Errorf("%q: %s (%s), want fallback", text, v.Act, v.Reason)
		}
	}
}

// TestCalibratedThresholdRejectsGenericOutOfScope: the sample bot answers
// at most 15% of the built-in out-of-scope sentences of each language, as
// calibrate promises, and its thresholds are per language.
func TestCalibratedThresholdRejectsGenericOutOfScope(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	for _, lang := range []string{"en", "zh"} {
		if _, ok := u.byLang[lang]; !ok {
			t.Fatalf("no %s threshold: %s", lang, u.Report())
		}
		answered := 0
		for _, text := range genericOutOfScope[lang] {
			if v := u.decide(text, lang); v.Act != ActFallback {
				answered++
			}
		}
		if share := float64(answered) / float64(len(genericOutOfScope[lang])); share > maxOOSAnswered+0.05 {
			t.Errorf("%s: %d of %d generic out-of-scope sentences answered or clarified", lang, answered, len(genericOutOfScope[lang]))
		}
	}
	if u.Threshold() != math.Max(u.byLang["en"], u.byLang["zh"]) {
		t.Errorf("threshold %v for other languages, want the highest of %v", u.Threshold(), u.byLang)
	}
	if !strings.Contains(u.Report(), "generic out-of-scope") || !strings.Contains(u.Report(), "4 folds") {
		t.Errorf("report does not say how: %s", u.Report())
	}
}

const smallTalkBot = `
settings: {small_talk: %s}
intents:
  - name: greeting
    examples: {en: [hello, hi, hey there, good morning, howdy]}
    responses: {en: ["Welcome to Blue Shoes!"]}
  - name: shoe_price
    examples: {en: [blue shoes price, blue shoes cost, price of blue shoes, what do blue shoes cost, cost of blue shoes]}
    responses: {en: ["Blue shoes cost 60 euros."]}
responses:
  bot_identity: {en: "I'm Shoebot, a bot."}
fallback:
  en: ["Sorry?"]
`

func TestSmallTalk(t *testing.T) {
	load := func(onOff string) *Understander {
		t.Helper()
		bot, err := Load(fstest.MapFS{"bot.yaml": {Data: []byte(strings.Replace(smallTalkBot, "%s", onOff, 1))}}, ".")
		if err != nil {
			t.Fatal(err)
		}
		u, err := New(t.Context(), bot, Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	u := load("on")
	tests := []struct {
		text, intent, says string
	}{
		{"are you a robot?", "smalltalk:bot_identity", "I'm Shoebot, a bot."}, // the owner's text
		{"ok", "smalltalk:acknowledge", "anything else"},
		{"好的", "smalltalk:acknowledge", "还有什么"},
		{"thank you!", "smalltalk:thanks", "welcome"},
		{"goodbye", "smalltalk:goodbye", "Goodbye"},
		{"hi", "greeting", "Blue Shoes"}, // the owner's own greeting replaces the built-in one
		{"never mind", "smalltalk:never_mind", "No problem"},
		{"算了", "smalltalk:never_mind", "没问题"},
	}
	for _, tc := range tests {
		d, err := u.Understand(t.Context(), core.Input{Text: tc.text, State: core.State{Fallbacks: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if d.Intent != tc.intent || d.Fallback || len(d.Replies) != 1 || !strings.Contains(strings.ToLower(d.Replies[0].Text), strings.ToLower(tc.says)) {
			t.Errorf("%q: intent %q fallback %v replies %v; want %q saying %q", tc.text, d.Intent, d.Fallback, d.Replies, tc.intent, tc.says)
		}
		if d.State.Fallbacks != 0 {
			t.Errorf("%q: fallbacks %d, want the count reset", tc.text, d.State.Fallbacks)
		}
	}
	if _, ok := u.answers[SmallTalkPrefix+SmallTalkGreeting]; ok {
		t.Error("built-in greeting trained although the bot has its own")
	}
	off := load("off")
	for label := range off.answers {
		if isSmallTalk(label) {
			t.Errorf("small_talk: off still trains %s", label)
		}
	}
	if d, _ := off.Understand(t.Context(), core.Input{Text: "never mind"}); d.Intent != "" {
		t.Errorf("small_talk: off: never mind → %q", d.Intent)
	}
	if _, err := Load(fstest.MapFS{"bot.yaml": {Data: []byte(strings.Replace(smallTalkBot, "%s", "maybe", 1))}}, "."); err == nil ||
		!strings.Contains(err.Error(), "settings.small_talk") {
		t.Errorf("small_talk: maybe: %v", err)
	}
}

func TestExplain(t *testing.T) {
	u := sampleUnderstander(t, Options{})
	e := u.Explain("how much is postage to austria", "", 3)
	if e.Action != ActAnswer || e.Label != "faq:shipping_costs" || e.Language != "en" || len(e.Candidates) != 3 {
		t.Fatalf("explanation: %+v", e)
	}
	c := e.Candidates[0]
	if c.Label != e.Label || c.Models[ModelClassifier] <= 0 || c.Score < c.Models[ModelClassifier] || c.Example == "" {
		t.Errorf("first candidate: %+v", c)
	}
	var b strings.Builder
	if err := e.Write(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"decision: answer with faq:shipping_costs", "why: faq:shipping_costs scores", "threshold: ", "calibrated", "1. faq:shipping_costs", "classifier 0."} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	if e := u.Explain("what's the weather like tomorrow", "", 5); e.Action != ActFallback || !strings.Contains(e.Reason, "below the threshold") {
		t.Errorf("out of scope: %+v", e)
	}
	if e := u.Explain("I want to speak to a manager", "", 5); e.Action != ActAnswer || !e.Handoff {
		t.Errorf("manager: %+v", e)
	}
	if e := u.Explain("forget it", "", 5); e.Label != "smalltalk:never_mind" {
		t.Errorf("never mind: %+v", e)
	}
}

const overlapBot = `
intents:
  - name: refund
    examples: {en: [I want my money back, refund please, give me a refund, money back for my order, refund my purchase, I need a refund]}
    responses: {en: [Refund.]}
  - name: refund_status
    examples: {en: [where is my refund, refund status, my money back status, refund not received, status of my refund, refund please check]}
    responses: {en: [Status.]}
  - name: hours
    examples: {en: [opening hours, when are you open, what time do you open, are you open on sunday, closing time, business hours, open today]}
    responses: {en: [Nine to five.]}
fallback:
  en: ["Sorry?"]
`

func TestCheckWarnings(t *testing.T) {
	bot, err := Load(fstest.MapFS{"bot.yaml": {Data: []byte(overlapBot)}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(t.Context(), bot, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ws, err := u.CheckWarnings(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, w := range ws {
		if !w.Warning || w.File != "bot.yaml" || w.Line == 0 {
			t.Errorf("warning without position: %+v", w)
		}
		text = append(text, w.String())
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{`intent "refund" has only 6 en examples`, `intent "hours" has only 7 en examples`, "overlaps"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, `intent "hours" overlaps`) {
		t.Errorf("a distinct intent reported as overlapping:\n%s", all)
	}
	// The sample bot has no overlapping intents.
	sample := sampleUnderstander(t, Options{})
	ws, err = sample.CheckWarnings(t.Context())
	if err != nil || len(ws) != 0 {
		t.Errorf("sample bot: %v %v", ws, err)
	}
	if _, err := u.Overlaps(t.Context(), 1); err == nil {
		t.Error("1 fold accepted")
	}
}

func TestCrossValidate(t *testing.T) {
	var ex []nlu.Example
	for i := range 8 {
		ex = append(ex, nlu.Example{Text: fmt.Sprintf("blue shoes %d", i), Label: "shoes"},
			nlu.Example{Text: fmt.Sprintf("red hats %d", i), Label: "hats"})
	}
	ex = append(ex, nlu.Example{Text: "hello", Label: "smalltalk:greeting"}, nlu.Example{Text: "hi", Label: "smalltalk:greeting"},
		nlu.Example{Text: "lonely", Label: "single"})
	for _, tc := range []struct{ folds, heldPerLabel int }{{4, 8}, {1, 2}} {
		cv, err := crossValidate(t.Context(), ex, nlu.Options{Seed: 1}, tc.folds, false)
		if err != nil {
			t.Fatal(err)
		}
		held := map[string]int{}
		for i, p := range cv.top {
			if p.Label != "" {
				held[ex[i].Label]++
			}
		}
		if held["shoes"] != tc.heldPerLabel || held["hats"] != tc.heldPerLabel || held["smalltalk:greeting"] != 0 || held["single"] != 0 {
			t.Errorf("%d folds: held out %v, want %d of shoes and hats, no small talk, not the only example", tc.folds, held, tc.heldPerLabel)
		}
	}
}
