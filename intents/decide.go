package intents

import (
	"fmt"
	"strings"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

// What the bot does with a message outside a flow.
const (
	ActAnswer   = "answer"   // says the best candidate's answer
	ActClarify  = "clarify"  // asks which of the two best candidates is meant
	ActFallback = "fallback" // says it did not understand
)

// clarifyRatio is how close the runner-up must come to the best candidate,
// as a share of its score, for the bot to ask which one is meant.
const clarifyRatio = 0.7

// verdict is the decision rule's outcome for one text.
type verdict struct {
	Act       string
	Label     string  // the best candidate ("" when there is no text)
	RunnerUp  string  // the second candidate, for ActClarify
	Score     float64 // the best candidate's score
	Threshold float64 // the threshold applied (of the text's language)
	Reason    string  // why, in one sentence for owners
	Ranked    []nlu.Prediction
}

// thresholdFor returns the confidence threshold of a language: its own
// calibrated one, else the bot's.
func (u *Understander) thresholdFor(lang string) float64 {
	if t, ok := u.byLang[lang]; ok {
		return t
	}
	return u.threshold
}

// decide applies the decision rule to text in lang:
//
//   - the best candidate scores at least the threshold and the runner-up is
//     not a close second: answer;
//   - the two best are close (within AmbiguityMargin, and the runner-up
//     at least clarifyRatio of the best), both are plausible (the
//     runner-up scores at least half the threshold, the third at most half
//     the runner-up) and together they reach the threshold: ask which one is meant (one of the two is very
//     likely right, but not which);
//   - otherwise: fall back.
//
// The threshold targets a rate of wrong answers (see calibrate), so a bot
// that is unsure says so instead of guessing.
func (u *Understander) decide(text, lang string) verdict {
	th := u.thresholdFor(lang)
	v := verdict{Act: ActFallback, Threshold: th}
	if strings.TrimSpace(text) == "" {
		v.Reason = "no text"
		return v
	}
	v.Ranked = u.rank(text)
	top := v.Ranked[0]
	v.Label, v.Score = top.Label, top.Prob
	var second, third nlu.Prediction
	if len(v.Ranked) > 1 {
		second = v.Ranked[1]
	}
	if len(v.Ranked) > 2 {
		third = v.Ranked[2]
	}
	// Close: within AmbiguityMargin and the runner-up at least
	// clarifyRatio of the best (with 150 intents scores are small, and an
	// absolute margin alone made the bot ask about one message in seven
	// on CLINC150 val). Plausible: the runner-up reaches half the
	// threshold, the two together reach it, and they stand out: the third
	// scores at most half the runner-up (a flat ranking means "no idea",
	// not "one of these two").
	close := top.Prob-second.Prob <= AmbiguityMargin && second.Prob >= clarifyRatio*top.Prob
	plausible := second.Prob >= th/2 && top.Prob+second.Prob >= th && third.Prob <= second.Prob/2
	switch {
	case close && plausible:
		v.Act, v.RunnerUp = ActClarify, second.Label
		v.Reason = fmt.Sprintf("%s (%.2f) and %s (%.2f) are both plausible and within %.2f of each other: asking which one",
			top.Label, top.Prob, second.Label, second.Prob, AmbiguityMargin)
	case top.Prob >= th:
		v.Act = ActAnswer
		v.Reason = fmt.Sprintf("%s scores %.2f, at or above the threshold %.2f", top.Label, top.Prob, th)
	default:
		v.Reason = fmt.Sprintf("the best candidate, %s, scores %.2f, below the threshold %.2f", top.Label, top.Prob, th)
	}
	return v
}
