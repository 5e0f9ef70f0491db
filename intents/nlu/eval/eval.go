// Package eval measures the nlu classifier on public intent data sets
// (CLINC150, BANKING77-style CSV folders, CrossWOZ user turns): it trains on
// the train split, picks out-of-scope thresholds on the val split when there
// is one (never on test), and scores the test split. It backs
// `switchboard eval`.
package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/switchboard-gw/switchboard/intents/nlu"
)

// Options configures Run.
type Options struct {
	// Data is the path of the evaluation set; see Load for the formats.
	Data string
	// JSON selects a JSON document instead of a table.
	JSON bool
	// Seed is passed to training and held-out splits; 0 means 1.
	Seed int64
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
	// Model holds the classifier's hyper-parameters; its Seed and Logger
	// are overridden by the fields above. The zero value is nlu's defaults.
	Model nlu.Options
	// HoldOut, when in (0, 1), scores a seeded random fraction of the
	// training items held out from training instead of the test split, and
	// leaves val alone: for tuning hyper-parameters without looking at test.
	HoldOut float64
	// NoCalibrate skips the "calibrate" rule, which trains one more model.
	NoCalibrate bool
}

// Rule is the result of one out-of-scope threshold rule on test.
type Rule struct {
	// Name is "none" (no threshold), "larson" (best accuracy on val with
	// OOS as one more class), "best-mean" (best mean of in-scope accuracy
	// and OOS recall on val) or "calibrate" (nlu.Calibrate on train, no OOS
	// data used).
	Name      string  `json:"name"`
	Threshold float64 `json:"threshold"`
	// Val holds the rule's scores on val, when the threshold came from val.
	Val *Scores `json:"val,omitempty"`
	Scores
}

// Result is what Run measures. Percentages are 0–100.
type Result struct {
	Dataset      string  `json:"dataset"`
	Format       string  `json:"format"`
	Labels       int     `json:"labels"`
	Train        int     `json:"train"`
	Val          int     `json:"val"`
	Test         int     `json:"test"`
	OOSTest      int     `json:"oos_test"`
	TrainSeconds float64 `json:"train_seconds"`
	// PredictP50Micros and PredictP99Micros are the latency of one Predict
	// call (features and classification) over the test items, sequentially.
	PredictP50Micros float64 `json:"predict_p50_us"`
	PredictP99Micros float64 `json:"predict_p99_us"`
	// Rules is set for single-label sets; the first rule is "none".
	Rules []Rule `json:"rules,omitempty"`
	// Multi is set for multi-label sets.
	Multi *MultiScores `json:"multi_label,omitempty"`
}

// Run loads opts.Data, trains, scores and writes a report to w: a table, or
// a JSON Result when opts.JSON is set. It returns an error when the data
// cannot be loaded, training fails, ctx is done, or writing fails.
func Run(ctx context.Context, opts Options, w io.Writer) error {
	res, err := Evaluate(ctx, opts)
	if err != nil {
		return err
	}
	if opts.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("eval: write JSON: %w", err)
		}
		return nil
	}
	if err := writeTable(w, res); err != nil {
		return fmt.Errorf("eval: write table: %w", err)
	}
	return nil
}

// Evaluate is Run without the report: it returns the measured Result.
func Evaluate(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	mo := opts.Model
	mo.Seed = opts.Seed
	mo.Logger = log
	log.Info("eval: loading", "data", opts.Data)
	d, err := Load(opts.Data)
	if err != nil {
		return nil, err
	}
	if opts.HoldOut > 0 && opts.HoldOut < 1 {
		rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x401d))
		perm := rng.Perm(len(d.Train))
		n := int(opts.HoldOut * float64(len(d.Train)))
		held := make([]Item, 0, n)
		fit := make([]Item, 0, len(d.Train)-n)
		for i, j := range perm {
			if i < n {
				held = append(held, d.Train[j])
			} else {
				fit = append(fit, d.Train[j])
			}
		}
		d.Train, d.Test = fit, held
		d.Name += fmt.Sprintf(" (%.0f%% of train held out as test)", 100*opts.HoldOut)
		log.Info("eval: scoring a held-out part of train, not the test split", "held_out", n)
	}
	res := &Result{Dataset: d.Name, Format: d.Format, Train: len(d.Train), Val: len(d.Val), Test: len(d.Test)}
	for _, it := range d.Test {
		if !d.MultiLabel && it.Labels[0] == OOS {
			res.OOSTest++
		}
	}
	train := trainingExamples(d.Train)
	log.Info("eval: training", "examples", len(train))
	start := time.Now()
	m, err := nlu.Train(ctx, train, mo)
	if err != nil {
		return nil, fmt.Errorf("eval: train: %w", err)
	}
	res.TrainSeconds = time.Since(start).Seconds()
	res.Labels = len(m.Labels())
	log.Info("eval: trained", "labels", res.Labels, "seconds", fmt.Sprintf("%.1f", res.TrainSeconds))

	if d.MultiLabel {
		return res, evaluateMulti(ctx, d, m, mo, res, log)
	}
	test, lat := predictAll(m, d.Test)
	res.PredictP50Micros, res.PredictP99Micros = lat[0], lat[1]
	res.Rules = append(res.Rules, Rule{Name: "none", Scores: score(test, 0)})
	if res.OOSTest == 0 {
		return res, nil
	}
	var val []scored
	if len(d.Val) > 0 {
		log.Info("eval: picking thresholds on val", "items", len(d.Val))
		val, _ = predictAll(m, d.Val)
		vs := score(val, 0)
		res.Rules[0].Val = &vs
		for _, r := range []struct {
			name string
			obj  func(int, int, int, int) float64
		}{{"larson", larsonObjective}, {"best-mean", meanObjective}} {
			t := pickThreshold(val, r.obj)
			vs := score(val, t)
			res.Rules = append(res.Rules, Rule{Name: r.name, Threshold: t, Val: &vs, Scores: score(test, t)})
		}
	}
	if opts.NoCalibrate {
		return res, nil
	}
	log.Info("eval: calibrating on train (no OOS data)")
	t, report, err := nlu.Calibrate(ctx, train, mo)
	if err != nil {
		return nil, fmt.Errorf("eval: calibrate: %w", err)
	}
	log.Info("eval: " + report)
	rule := Rule{Name: "calibrate", Threshold: t, Scores: score(test, t)}
	if val != nil {
		vs := score(val, t)
		rule.Val = &vs
	}
	res.Rules = append(res.Rules, rule)
	return res, nil
}

// trainingExamples flattens items into examples: one per label (a turn with
// two labels trains both), none for unlabelled turns, and none for OOS items
// (out of scope is detected by a threshold, not learnt as a class).
func trainingExamples(items []Item) []nlu.Example {
	var ex []nlu.Example
	for _, it := range items {
		for _, l := range it.Labels {
			if l != OOS {
				ex = append(ex, nlu.Example{Text: it.Text, Label: l})
			}
		}
	}
	return ex
}

// predictAll returns the top prediction of every single-label item and the
// p50 and p99 latency of Predict in microseconds.
func predictAll(m *nlu.Model, items []Item) ([]scored, [2]float64) {
	out := make([]scored, len(items))
	lat := make([]float64, len(items))
	for i, it := range items {
		start := time.Now()
		p := m.Predict(it.Text)
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1e3
		out[i] = scored{gold: it.Labels[0], top: p[0].Label, prob: p[0].Prob}
	}
	return out, latencies(lat)
}

func latencies(lat []float64) [2]float64 {
	if len(lat) == 0 {
		return [2]float64{}
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	return [2]float64{q(0.50), q(0.99)}
}

// evaluateMulti scores a multi-label set. The PredictAbove threshold is
// picked on a fifth of the training turns held out (seeded) from a second
// model trained on the rest.
func evaluateMulti(ctx context.Context, d *Dataset, m *nlu.Model, mo nlu.Options, res *Result, log *slog.Logger) error {
	rng := rand.New(rand.NewPCG(uint64(mo.Seed), 0x3417))
	perm := rng.Perm(len(d.Train))
	nHeld := len(d.Train) / 5
	var fit, held []Item
	for i, j := range perm {
		if i < nHeld {
			held = append(held, d.Train[j])
		} else {
			fit = append(fit, d.Train[j])
		}
	}
	log.Info("eval: picking the multi-label threshold on held-out training turns", "held_out", len(held))
	hm, err := nlu.Train(ctx, trainingExamples(fit), mo)
	if err != nil {
		return fmt.Errorf("eval: train for threshold: %w", err)
	}
	heldScored := make([]multiScored, len(held))
	for i, it := range held {
		heldScored[i] = multiScored{gold: it.Labels, preds: hm.Predict(it.Text)}
	}
	t := pickMultiThreshold(heldScored)

	test := make([]multiScored, len(d.Test))
	lat := make([]float64, len(d.Test))
	for i, it := range d.Test {
		start := time.Now()
		p := m.Predict(it.Text)
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1e3
		test[i] = multiScored{gold: it.Labels, preds: p}
	}
	l := latencies(lat)
	res.PredictP50Micros, res.PredictP99Micros = l[0], l[1]
	ms := scoreMulti(test, t)
	res.Multi = &ms
	return nil
}

func writeTable(w io.Writer, r *Result) error {
	ew := &errWriter{w: w}
	ew.printf("dataset   %s (%s): %d labels; train %d, val %d, test %d", r.Dataset, r.Format, r.Labels, r.Train, r.Val, r.Test)
	if r.OOSTest > 0 {
		ew.printf(" (%d out of scope)", r.OOSTest)
	}
	ew.printf("\ntraining  %.2f s\npredict   p50 %.0f µs, p99 %.0f µs\n\n", r.TrainSeconds, r.PredictP50Micros, r.PredictP99Micros)
	if r.Multi != nil {
		m := r.Multi
		ew.printf("P@1 %.2f%%   labels with p >= %.2f: precision %.2f%%  recall %.2f%%  F1 %.2f%%  exact set %.2f%%  (%d unlabelled turns skipped)\n",
			m.PAt1, m.Threshold, m.Precision, m.Recall, m.F1, m.ExactMatch, m.Skipped)
		return ew.err
	}
	if r.OOSTest == 0 {
		ew.printf("accuracy %.2f%%   macro-F1 %.2f%%\n", r.Rules[0].InScopeAccuracy, r.Rules[0].MacroF1)
		return ew.err
	}
	ew.printf("%-10s %9s %13s %11s %14s %9s   %s\n", "threshold", "p <", "in-scope acc", "OOS recall", "OOS precision", "macro-F1", "on val (acc / recall)")
	for _, rule := range r.Rules {
		ew.printf("%-10s %9.3f %12.2f%% %10.2f%% %13.2f%% %8.2f%%", rule.Name, rule.Threshold, rule.InScopeAccuracy, rule.OOSRecall, rule.OOSPrecision, rule.MacroF1)
		if rule.Val != nil {
			ew.printf("   %.2f%% / %.2f%%", rule.Val.InScopeAccuracy, rule.Val.OOSRecall)
		}
		ew.printf("\n")
	}
	return ew.err
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
