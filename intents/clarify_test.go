package intents

import (
	"testing"
	"testing/fstest"

	"github.com/switchboard-gw/switchboard/core"
)

const clarifyBot = `
intents:
  - name: shoe_sale
    examples: {en: [blue shoes sale, blue shoes discount, sale on blue shoes, blue shoes on sale, discounted blue shoes]}
    responses: {en: ["The blue shoes are 20 percent off."]}
  - name: shoe_price
    examples: {en: [blue shoes price, blue shoes cost, price of blue shoes, what do blue shoes cost, cost of blue shoes]}
    responses: {en: ["Blue shoes cost 60 euros."]}
  - name: greeting
    examples: {en: [hello, hi there, good morning, hey, good evening]}
    responses: {en: [Hello!]}
faq:
  - id: warranty
    questions: {en: [how long is the warranty on shoes, what warranty do you give]}
    answer: {en: Two years.}
fallback:
  en: ["Sorry?"]
`

func newClarifyBot(t *testing.T, threshold float64) *Understander {
	t.Helper()
	bot, err := Load(fstest.MapFS{"bot.yaml": {Data: []byte(clarifyBot)}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(t.Context(), bot, Options{Seed: 1, ConfidenceThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestClarifyingQuestion: when the two best answers are equally likely the
// bot asks which one is meant, offering one phrase of each; pressing one
// gets its answer.
func TestClarifyingQuestion(t *testing.T) {
	u := newClarifyBot(t, 0.2)
	ranked := u.r.rank("blue shoes")
	if ranked[0].Prob-ranked[1].Prob > AmbiguityMargin {
		t.Fatalf("test premise: %q is not ambiguous: %+v", "blue shoes", ranked[:2])
	}
	d, err := u.Understand(t.Context(), core.Input{Text: "blue shoes"})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Replies) != 1 || d.Replies[0].Text != "Just to be sure, which of these do you mean?" || d.Fallback || d.Intent != "" {
		t.Fatalf("decision = %+v", d)
	}
	got := d.Replies[0].QuickReplies
	if len(got) != 2 || !(got[0] == "blue shoes sale" && got[1] == "blue shoes price" || got[0] == "blue shoes price" && got[1] == "blue shoes sale") {
		t.Fatalf("quick replies = %q", got)
	}
	d, err = u.Understand(t.Context(), core.Input{Text: got[0], State: d.State})
	if err != nil || d.Intent == "" || len(d.Replies) != 1 || len(d.Replies[0].QuickReplies) != 0 {
		t.Fatalf("pressing %q: %+v %v", got[0], d, err)
	}
	// A clear question is answered directly.
	if d, _ := u.Understand(t.Context(), core.Input{Text: "what do blue shoes cost"}); d.Intent != "shoe_price" {
		t.Fatalf("clear question: %+v", d)
	}
}

// TestFAQBySimilarity: an FAQ entry is matched by the cosine similarity of
// its closest question when that is high, and only then.
func TestFAQBySimilarity(t *testing.T) {
	u := newClarifyBot(t, 0.5)
	var warranty float64
	for _, p := range u.r.rank("how long is the warranty") {
		if p.Label == "faq:warranty" {
			warranty = p.Prob
		}
	}
	probs := u.r.model.Predict("how long is the warranty")
	var raw float64
	for _, p := range probs {
		if p.Label == "faq:warranty" {
			raw = p.Prob
		}
	}
	if warranty < FAQMinCosine || warranty < raw {
		t.Fatalf("FAQ score %.2f (classifier %.2f): similarity did not count", warranty, raw)
	}
	if d, _ := u.Understand(t.Context(), core.Input{Text: "how long is the warranty"}); d.Intent != "faq:warranty" {
		t.Fatalf("decision = %+v", d)
	}
	// Function words alone do not make an FAQ match.
	for _, p := range u.r.rank("how long is the flight to lima") {
		if p.Label == "faq:warranty" && p.Prob >= FAQMinCosine {
			t.Fatalf("unrelated question scored %.2f for the FAQ", p.Prob)
		}
	}
}
