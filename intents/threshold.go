package intents

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

// Targets of the threshold calibration (see calibrate). They were chosen on
// CLINC150's validation split (150 intents, 10 examples each, with its
// out-of-scope queries), never on its test split; the README reports both.
const (
	// maxOOSAnswered is the share of the built-in out-of-scope sentences
	// the bot may answer instead of falling back.
	maxOOSAnswered = 0.15
	// resembleCosine: a generic out-of-scope sentence this similar to one
	// of the bot's examples (TF-IDF cosine) may well be in scope for this
	// bot ("tell me a joke" for a bot with a joke intent) and does not
	// count. On CLINC150 val, counting them all made a 10-shot bot
	// answer only 35% of its in-scope queries.
	resembleCosine = 0.4
	// maxWrongAnswered is the share of wrong answers allowed among the
	// held-out examples the bot answers. Models trained on three quarters
	// of a few examples per intent confuse neighbouring intents more than
	// the bot will: on the sample bot 0.10, 0.15 and 0.20 gave English
	// thresholds of 0.69, 0.67 and 0.59 (a fallback for most real
	// questions), 0.25 gave 0.19. On CLINC150 val the out-of-scope rule
	// decides either way.
	maxWrongAnswered = 0.25
	// calibrationFolds: every example is held out once, in one of this
	// many folds, to measure wrong answers (one split of a quarter moved
	// the sample bot's threshold from 0.18 to 0.16 when one example was
	// removed).
	calibrationFolds = 4
	// maxCrossValidated: bots with more examples than this hold out one
	// quarter instead, so that start-up and reloads of big bots (CLINC150
	// full: 15000 examples) train two models, not five.
	maxCrossValidated = 4000
)

// calibration is a calibrated threshold: one per language with a built-in
// out-of-scope set and examples, and one for other languages.
type calibration struct {
	threshold float64
	byLang    map[string]float64
	report    string
}

// calibrate chooses the confidence threshold from the bot's own examples
// and the built-in generic out-of-scope sentences, as the lowest threshold
// at which, for each language of the bot:
//
//   - the bot (rank, as it will serve) answers at most maxOOSAnswered of
//     the generic out-of-scope sentences of that language, and
//   - models trained without a fold of the examples (calibrationFolds)
//     answer the held-out examples wrongly at most maxWrongAnswered of
//     the times they answer.
//
// A language without a built-in set uses the held-out rule alone; the
// threshold for languages the bot has no examples in is the highest of
// the languages'. The old rule (the 5th percentile of correct held-out
// probabilities) answered most out-of-scope messages on a small bot.
//
// The built-in small talk is never held out. It returns an error when no
// label has two examples to hold one out, or
// when training fails; langs[i] is the language of examples[i].
func calibrate(ctx context.Context, examples []nlu.Example, langs []string, rank func(string) []nlu.Prediction, opts nlu.Options) (calibration, error) {
	folds := calibrationFolds
	if len(examples) > maxCrossValidated {
		folds = 1 // one held-out quarter: big bots have enough examples for it
	}
	cv, err := crossValidate(ctx, examples, opts, folds, true)
	if err != nil {
		return calibration{}, err
	}
	type heldScore struct {
		score   float64
		correct bool
	}
	heldBy := map[string][]heldScore{}
	right, held := 0, 0
	for i, top := range cv.top {
		if top.Label == "" {
			continue // not held out
		}
		held++
		ok := top.Label == examples[i].Label
		if ok {
			right++
		}
		heldBy[langs[i]] = append(heldBy[langs[i]], heldScore{top.Prob, ok})
	}
	if held == 0 {
		return calibration{}, fmt.Errorf("no label has 2 examples to hold one out")
	}
	c := calibration{byLang: map[string]float64{}}
	var parts []string
	for _, lang := range sortedKeys(heldBy) {
		hs := heldBy[lang]
		scores := make([]float64, len(hs))
		correct := make([]bool, len(hs))
		for i, h := range hs {
			scores[i], correct[i] = h.score, h.correct
		}
		tIn := wrongRateThreshold(scores, correct, maxWrongAnswered)
		t, part := tIn, fmt.Sprintf("%s: %.3f (held-out %d, wrong ≤ %.0f%% of answers)", lang, tIn, len(hs), 100*maxWrongAnswered)
		if oos := genericOutOfScope[lang]; len(oos) > 0 {
			var os []float64
			for _, text := range oos {
				if cv.resembles(text) {
					continue
				}
				os = append(os, rank(text)[0].Prob)
			}
			tOOS := acceptShareThreshold(os, maxOOSAnswered)
			if tOOS > t {
				t = tOOS
			}
			part = fmt.Sprintf("%s: %.3f (held-out %d: %.3f for wrong ≤ %.0f%% of answers; %d of %d generic out-of-scope unlike the examples: %.3f for ≤ %.0f%% answered)",
				lang, t, len(hs), tIn, 100*maxWrongAnswered, len(os), len(oos), tOOS, 100*maxOOSAnswered)
		}
		c.byLang[lang] = t
		c.threshold = max(c.threshold, t)
		parts = append(parts, part)
	}
	how := fmt.Sprintf("in %d folds", folds)
	if folds == 1 {
		how = "(a quarter of each label's)"
	}
	c.report = fmt.Sprintf("%d examples held out %s, held-out accuracy %.1f%%; %s",
		held, how, 100*float64(right)/float64(held), strings.Join(parts, "; "))
	return c, nil
}

// acceptShareThreshold returns the lowest threshold t at which at most
// share of scores are ≥ t (0 for no scores).
func acceptShareThreshold(scores []float64, share float64) float64 {
	if len(scores) == 0 {
		return 0
	}
	s := slices.Clone(scores)
	slices.SortFunc(s, func(a, b float64) int { return -cmpFloat(a, b) })
	m := int(share * float64(len(s))) // may be answered: s[0:m]
	if m >= len(s) {
		return 0
	}
	return math.Nextafter(s[m], 2)
}

// wrongRateThreshold returns the lowest threshold at which the answers
// given (scores ≥ t) are wrong at most share of the time; when no
// threshold achieves it, the one with the fewest wrong answers per answer.
func wrongRateThreshold(scores []float64, correct []bool, share float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return -cmpFloat(scores[a], scores[b]) })
	// Walk from the most confident down: answered = idx[:k+1].
	best, bestRate := 1.0, math.Inf(1)
	wrong := 0
	lowest := math.NaN()
	for k, i := range idx {
		if !correct[i] {
			wrong++
		}
		if k+1 < len(idx) && scores[idx[k+1]] == scores[i] {
			continue // a threshold cannot split ties
		}
		rate := float64(wrong) / float64(k+1)
		if rate <= share {
			lowest = scores[i]
		}
		if rate < bestRate {
			best, bestRate = scores[i], rate
		}
	}
	if !math.IsNaN(lowest) {
		return lowest
	}
	return best
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// crossValidation is the outcome of crossValidate.
type crossValidation struct {
	// top is the best prediction for each example by the model trained
	// without its fold; Label is "" for examples never held out.
	top     []nlu.Prediction
	rankers []*ranker // one per fold, with every training example kept
}

// resembles reports whether text is at least resembleCosine similar to a
// training example (each example is in all folds' training sets but one,
// so two folds together see every example).
func (cv *crossValidation) resembles(text string) bool {
	for _, r := range cv.rankers {
		if nn := r.model.Nearest(text, 1); len(nn) > 0 && nn[0].Cosine >= resembleCosine {
			return true
		}
	}
	return false
}

// crossValidate deals the examples of each label with at least two of
// them (the built-in small talk excepted: always trained on) into folds
// folds, shuffled with opts.Seed, trains one ranker without each fold and
// predicts the fold's examples. folds 1 holds out a quarter of each
// label's examples (at least one, never all) and trains once. keep keeps the rankers (with every example
// kept for Nearest) in the result. Labels are visited in sorted order, so
// the folds do not depend on map order.
func crossValidate(ctx context.Context, examples []nlu.Example, opts nlu.Options, folds int, keep bool) (*crossValidation, error) {
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	byLabel := map[string][]int{}
	for i, e := range examples {
		if !isSmallTalk(e.Label) {
			byLabel[e.Label] = append(byLabel[e.Label], i)
		}
	}
	fold := make([]int, len(examples))
	for i := range fold {
		fold[i] = -1
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed0f0)) // #nosec G404 -- a reproducible split, not a secret
	for _, l := range sortedKeys(byLabel) {
		is := slices.Clone(byLabel[l])
		if len(is) < 2 {
			continue
		}
		rng.Shuffle(len(is), func(a, b int) { is[a], is[b] = is[b], is[a] })
		// Start each label at a random fold so that small labels do not
		// all leave the first folds short.
		if folds == 1 {
			for _, i := range is[:min(max(1, (len(is)+2)/4), len(is)-1)] {
				fold[i] = 0
			}
			continue
		}
		start := rng.IntN(folds)
		for k, i := range is {
			fold[i] = (start + k) % folds
		}
	}
	cv := &crossValidation{top: make([]nlu.Prediction, len(examples))}
	for f := range folds {
		var train []nlu.Example
		var held []int
		for i, e := range examples {
			if fold[i] == f {
				held = append(held, i)
			} else {
				train = append(train, e)
			}
		}
		if len(held) == 0 {
			continue
		}
		r, err := trainRanker(ctx, train, opts, keep)
		if err != nil {
			return nil, fmt.Errorf("cross-validate: %w", err)
		}
		for _, i := range held {
			cv.top[i] = r.rank(examples[i].Text)[0]
		}
		if keep {
			cv.rankers = append(cv.rankers, r)
		}
	}
	return cv, nil
}
