package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/switchboard-gw/switchboard/intents/nlu"
	"github.com/switchboard-gw/switchboard/intents/nlu/encoder"
)

// FewShotOptions configures FewShot: the protocol of the sentence-encoder
// literature (Casanueva et al. 2020): train on Shots examples per intent drawn
// from the train split with each seed, score the in-scope test items, and
// report the mean and spread over the seeds.
type FewShotOptions struct {
	// Data lists the datasets (see Load); multi-label sets are skipped.
	Data []string
	// Shots is the number of training examples per intent; 0 means the
	// whole train split (then each seed changes only the training order).
	Shots int
	// Seeds drive the draws; empty means 1, 2, 3.
	Seeds []int64
	// Encoder is "on" (default) or "off": whether to run the sentence
	// encoder and report it and the blend next to the lexical model.
	Encoder string
	// Weight is the encoder's share of the blended probabilities; 0 means
	// DefaultBlendWeight.
	Weight float64
	// Cascade, when in (0, 1], also reports the blend as a bot with
	// bot.encoder: auto computes it: the lexical model alone when its top
	// probability is at least Cascade; 0 means DefaultCascade, negative
	// turns it off.
	Cascade float64
	// Tune scores items that never reach training instead of test: val when
	// the set has one, else the train items not drawn (up to 3000; with
	// Shots 0, a fifth of train held out). For choosing options without
	// looking at test.
	Tune bool
	// Embeddings is the file that caches the encoder's embeddings keyed by
	// text; empty means switchboard/eval-embeddings-<model>.bin in the user
	// cache directory.
	Embeddings string
	// Model holds the lexical classifier's options (Seed is overridden).
	Model nlu.Options
	// JSON selects a JSON document instead of a table.
	JSON   bool
	Logger *slog.Logger
}

// DefaultBlendWeight is the encoder's share when the lexical and encoder
// probabilities are averaged; see intents.Understander.
const DefaultBlendWeight = 0.5

// DefaultCascade is intents.CascadeSkip.
const DefaultCascade = 0.4

// FewShotResult is the outcome on one dataset. Accuracies are in-scope
// accuracy in percent, one per seed.
type FewShotResult struct {
	Dataset  string    `json:"dataset"`
	Shots    int       `json:"shots"`
	Seeds    []int64   `json:"seeds"`
	Scored   string    `json:"scored"` // "test", "val" or "held-out train"
	Items    int       `json:"items"`
	Lexical  []float64 `json:"lexical"`
	Encoder  []float64 `json:"encoder,omitempty"`
	Combined []float64 `json:"combined,omitempty"`
	// Cascaded is the blend computed only when the lexical top probability
	// is below Cascade; Skipped is the share of items (percent) it skipped.
	Cascaded    []float64 `json:"cascaded,omitempty"`
	CascadeSkip []float64 `json:"cascade_skipped,omitempty"`
	Cascade     float64   `json:"cascade,omitempty"`
	Weight      float64   `json:"weight,omitempty"`
	Skipped     string    `json:"skipped,omitempty"`
	// TrainSeconds is the lexical model's training time per seed (mean).
	TrainSeconds float64 `json:"train_seconds"`
}

// FewShot runs the protocol on every dataset of opts.Data and writes a table
// (or JSON) to w. It returns an error when a dataset cannot be loaded,
// training fails, ctx is done, or writing fails.
func FewShot(ctx context.Context, opts FewShotOptions, w io.Writer) ([]FewShotResult, error) {
	if len(opts.Seeds) == 0 {
		opts.Seeds = []int64{1, 2, 3}
	}
	if opts.Weight == 0 {
		opts.Weight = DefaultBlendWeight
	}
	if opts.Cascade == 0 {
		opts.Cascade = DefaultCascade
	}
	if opts.Shots < 0 {
		return nil, fmt.Errorf("eval: --shots must be 0 (all) or more, got %d", opts.Shots)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var store *encoder.Store
	switch opts.Encoder {
	case "", "on":
		enc, err := encoder.Default()
		if err != nil {
			return nil, err
		}
		path := opts.Embeddings
		if path == "" {
			dir, err := os.UserCacheDir()
			if err != nil {
				dir = os.TempDir()
			}
			path = filepath.Join(dir, "switchboard", "eval-embeddings-"+enc.ID()+".bin")
		}
		if store, err = encoder.OpenStore(enc, path); err != nil {
			return nil, err
		}
		defer store.Close()
		log.Info("eval: embedding cache", "path", path, "embeddings", store.Len())
	case "off":
	default:
		return nil, fmt.Errorf("eval: --encoder must be on or off, got %q", opts.Encoder)
	}
	var out []FewShotResult
	for _, path := range opts.Data {
		d, err := Load(path)
		if err != nil {
			return nil, err
		}
		name := d.Name
		if d.Format == "clinc150" {
			name = "clinc150/" + strings.TrimSuffix(d.Name, ".json")
		}
		res := FewShotResult{Dataset: name, Shots: opts.Shots, Seeds: opts.Seeds}
		if d.MultiLabel {
			res.Skipped = "multi-label set: the few-shot protocol needs one label per item"
			out = append(out, res)
			continue
		}
		if store != nil {
			res.Weight = opts.Weight
			if opts.Cascade > 0 {
				res.Cascade = opts.Cascade
			}
		}
		var trainSecs float64
		for _, seed := range opts.Seeds {
			pool := d.Train
			var heldOut []Item
			if opts.Tune && opts.Shots == 0 && len(inScope(d.Val)) == 0 {
				// All of train is drawn: hold a fifth out to score.
				pool, heldOut = splitItems(d.Train, 0.2, seed, 0x5407)
			}
			train, rest := drawShots(pool, opts.Shots, seed)
			rest = append(rest, heldOut...)
			scoredOn, items := "test", inScope(d.Test)
			if opts.Tune {
				scoredOn, items = "val", inScope(d.Val)
				if len(items) == 0 {
					scoredOn, items = "held-out train", inScope(rest)
					if len(items) > 3000 {
						rng := rand.New(rand.NewPCG(uint64(seed), 0x7e57))
						rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
						items = items[:3000]
					}
				}
			}
			res.Scored, res.Items = scoredOn, len(items)
			sc, secs, err := scoreSeed(ctx, train, items, seed, opts, store)
			if err != nil {
				return nil, fmt.Errorf("eval: %s seed %d: %w", d.Name, seed, err)
			}
			trainSecs += secs
			res.Lexical = append(res.Lexical, sc.lex)
			if store != nil {
				res.Encoder = append(res.Encoder, sc.enc)
				res.Combined = append(res.Combined, sc.comb)
				if res.Cascade > 0 {
					res.Cascaded = append(res.Cascaded, sc.casc)
					res.CascadeSkip = append(res.CascadeSkip, sc.skipped)
				}
			}
			log.Info("eval: few-shot", "dataset", d.Name, "seed", seed, "train", len(train), "scored", len(items),
				"lexical", sc.lex, "encoder", sc.enc, "combined", sc.comb, "cascaded", sc.casc, "skipped", sc.skipped)
		}
		res.TrainSeconds = trainSecs / float64(len(opts.Seeds))
		out = append(out, res)
	}
	if opts.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return nil, fmt.Errorf("eval: write JSON: %w", err)
		}
		return out, nil
	}
	return out, writeFewShot(w, out)
}

// inScope returns the items that are not out of scope, as examples.
func inScope(items []Item) []nlu.Example {
	var out []nlu.Example
	for _, it := range items {
		if len(it.Labels) == 1 && it.Labels[0] != OOS {
			out = append(out, nlu.Example{Text: it.Text, Label: it.Labels[0]})
		}
	}
	return out
}

// drawShots returns shots in-scope examples per label (all of them when
// shots is 0 or a label has fewer), drawn with seed, and the items not drawn.
func drawShots(items []Item, shots int, seed int64) (train, rest []Item) {
	byLabel := map[string][]Item{}
	for _, it := range items {
		if len(it.Labels) == 1 && it.Labels[0] != OOS {
			byLabel[it.Labels[0]] = append(byLabel[it.Labels[0]], it)
		}
	}
	labels := make([]string, 0, len(byLabel))
	for l := range byLabel {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5407))
	for _, l := range labels {
		its := slices.Clone(byLabel[l])
		rng.Shuffle(len(its), func(i, j int) { its[i], its[j] = its[j], its[i] })
		n := len(its)
		if shots > 0 {
			n = min(n, shots)
		}
		train = append(train, its[:n]...)
		rest = append(rest, its[n:]...)
	}
	return train, rest
}

// HasCJK reports whether text contains Chinese, Japanese or Korean script,
// for which the English sentence encoder is not used.
func HasCJK(text string) bool {
	for _, r := range text {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}

// seedScores are in-scope accuracies (percent) of one seed.
type seedScores struct {
	lex, enc, comb, casc float64
	skipped              float64 // percent of items the cascade did not encode
}

// scoreSeed trains on train and returns the in-scope accuracy of the
// lexical model, the encoder's classifier, their blend and the cascaded
// blend on items, and the lexical training time.
func scoreSeed(ctx context.Context, train []Item, items []nlu.Example, seed int64, opts FewShotOptions, store *encoder.Store) (sc seedScores, secs float64, err error) {
	ex := trainingExamples(train)
	mo := opts.Model
	mo.Seed = seed
	start := time.Now()
	m, err := nlu.Train(ctx, ex, mo)
	if err != nil {
		return sc, 0, err
	}
	secs = time.Since(start).Seconds()
	var dm *nlu.DenseModel
	var testVecs [][]float32
	if store != nil {
		texts := make([]string, len(ex))
		labels := make([]string, len(ex))
		for i, e := range ex {
			texts[i], labels[i] = e.Text, e.Label
		}
		vecs, err := store.EncodeAll(ctx, texts)
		if err != nil {
			return sc, 0, err
		}
		if dm, err = nlu.TrainDense(ctx, vecs, labels, nlu.Options{Seed: seed, Workers: mo.Workers}); err != nil {
			return sc, 0, err
		}
		tt := make([]string, len(items))
		for i, it := range items {
			tt[i] = it.Text
		}
		if testVecs, err = store.EncodeAll(ctx, tt); err != nil {
			return sc, 0, err
		}
	}
	labels := m.Labels()
	argmax := func(p []float64) string {
		best := 0
		for c, v := range p {
			if v > p[best] {
				best = c
			}
		}
		return labels[best]
	}
	var nLex, nEnc, nComb, nCasc, nSkip int
	for i, it := range items {
		pl := m.Probs(it.Text)
		lexLabel := argmax(pl)
		if lexLabel == it.Label {
			nLex++
		}
		if dm == nil {
			continue
		}
		pe := dm.Probs(testVecs[i])
		if argmax(pe) == it.Label {
			nEnc++
		}
		w := opts.Weight
		if HasCJK(it.Text) {
			w = 0
		}
		comb := argmax(nlu.BlendProbs(pl, pe, w))
		if comb == it.Label {
			nComb++
		}
		if opts.Cascade > 0 && slices.Max(pl) >= opts.Cascade {
			nSkip++
			comb = lexLabel
		}
		if comb == it.Label {
			nCasc++
		}
	}
	n := float64(max(len(items), 1))
	pc := func(k int) float64 { return 100 * float64(k) / n }
	return seedScores{pc(nLex), pc(nEnc), pc(nComb), pc(nCasc), pc(nSkip)}, secs, nil
}

// meanSD returns the mean and the sample standard deviation of xs.
func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	if len(xs) < 2 {
		return m, 0
	}
	var v float64
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, math.Sqrt(v / float64(len(xs)-1))
}

func writeFewShot(w io.Writer, rs []FewShotResult) error {
	ew := &errWriter{w: w}
	ew.printf("%-20s %5s %-22s %15s %15s %15s %15s %8s\n", "dataset", "shots", "scored", "lexical", "encoder", "combined", "cascaded", "skipped")
	cell := func(xs []float64) string {
		if len(xs) == 0 {
			return "–"
		}
		m, sd := meanSD(xs)
		return fmt.Sprintf("%.2f ± %.2f", m, sd)
	}
	for _, r := range rs {
		shots := fmt.Sprint(r.Shots)
		if r.Shots == 0 {
			shots = "all"
		}
		if r.Skipped != "" {
			ew.printf("%-20s %5s skipped: %s\n", r.Dataset, shots, r.Skipped)
			continue
		}
		skip := "–"
		if len(r.CascadeSkip) > 0 {
			m, _ := meanSD(r.CascadeSkip)
			skip = fmt.Sprintf("%.1f%%", m)
		}
		ew.printf("%-20s %5s %-22s %15s %15s %15s %15s %8s\n", r.Dataset, shots, fmt.Sprintf("%s (%d)", r.Scored, r.Items),
			cell(r.Lexical), cell(r.Encoder), cell(r.Combined), cell(r.Cascaded), skip)
	}
	if len(rs) > 0 {
		ew.printf("\nin-scope accuracy %%, mean ± sample standard deviation over seeds %v", rs[0].Seeds)
		if rs[0].Weight > 0 {
			ew.printf("\ncombined: lexical^%.2f · encoder^%.2f, renormalised (lexical only for Chinese text)", 1-rs[0].Weight, rs[0].Weight)
			if rs[0].Cascade > 0 {
				ew.printf("\ncascaded: the combination only when the lexical top probability is below %.2f (bot.encoder: auto); skipped: share of items it did not encode", rs[0].Cascade)
			}
		}
		ew.printf("\n")
	}
	return ew.err
}
