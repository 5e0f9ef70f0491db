package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/switchboard-gw/switchboard/intents/nlu"
	"github.com/switchboard-gw/switchboard/intents/nlu/encoder"
)

// Options configures Run and Evaluate.
type Options struct {
	// Data is the path of the evaluation set; see Load for the formats.
	Data string
	// JSON selects a JSON document instead of a table.
	JSON bool
	// Seed is passed to training and held-out splits; 0 means 1.
	Seed int64
	// Threshold names the out-of-scope rule reported first (the others
	// follow for comparison): "larson" (the default: best accuracy on val
	// with out of scope counted as one more class), "mean" (best mean of
	// in-scope accuracy and OOS recall on val), "calibrate" (nlu.Calibrate
	// on train, no out-of-scope data used), or a fixed probability such as
	// "0.3". larson and mean pick on val, or on a held-out fifth of train
	// when there is no val; when neither has out-of-scope items, calibrate
	// is reported instead. A set with no out-of-scope test item reports no
	// threshold first ("none") unless calibrate or a number is asked for.
	// Multi-label sets ignore it.
	Threshold string
	// Logger receives progress lines; nil discards them.
	Logger *slog.Logger
	// Progress receives a progress bar while training and scoring when it
	// is a terminal (an *os.File on a character device) or ProgressTTY is
	// set; nil draws none. The bar is erased before Run writes its report.
	Progress    io.Writer
	ProgressTTY bool
	// Model holds the classifier's hyper-parameters; its Seed, Logger and
	// Progress are overridden by the fields above. The zero value is nlu's
	// defaults.
	Model nlu.Options
	// HoldOut, when in (0, 1), scores a seeded random fraction of the
	// training items held out from training (whole dialogues when items
	// have a Group) instead of the test split, and leaves val alone: for
	// tuning hyper-parameters without looking at test.
	HoldOut float64
	// NoCalibrate skips the "calibrate" rule, which trains one more model,
	// unless Threshold asks for it.
	NoCalibrate bool
	// Encoder "on" blends the sentence encoder's classifier into every
	// prediction of single-label sets, as a bot with bot.encoder: on
	// (English text only); "" or "off" scores the lexical model alone. The
	// calibrate rule stays the lexical model's.
	Encoder string
	// Weight is the encoder's share of the blend; 0 means DefaultBlendWeight.
	Weight float64
	// Embeddings is the embedding cache file; see FewShotOptions.Embeddings.
	Embeddings string
}

// Result is what Evaluate measures. Percentages are 0–100.
type Result struct {
	Dataset      string  `json:"dataset"`
	Format       string  `json:"format"`
	Labels       int     `json:"labels"`
	Train        int     `json:"train"`
	Val          int     `json:"val"`
	Test         int     `json:"test"`
	OOSTest      int     `json:"oos_test"`
	TrainSeconds float64 `json:"train_seconds"`
	// ClassifyP50Micros and ClassifyP99Micros are the latency of one
	// Predict call (features and classification) over the test items,
	// sequentially.
	ClassifyP50Micros float64 `json:"classify_p50_us"`
	ClassifyP99Micros float64 `json:"classify_p99_us"`
	// ModelBytes is the trained model's size (nlu.Model.SizeBytes).
	ModelBytes int64 `json:"model_bytes"`
	// PeakHeapBytes is the largest Go heap (objects in use, including
	// garbage not yet collected) sampled every 10 ms during the run: data,
	// training and scoring.
	PeakHeapBytes uint64 `json:"peak_heap_bytes"`
	// Rule is the name of the rule reported first in Rules; Note says why
	// it differs from Options.Threshold, when it does.
	Rule string `json:"rule,omitempty"`
	Note string `json:"note,omitempty"`
	// ValSet names the set that larson and mean picked their thresholds on
	// and that every Rule.Val was measured on: "val", "held-out train", or
	// empty when no set had out-of-scope items.
	ValSet string `json:"val_set,omitempty"`
	// Encoder describes the sentence encoder's part when Options.Encoder
	// is on, else it is empty.
	Encoder string `json:"encoder,omitempty"`
	// Rules is set for single-label sets, Rule first.
	Rules []Rule `json:"rules,omitempty"`
	// Multi is set for multi-label sets.
	Multi *MultiScores `json:"multi_label,omitempty"`
}

// Run loads opts.Data, trains, scores and writes a report to w: a table, or
// a JSON Result when opts.JSON is set. It returns an error when
// opts.Threshold is invalid, the data cannot be loaded, training fails, ctx
// is done, or writing fails.
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

// run is the state of one evaluation.
type run struct {
	opts Options
	mo   nlu.Options
	log  *slog.Logger
	bar  *progressBar
	d    *Dataset
	res  *Result
	// store and vecs are set when the encoder is on.
	store *encoder.Store
	vecs  map[string][]float32
}

// Evaluate is Run without the report: it returns the measured Result, or the
// errors listed on Run.
func Evaluate(ctx context.Context, opts Options) (*Result, error) {
	want, err := parseRule(opts.Threshold)
	if err != nil {
		return nil, err
	}
	r := &run{opts: opts, log: opts.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.opts.Seed == 0 {
		r.opts.Seed = 1
	}
	r.bar = newProgressBar(opts.Progress, opts.ProgressTTY || isTerminal(opts.Progress))
	defer r.bar.clear()
	peak := startHeapPeak(10 * time.Millisecond)
	r.mo = opts.Model
	r.mo.Seed = r.opts.Seed
	r.mo.Logger = r.log

	r.log.Info("eval: loading", "data", opts.Data)
	if r.d, err = Load(opts.Data); err != nil {
		peak.stop()
		return nil, err
	}
	if opts.HoldOut > 0 && opts.HoldOut < 1 {
		fit, held := splitItems(r.d.Train, opts.HoldOut, r.opts.Seed, 0x401d)
		r.d.Train, r.d.Test = fit, held
		r.d.Name += fmt.Sprintf(" (%.0f%% of train held out as test)", 100*opts.HoldOut)
		r.log.Info("eval: scoring a held-out part of train, not the test split", "held_out", len(held))
	}
	r.res = &Result{Dataset: r.d.Name, Format: r.d.Format, Train: len(r.d.Train), Val: len(r.d.Val), Test: len(r.d.Test)}
	for _, it := range r.d.Test {
		if !r.d.MultiLabel && it.Labels[0] == OOS {
			r.res.OOSTest++
		}
	}
	err = r.evaluate(ctx, want)
	r.res.PeakHeapBytes = peak.stop()
	if err != nil {
		return nil, err
	}
	return r.res, nil
}

func (r *run) evaluate(ctx context.Context, want ruleSpec) error {
	switch r.opts.Encoder {
	case "", "off":
	case "on":
		if !r.d.MultiLabel {
			st, path, err := openStore(r.opts.Embeddings)
			if err != nil {
				return err
			}
			defer st.Close()
			r.store = st
			r.log.Info("eval: embedding cache", "path", path)
			if err := r.embedAll(ctx); err != nil {
				return err
			}
			w := r.opts.Weight
			if w == 0 {
				w = DefaultBlendWeight
			}
			r.res.Encoder = fmt.Sprintf("on: lexical and encoder probabilities blended (weight %.2f); the calibrate rule is the lexical model's", w)
		}
	default:
		return fmt.Errorf("eval: --encoder must be on or off, got %q", r.opts.Encoder)
	}
	train := trainingExamples(r.d.Train)
	r.log.Info("eval: training", "examples", len(train))
	start := time.Now()
	m, err := r.train(ctx, "training", train)
	if err != nil {
		return fmt.Errorf("eval: train: %w", err)
	}
	r.res.TrainSeconds = time.Since(start).Seconds()
	r.res.Labels = len(m.Labels())
	r.res.ModelBytes = m.SizeBytes()
	r.log.Info("eval: trained", "labels", r.res.Labels, "seconds", fmt.Sprintf("%.1f", r.res.TrainSeconds))
	if r.d.MultiLabel {
		return r.evaluateMulti(ctx, m)
	}
	p, err := r.withEncoder(ctx, m, train)
	if err != nil {
		return err
	}
	test, lat := r.predictAll(p, "scoring test", r.d.Test)
	r.res.ClassifyP50Micros, r.res.ClassifyP99Micros = lat[0], lat[1]
	return r.rules(ctx, p, train, test, want)
}

// train trains a model with the run's options, drawing phase on the bar.
func (r *run) train(ctx context.Context, phase string, ex []nlu.Example) (*nlu.Model, error) {
	mo := r.mo
	mo.Progress = func(done, total int) { r.bar.update(phase, done, total) }
	r.bar.update(phase, 0, 1) // features are built before the first step
	return nlu.Train(ctx, ex, mo)
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
func (r *run) predictAll(m predictor, phase string, items []Item) ([]scored, [2]float64) {
	out := make([]scored, len(items))
	lat := make([]float64, len(items))
	for i, it := range items {
		start := time.Now()
		p := m.Predict(it.Text)
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1e3
		out[i] = scored{gold: it.Labels[0], top: p[0].Label, prob: p[0].Prob}
		r.bar.update(phase, i+1, len(items))
	}
	return out, latencies(lat)
}

// evaluateMulti scores a multi-label set. The PredictAbove threshold is
// picked on a fifth of the training turns (whole dialogues) held out from a
// second model trained on the rest.
func (r *run) evaluateMulti(ctx context.Context, m *nlu.Model) error {
	fit, held := splitItems(r.d.Train, 0.2, r.opts.Seed, 0x3417)
	r.log.Info("eval: picking the multi-label threshold on held-out training turns", "held_out", len(held))
	hm, err := r.train(ctx, "held-out model", trainingExamples(fit))
	if err != nil {
		return fmt.Errorf("eval: train for threshold: %w", err)
	}
	heldScored := make([]multiScored, len(held))
	for i, it := range held {
		heldScored[i] = multiScored{gold: it.Labels, preds: hm.Predict(it.Text)}
		r.bar.update("scoring held-out", i+1, len(held))
	}
	t := pickMultiThreshold(heldScored)

	test := make([]multiScored, len(r.d.Test))
	lat := make([]float64, len(r.d.Test))
	for i, it := range r.d.Test {
		start := time.Now()
		p := m.Predict(it.Text)
		lat[i] = float64(time.Since(start).Nanoseconds()) / 1e3
		test[i] = multiScored{gold: it.Labels, preds: p}
		r.bar.update("scoring test", i+1, len(r.d.Test))
	}
	l := latencies(lat)
	r.res.ClassifyP50Micros, r.res.ClassifyP99Micros = l[0], l[1]
	ms := scoreMulti(test, t)
	r.res.Multi = &ms
	return nil
}
