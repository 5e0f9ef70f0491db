package eval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

// Rule names, in the order the table lists the rules after the chosen one.
const (
	RuleLarson    = "larson"
	RuleMean      = "mean"
	RuleCalibrate = "calibrate"
	RuleFixed     = "fixed"
	RuleNone      = "none"
)

var ruleOrder = []string{RuleLarson, RuleMean, RuleCalibrate, RuleFixed, RuleNone}

// Rule is the result of one out-of-scope threshold rule on test.
type Rule struct {
	// Name is one of the Rule* constants: "larson" (best accuracy on the
	// picking set with OOS as one more class), "mean" (best mean of
	// in-scope accuracy and OOS recall there), "calibrate" (nlu.Calibrate
	// on train, no OOS data used), "fixed" (Options.Threshold's number) or
	// "none" (no threshold).
	Name      string  `json:"name"`
	Threshold float64 `json:"threshold"`
	// PickedOn is where the threshold was chosen: "val", "held-out train"
	// (a fifth of train held out from a second model, when there is no
	// val), "train" (calibrate); empty for fixed and none.
	PickedOn string `json:"picked_on,omitempty"`
	// Val holds the rule's scores on the set named by Result.ValSet (val,
	// or the held-out slice of train), when there is one.
	Val *Scores `json:"val,omitempty"`
	Scores
}

// ruleSpec is a parsed Options.Threshold.
type ruleSpec struct {
	name  string
	fixed float64
}

// parseRule parses Options.Threshold; "" is larson.
func parseRule(s string) (ruleSpec, error) {
	switch s = strings.TrimSpace(s); s {
	case "":
		return ruleSpec{name: RuleLarson}, nil
	case RuleLarson, RuleMean, RuleCalibrate:
		return ruleSpec{name: s}, nil
	}
	t, err := strconv.ParseFloat(s, 64)
	if err != nil || t < 0 || t > 1 || math.IsNaN(t) {
		return ruleSpec{}, fmt.Errorf("eval: threshold %q: want larson, mean, calibrate or a probability in [0, 1]", s)
	}
	return ruleSpec{name: RuleFixed, fixed: t}, nil
}

// pickSet is what larson and mean pick a threshold on: the top predictions
// of items with out-of-scope among them.
type pickSet struct {
	name  string // "val" or "held-out train"
	items []scored
}

// rules scores test under every applicable rule and puts the chosen one
// first.
func (r *run) rules(ctx context.Context, m predictor, train []nlu.Example, test []scored, want ruleSpec) error {
	res := r.res
	pick, err := r.pickSet(ctx, m)
	if err != nil {
		return err
	}
	add := func(name, pickedOn string, t float64) {
		rule := Rule{Name: name, Threshold: t, PickedOn: pickedOn, Scores: score(test, t)}
		if pick != nil {
			vs := score(pick.items, t)
			rule.Val = &vs
		}
		res.Rules = append(res.Rules, rule)
	}
	add(RuleNone, "", 0)
	if pick != nil {
		res.ValSet = pick.name
		add(RuleLarson, pick.name, pickThreshold(pick.items, larsonObjective))
		add(RuleMean, pick.name, pickThreshold(pick.items, meanObjective))
	}
	chosen := want.name
	switch {
	case res.OOSTest == 0 && (chosen == RuleLarson || chosen == RuleMean):
		chosen = RuleNone
		if strings.TrimSpace(r.opts.Threshold) != "" {
			res.Note = "no out-of-scope test item: no threshold"
		}
	case pick == nil && (chosen == RuleLarson || chosen == RuleMean):
		chosen = RuleCalibrate
		res.Note = fmt.Sprintf("no out-of-scope item in val or train to pick the %s threshold on: calibrate instead", want.name)
	}
	if chosen == RuleCalibrate || !r.opts.NoCalibrate {
		r.log.Info("eval: calibrating on train (no OOS data)")
		mo := r.mo
		mo.Progress = func(done, total int) { r.bar.update("calibrating", done, total) }
		t, report, err := nlu.Calibrate(ctx, train, mo)
		if err != nil {
			return fmt.Errorf("eval: calibrate: %w", err)
		}
		r.log.Info("eval: " + report)
		add(RuleCalibrate, "train", t)
	}
	if want.name == RuleFixed {
		add(RuleFixed, "", want.fixed)
	}
	rank := func(name string) int {
		if name == chosen {
			return -1
		}
		return slices.Index(ruleOrder, name)
	}
	slices.SortStableFunc(res.Rules, func(a, b Rule) int { return rank(a.Name) - rank(b.Name) })
	res.Rule = chosen
	return nil
}

// pickSet returns the set larson and mean pick on: val when it has
// out-of-scope items, else a fifth of train held out (whole groups) from a
// second model trained on the rest when that fifth has some, else nil.
func (r *run) pickSet(ctx context.Context, m predictor) (*pickSet, error) {
	if hasOOS(r.d.Val) {
		r.log.Info("eval: picking thresholds on val", "items", len(r.d.Val))
		val, _ := r.predictAll(m, "scoring val", r.d.Val)
		return &pickSet{name: "val", items: val}, nil
	}
	if !hasOOS(r.d.Train) {
		return nil, nil
	}
	fit, held := splitItems(r.d.Train, 0.2, r.opts.Seed, 0x7e1d)
	if !hasOOS(held) {
		return nil, nil
	}
	r.log.Info("eval: no val split: picking thresholds on a held-out fifth of train", "items", len(held))
	hm, err := r.train(ctx, "held-out model", trainingExamples(fit))
	if err != nil {
		return nil, fmt.Errorf("eval: train for thresholds: %w", err)
	}
	hp, err := r.withEncoder(ctx, hm, trainingExamples(fit))
	if err != nil {
		return nil, err
	}
	items, _ := r.predictAll(hp, "scoring held-out", held)
	return &pickSet{name: "held-out train", items: items}, nil
}

func hasOOS(items []Item) bool {
	return slices.ContainsFunc(items, func(it Item) bool { return slices.Contains(it.Labels, OOS) })
}

// latencies returns the p50 and p99 of lat, which it sorts.
func latencies(lat []float64) [2]float64 {
	if len(lat) == 0 {
		return [2]float64{}
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return [2]float64{q(0.50), q(0.99)}
}
