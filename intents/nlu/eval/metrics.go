package eval

import (
	"cmp"
	"slices"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

// scored is a single-label prediction: the gold label, the model's top label
// and its probability.
type scored struct {
	gold, top string
	prob      float64
}

// Scores are the single-label metrics at one threshold, in percent.
type Scores struct {
	// InScopeAccuracy is the share of in-scope items whose prediction (after
	// the threshold) is their label; answering OOS counts as wrong.
	InScopeAccuracy float64 `json:"in_scope_accuracy"`
	// MacroF1 averages F1 over the in-scope labels present in the gold set;
	// an OOS answer counts as a false negative of the gold label, and an
	// in-scope answer to an OOS item as a false positive of that label.
	MacroF1 float64 `json:"macro_f1"`
	// Accuracy is the share of all items answered right, out of scope
	// counted as one more class (CLINC150's "151-class accuracy"); it equals
	// InScopeAccuracy on a set with no OOS item.
	Accuracy float64 `json:"accuracy"`
	// OOSRecall and OOSPrecision are computed when the set has OOS items.
	OOSRecall    float64 `json:"oos_recall,omitempty"`
	OOSPrecision float64 `json:"oos_precision,omitempty"`
}

// predict returns the answer at threshold t: top unless prob < t.
func (s scored) predict(t float64) string {
	if s.prob < t {
		return OOS
	}
	return s.top
}

// score computes Scores for items at threshold t.
func score(items []scored, t float64) Scores {
	type counts struct{ tp, fp, fn int }
	per := make(map[string]*counts)
	get := func(l string) *counts {
		c := per[l]
		if c == nil {
			c = &counts{}
			per[l] = c
		}
		return c
	}
	var in, inOK, oos, oosOK, oosPred int
	for _, s := range items {
		p := s.predict(t)
		if p == OOS {
			oosPred++
		}
		if s.gold == OOS {
			oos++
			if p == OOS {
				oosOK++
			} else {
				get(p).fp++
			}
			continue
		}
		in++
		g := get(s.gold)
		if p == s.gold {
			inOK++
			g.tp++
			continue
		}
		g.fn++
		if p != OOS {
			get(p).fp++
		}
	}
	var sc Scores
	sc.InScopeAccuracy = pct(inOK, in)
	sc.Accuracy = pct(inOK+oosOK, in+oos)
	var f1sum float64
	var nl int
	for _, c := range per {
		if c.tp+c.fn == 0 {
			continue // not a gold label of this set
		}
		nl++
		f1sum += float64(2*c.tp) / float64(2*c.tp+c.fp+c.fn)
	}
	if nl > 0 {
		sc.MacroF1 = 100 * f1sum / float64(nl)
	}
	if oos > 0 {
		sc.OOSRecall = pct(oosOK, oos)
		sc.OOSPrecision = pct(oosOK, oosPred)
	}
	return sc
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

// pickThreshold returns the threshold t (answer OOS when the top probability
// is below t) that maximises objective(in-scope correct, in-scope total, OOS
// rejected, OOS total) over items; ties go to the lowest t. The returned t is
// the midpoint between the two neighbouring probabilities of the chosen cut,
// so it does not sit on a validation item's own probability.
func pickThreshold(items []scored, objective func(inOK, in, oosOK, oos int) float64) float64 {
	s := slices.Clone(items)
	slices.SortFunc(s, func(a, b scored) int { return cmp.Compare(a.prob, b.prob) })
	var in, inOK, oos int
	for _, x := range s {
		if x.gold == OOS {
			oos++
		} else {
			in++
			if x.top == x.gold {
				inOK++
			}
		}
	}
	best, bestT := objective(inOK, in, 0, oos), 0.0
	// Reject the first j items (all with prob < s[j].prob).
	rejOK, rejOOS := 0, 0
	for j := 0; j < len(s); j++ {
		x := s[j]
		if x.gold == OOS {
			rejOOS++
		} else if x.top == x.gold {
			rejOK++
		}
		if j+1 < len(s) && s[j+1].prob == x.prob {
			continue
		}
		v := objective(inOK-rejOK, in, rejOOS, oos)
		if v > best {
			best = v
			if j+1 < len(s) {
				bestT = (x.prob + s[j+1].prob) / 2
			} else {
				bestT = (x.prob + 1) / 2
			}
		}
	}
	return bestT
}

// larsonObjective is the accuracy over all items, OOS counted as one more
// class: our reading of how Larson et al. (2019) pick the threshold on val.
func larsonObjective(inOK, in, oosOK, oos int) float64 {
	return float64(inOK+oosOK) / float64(max(1, in+oos))
}

// meanObjective is the mean of in-scope accuracy and OOS recall.
func meanObjective(inOK, in, oosOK, oos int) float64 {
	return (float64(inOK)/float64(max(1, in)) + float64(oosOK)/float64(max(1, oos))) / 2
}

// MultiScores are the multi-label metrics, in percent.
type MultiScores struct {
	// PAt1 is the share of turns (with at least one gold label) whose top
	// label is one of the gold labels.
	PAt1 float64 `json:"p_at_1"`
	// Threshold is the probability above which a label is reported by
	// PredictAbove (the top label always is); it is picked on a held-out
	// part of the training set, never on test.
	Threshold float64 `json:"threshold"`
	// Precision, Recall and F1 are micro-averaged over the label sets
	// reported at Threshold.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// ExactMatch is the share of turns whose reported set equals the gold set.
	ExactMatch float64 `json:"exact_match"`
	// Skipped counts test turns with no gold label (not scored).
	Skipped int `json:"skipped"`
}

// multiScored is a multi-label item with the model's full ranking.
type multiScored struct {
	gold  []string
	preds []nlu.Prediction
}

// scoreMulti computes MultiScores at threshold t.
func scoreMulti(items []multiScored, t float64) MultiScores {
	ms := MultiScores{Threshold: t}
	var n, top1, tp, npred, ngold, exact int
	for _, it := range items {
		if len(it.gold) == 0 {
			ms.Skipped++
			continue
		}
		n++
		if slices.Contains(it.gold, it.preds[0].Label) {
			top1++
		}
		k := 1
		for k < len(it.preds) && it.preds[k].Prob >= t {
			k++
		}
		hit := 0
		for _, p := range it.preds[:k] {
			if slices.Contains(it.gold, p.Label) {
				hit++
			}
		}
		tp += hit
		npred += k
		ngold += len(it.gold)
		if hit == k && k == len(it.gold) {
			exact++
		}
	}
	ms.PAt1 = pct(top1, n)
	ms.Precision = pct(tp, npred)
	ms.Recall = pct(tp, ngold)
	if ms.Precision+ms.Recall > 0 {
		ms.F1 = 2 * ms.Precision * ms.Recall / (ms.Precision + ms.Recall)
	}
	ms.ExactMatch = pct(exact, n)
	return ms
}

// pickMultiThreshold returns the threshold in (0, 1) with the best micro-F1
// on items, searched on a grid of 0.01 (ties to the lowest).
func pickMultiThreshold(items []multiScored) float64 {
	best, bestT := -1.0, 0.5
	for i := 1; i < 100; i++ {
		t := float64(i) / 100
		if f := scoreMulti(items, t).F1; f > best {
			best, bestT = f, t
		}
	}
	return bestT
}
