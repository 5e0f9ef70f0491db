package intents

import (
	"context"
	"fmt"
	"slices"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

// Overlap is a pair of labels the classifier confuses: examples of Label,
// held out of training, were taken for ConfusedWith.
type Overlap struct {
	Label, ConfusedWith string
	// Count of the Of held-out examples of Label went to ConfusedWith.
	Count, Of int
	// Examples are up to three of them.
	Examples []string
}

// Overlaps finds labels whose examples overlap: it trains folds models, each
// on all examples but one fold (see crossValidate), and reports the pairs (label, other) where at least
// two and at least a fifth of label's held-out examples were answered as
// other, most confused first. It is meant for `switchboard check`: it
// trains folds times. It returns an error when ctx is done or folds < 2.
func (u *Understander) Overlaps(ctx context.Context, folds int) ([]Overlap, error) {
	if folds < 2 {
		return nil, fmt.Errorf("intents: overlaps: want at least 2 folds, got %d", folds)
	}
	cv, err := crossValidate(ctx, u.training, nlu.Options{Seed: u.seed}, folds, false)
	if err != nil {
		return nil, fmt.Errorf("intents: overlaps: %w", err)
	}
	type pair struct{ a, b string }
	confused := map[pair][]string{}
	heldOf := map[string]int{}
	for i, top := range cv.top {
		if top.Label == "" {
			continue
		}
		e := u.training[i]
		heldOf[e.Label]++
		if top.Label != e.Label {
			confused[pair{e.Label, top.Label}] = append(confused[pair{e.Label, top.Label}], e.Text)
		}
	}
	var out []Overlap
	for p, texts := range confused {
		n := heldOf[p.a]
		if len(texts) >= 2 && 5*len(texts) >= n {
			out = append(out, Overlap{Label: p.a, ConfusedWith: p.b, Count: len(texts), Of: n, Examples: texts[:min(3, len(texts))]})
		}
	}
	slices.SortFunc(out, func(x, y Overlap) int {
		if c := y.Count*x.Of - x.Count*y.Of; c != 0 {
			return c
		}
		if x.Label != y.Label {
			return cmpString(x.Label, y.Label)
		}
		return cmpString(x.ConfusedWith, y.ConfusedWith)
	})
	return out, nil
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// overlapFolds is the number of folds CheckWarnings trains.
const overlapFolds = 4

// CheckWarnings returns warnings about the training data for `switchboard
// check`, at the position of the intent or FAQ entry concerned: pairs of
// labels whose examples overlap (see Overlaps), and intents and FAQ
// entries with fewer than recommendedExamples examples in a language
// they have examples in (the loader already warns below minExamples). It
// trains the bot overlapFolds more times; it returns an error only when
// ctx is done.
func (u *Understander) CheckWarnings(ctx context.Context) ([]Problem, error) {
	pos := map[string]Pos{}
	var out []Problem
	few := func(label string, p Pos, ex map[string][]string) {
		pos[label] = p
		for _, lang := range sortedKeys(ex) {
			if n := len(ex[lang]); n >= minExamples && n < recommendedExamples {
				out = append(out, Problem{File: p.File, Line: p.Line, Warning: true, Msg: fmt.Sprintf(
					"%s has only %d %s examples; %d–20 per language make it reliable", describeLabel(label), n, lang, recommendedExamples)})
			}
		}
	}
	for _, in := range u.bot.Intents {
		few(in.Name, in.Pos, in.Examples)
	}
	for _, f := range u.bot.FAQs {
		few(f.Label(), f.Pos, f.Questions)
	}
	overlaps, err := u.Overlaps(ctx, overlapFolds)
	if err != nil {
		return nil, err
	}
	for _, o := range overlaps {
		p := pos[o.Label]
		out = append(out, Problem{File: p.File, Line: p.Line, Warning: true, Msg: fmt.Sprintf(
			"%s overlaps %s: %d of its %d examples, held out of training, were taken for it (e.g. %q); make their examples more distinct or merge them",
			describeLabel(o.Label), describeLabel(o.ConfusedWith), o.Count, o.Of, o.Examples[0])})
	}
	return out, nil
}
