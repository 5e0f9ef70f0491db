package intents

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/switchboard-gw/switchboard/core"
)

// Model names in ExplainCandidate.Models.
const (
	ModelClassifier    = "classifier"     // the lexical classifier's probability
	ModelFAQSimilarity = "faq_similarity" // cosine of the most similar FAQ question (FAQ entries only)
)

// ExplainCandidate is one label as the decision rule saw it.
type ExplainCandidate struct {
	Label string
	// Score is what the rule compares with the threshold: the models'
	// scores combined.
	Score float64
	// Models holds each model's own score for the label (see the Model
	// constants); a model that has no opinion on the label is absent.
	Models map[string]float64
	// Example is one example phrase of the label ("" for none).
	Example string
}

// Explanation says how the bot decides on a message outside a flow: the
// best candidates, the threshold and what it does and why. It is for
// owners (`switchboard explain`, `chat --debug`), not customers.
type Explanation struct {
	Text     string
	Language string
	// Action is ActAnswer, ActClarify or ActFallback; for the built-in
	// "never mind" it is ActAnswer with Label smalltalk:never_mind.
	Action string
	// Label is the answer (ActAnswer) or the best candidate; RunnerUp the
	// other candidate of a clarifying question.
	Label, RunnerUp string
	Threshold       float64
	// ThresholdHow says how the threshold was picked.
	ThresholdHow string
	Reason       string
	// Handoff is set when the answer hands the conversation to a person.
	Handoff    bool
	Candidates []ExplainCandidate
}

// Explain returns how the bot decides on text outside a flow (inside a
// flow a message is first read as the answer to the pending question).
// lang "" detects the language as Understand does. top bounds the number of
// candidates (at least 1). It is safe for concurrent use.
func (u *Understander) Explain(text, lang string, top int) Explanation {
	if lang == "" {
		lang = u.language(core.Input{Text: text})
	}
	e := Explanation{Text: text, Language: lang, ThresholdHow: u.how}
	if u.isNeverMind(text) {
		e.Action, e.Label, e.Threshold = ActAnswer, SmallTalkPrefix+SmallTalkNeverMind, u.thresholdFor(lang)
		e.Reason = "a built-in \"never mind\" phrase: no fallback, a short reply (inside a flow it cancels the flow)"
		return e
	}
	v := u.decide(text, lang)
	e.Action, e.Label, e.RunnerUp, e.Threshold, e.Reason = v.Act, v.Label, v.RunnerUp, v.Threshold, v.Reason
	if v.Act == ActClarify && (u.answers[v.Label].handoff || u.answers[v.RunnerUp].handoff) {
		e.RunnerUp = ""
		if v.Score >= v.Threshold {
			e.Action = ActAnswer
			e.Reason += "; but a request for a person is never second-guessed: answering"
		} else {
			e.Action = ActFallback
			e.Reason += "; but a request for a person is never second-guessed, and alone it is below the threshold: fallback"
		}
	}
	e.Handoff = e.Action == ActAnswer && u.answers[e.Label].handoff
	models := u.modelScores(text)
	for i, p := range v.Ranked {
		if i >= max(top, 1) {
			break
		}
		e.Candidates = append(e.Candidates, ExplainCandidate{Label: p.Label, Score: p.Prob, Models: models[p.Label],
			Example: u.examplePhrase(p.Label, lang)})
	}
	return e
}

// modelScores returns each model's score per label for text, as rank
// combines them.
func (u *Understander) modelScores(text string) map[string]map[string]float64 {
	r := u.r
	out := map[string]map[string]float64{}
	for _, p := range r.model.Predict(text) {
		out[p.Label] = map[string]float64{ModelClassifier: p.Prob}
	}
	if r.faqs > 0 {
		for _, n := range r.model.Nearest(text, r.faqs) {
			if m := out[n.Label]; m != nil {
				m[ModelFAQSimilarity] = max(m[ModelFAQSimilarity], n.Cosine)
			}
		}
	}
	return out
}

// Write prints the explanation for a terminal: the decision and why, the
// threshold, and one line per candidate with each model's score.
func (e Explanation) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "text: %q (language %s)\n", e.Text, e.Language)
	switch e.Action {
	case ActAnswer:
		fmt.Fprintf(&b, "decision: answer with %s", e.Label)
		if e.Handoff {
			b.WriteString(" (hands off to a person)")
		}
		b.WriteString("\n")
	case ActClarify:
		fmt.Fprintf(&b, "decision: ask which one is meant: %s or %s\n", e.Label, e.RunnerUp)
	default:
		b.WriteString("decision: fallback (\"I didn't get that\")\n")
	}
	fmt.Fprintf(&b, "why: %s\n", e.Reason)
	fmt.Fprintf(&b, "threshold: %.3f (%s)\n", e.Threshold, e.ThresholdHow)
	if len(e.Candidates) > 0 {
		b.WriteString("candidates:\n")
	}
	for i, c := range e.Candidates {
		names := make([]string, 0, len(c.Models))
		for m := range c.Models {
			names = append(names, m)
		}
		sort.Strings(names)
		var parts []string
		for _, m := range names {
			note := ""
			if m == ModelFAQSimilarity && c.Models[m] < FAQMinCosine {
				note = fmt.Sprintf(" (unused below %.2f)", FAQMinCosine)
			}
			parts = append(parts, fmt.Sprintf("%s %.3f%s", m, c.Models[m], note))
		}
		fmt.Fprintf(&b, "  %d. %-28s score %.3f  [%s]", i+1, c.Label, c.Score, strings.Join(parts, ", "))
		if c.Example != "" {
			fmt.Fprintf(&b, "  e.g. %q", c.Example)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
