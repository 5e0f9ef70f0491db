package intents

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/switchboard-gw/switchboard/intents/nlu"
	"github.com/switchboard-gw/switchboard/intents/nlu/encoder"
)

// Values of Options.Encoder (config key bot.encoder).
const (
	// EncoderAuto runs the sentence encoder on English messages only when
	// the lexical model is not clearly confident (see CascadeSkip).
	EncoderAuto = "auto"
	// EncoderOn runs it on every English message.
	EncoderOn = "on"
	// EncoderOff never loads it: the lexical model alone decides.
	EncoderOff = "off"
)

// BlendWeight is the sentence encoder's share of the blended probability,
// the renormalised geometric mean lexical^(1−w)·encoder^w (see nlu.Blend).
// Chosen on val only (CLINC150 val and held-out BANKING77 train, 10
// examples per intent); see README.
const BlendWeight = 0.5

// CascadeSkip is the lexical top probability at and above which EncoderAuto
// does not run the encoder. On the same val sets, 10 examples per intent,
// skipping at 0.4 kept the blend's accuracy (within 0.1 point) while
// skipping the encoder for a third of the messages; at 0.2 and 0.3 the
// blend lost 0.2–0.9 points.
const CascadeSkip = 0.4

// FAQ entries are retrieved by the blend, whose two classifiers are trained
// on their questions. Lifting an entry to the embedding cosine of its
// nearest question (as FAQMinCosine does for the TF-IDF cosine) was
// measured and rejected: with every label treated as an FAQ entry of 10
// questions, lifting from a cosine of 0.6, 0.7, 0.75, 0.8, 0.85 or 0.9 gave
// 79.8, 84.2, 86.8, 88.9, 89.7 and 89.9% on CLINC150 val against 89.9%
// without, and 63.0–80.9% against 81.1% on held-out BANKING77 train. The
// cosine is still reported (Candidate.FAQEmbeddingCosine) for explanations.

// lruSize is the number of recent messages whose embeddings are kept.
const lruSize = 4096

// semantic is the sentence-encoder half of the understander.
type semantic struct {
	mode   string
	enc    *encoder.Encoder
	dense  *nlu.DenseModel
	pos    []int // position in dense's labels of each lexical label, or -1
	faqs   []faqVec
	lru    *encoder.LRU
	weight float64
	// counters for EncoderStats
	encoded, skipped, cached atomic.Int64
}

type faqVec struct {
	label string
	vec   []float32
}

// EncoderStats counts, since the understander was built, the messages whose
// embedding was computed, taken from the cache of recent messages, or not
// needed (encoder off, Chinese text, or the lexical model confident).
type EncoderStats struct {
	Encoded, Cached, Skipped int64
}

// EncoderStats returns the encoder's counters; all zero when it is off.
func (u *Understander) EncoderStats() EncoderStats {
	if u.sem == nil {
		return EncoderStats{}
	}
	return EncoderStats{Encoded: u.sem.encoded.Load(), Cached: u.sem.cached.Load(), Skipped: u.sem.skipped.Load()}
}

// hasCJK reports whether text contains Chinese, Japanese or Korean script.
// The English sentence encoder is not used on such text.
func hasCJK(text string) bool {
	for _, r := range text {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return true
		}
	}
	return false
}

// newSemantic embeds the English examples (through the on-disk store at
// cachePath when set) and trains the encoder's classifier. It returns nil
// and no error when the mode is off or fewer than two labels have English
// examples.
func newSemantic(ctx context.Context, mode, cachePath string, examples []nlu.Example, lexLabels []string, faq func(string) bool, seed int64) (*semantic, string, error) {
	switch mode {
	case EncoderAuto, EncoderOn:
	case "", EncoderOff:
		return nil, "sentence encoder off", nil
	default:
		return nil, "", fmt.Errorf("intents: encoder must be auto, on or off, got %q", mode)
	}
	var texts, labels []string
	distinct := map[string]bool{}
	for _, e := range examples {
		if hasCJK(e.Text) || strings.TrimSpace(e.Text) == "" {
			continue
		}
		texts = append(texts, e.Text)
		labels = append(labels, e.Label)
		distinct[e.Label] = true
	}
	if len(distinct) < 2 {
		return nil, "sentence encoder unused: fewer than 2 intents or FAQ entries have English examples", nil
	}
	start := time.Now()
	enc, err := encoder.Default()
	if err != nil {
		return nil, "", fmt.Errorf("intents: %w", err)
	}
	// The generic out-of-scope sentences that calibrate the threshold are
	// embedded through the same on-disk cache and kept in the LRU, so that
	// a restart does not encode them again.
	warm := genericOutOfScope["en"]
	all := append(append([]string(nil), texts...), warm...)
	var vecs [][]float32
	how := "computed"
	if cachePath != "" {
		st, err := encoder.OpenStore(enc, cachePath)
		if err != nil {
			return nil, "", fmt.Errorf("intents: %w", err)
		}
		vecs, err = st.EncodeAll(ctx, all)
		hits, misses := st.Stats()
		how = fmt.Sprintf("%d cached, %d computed", hits, misses)
		if cerr := st.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("intents: %w", cerr)
		}
		if err != nil {
			return nil, "", fmt.Errorf("intents: %w", err)
		}
	} else {
		vecs = enc.EncodeBatch(all)
	}
	vecs, warmVecs := vecs[:len(texts)], vecs[len(texts):]
	dense, err := nlu.TrainDense(ctx, vecs, labels, nlu.Options{Seed: seed})
	if err != nil {
		return nil, "", fmt.Errorf("intents: train encoder classifier: %w", err)
	}
	s := &semantic{mode: mode, enc: enc, dense: dense, lru: encoder.NewLRU(lruSize), weight: BlendWeight}
	for i, t := range warm {
		s.lru.Put(t, warmVecs[i])
	}
	at := map[string]int{}
	for i, l := range dense.Labels() {
		at[l] = i
	}
	s.pos = make([]int, len(lexLabels))
	for i, l := range lexLabels {
		if p, ok := at[l]; ok {
			s.pos[i] = p
		} else {
			s.pos[i] = -1
		}
	}
	for i, l := range labels {
		if faq(l) {
			s.faqs = append(s.faqs, faqVec{l, vecs[i]})
		}
	}
	report := fmt.Sprintf("sentence encoder %s: %d English examples and %d calibration sentences embedded (%s) in %s",
		mode, len(texts), len(warm), how, time.Since(start).Round(time.Millisecond))
	return s, report, nil
}

// Candidate is one label's scores for a message.
type Candidate struct {
	Label string
	// Score is what the bot decides on: the blend of the two models (the
	// lexical probability alone when the encoder did not run), raised to
	// the TF-IDF similarity of an FAQ entry's nearest question when that is
	// at least FAQMinCosine and higher.
	Score float64
	// Lexical is the probability of the word and character n-gram model.
	Lexical float64
	// Encoder is the probability of the sentence encoder's classifier, or
	// -1 when it did not run (see Ranking.Encoder).
	Encoder float64
	// FAQCosine and FAQEmbeddingCosine are, for an FAQ entry, the best
	// similarity of the message to one of its questions: TF-IDF cosine and
	// sentence-embedding cosine (-1 when the encoder did not run). Only
	// FAQCosine counts, from FAQMinCosine; the other is for explanations.
	FAQCosine, FAQEmbeddingCosine float64
}

// Ranking is every label's scores for a message, best first.
type Ranking struct {
	Candidates []Candidate
	// Encoder says whether the sentence encoder ran and, if not, why:
	// "used", "used (cached)", "off", "no English examples", "Chinese text",
	// "lexical model confident" or "empty text".
	Encoder string
}

// Rank scores every intent and FAQ entry for text, best first, with the
// score of each model; it is what Understand decides on. An FAQ entry
// scores the higher of its blended probability and its nearest question's
// TF-IDF cosine when that reaches FAQMinCosine.
func (u *Understander) Rank(text string) Ranking {
	labels := u.model.Labels()
	lex := u.model.Probs(text)
	r := Ranking{Candidates: make([]Candidate, len(labels))}
	for c, l := range labels {
		r.Candidates[c] = Candidate{Label: l, Score: lex[c], Lexical: lex[c], Encoder: -1, FAQEmbeddingCosine: -1}
	}
	vec := u.embed(text, lex, &r)
	if vec != nil {
		pe := u.sem.dense.Probs(vec)
		// A label with no English example has no encoder probability: it
		// keeps its lexical one on both sides of the blend.
		enc := make([]float64, len(labels))
		for c := range r.Candidates {
			enc[c] = lex[c]
			if p := u.sem.pos[c]; p >= 0 {
				enc[c] = pe[p]
				r.Candidates[c].Encoder = pe[p]
			}
		}
		for c, p := range nlu.BlendProbs(lex, enc, u.sem.weight) {
			r.Candidates[c].Score = p
		}
	}
	if len(u.bot.FAQs) > 0 {
		idx := map[string]int{}
		for c, l := range labels {
			idx[l] = c
		}
		for _, n := range u.model.Nearest(text, len(u.bot.FAQs)) {
			if c, ok := idx[n.Label]; ok && n.Cosine > r.Candidates[c].FAQCosine {
				r.Candidates[c].FAQCosine = n.Cosine
			}
		}
		if vec != nil {
			for _, f := range u.sem.faqs {
				c, ok := idx[f.label]
				if !ok {
					continue
				}
				var cos float64
				for j, v := range f.vec {
					cos += float64(v) * float64(vec[j])
				}
				r.Candidates[c].FAQEmbeddingCosine = math.Max(r.Candidates[c].FAQEmbeddingCosine, cos)
			}
		}
		for c := range r.Candidates {
			cd := &r.Candidates[c]
			if cd.FAQCosine >= FAQMinCosine && cd.FAQCosine > cd.Score {
				cd.Score = cd.FAQCosine
			}
		}
	}
	sortCandidates(r.Candidates)
	return r
}

// embed returns the embedding of text when the encoder should run on it,
// and records why in r.Encoder.
func (u *Understander) embed(text string, lex []float64, r *Ranking) []float32 {
	s := u.sem
	switch {
	case s == nil && (u.encoderMode == EncoderOff || u.encoderMode == ""):
		r.Encoder = "off"
		return nil
	case s == nil:
		r.Encoder = "no English examples"
		return nil
	case strings.TrimSpace(text) == "":
		r.Encoder = "empty text"
		return nil
	case hasCJK(text):
		s.skipped.Add(1)
		r.Encoder = "Chinese text"
		return nil
	}
	if s.mode == EncoderAuto {
		top := 0.0
		for _, p := range lex {
			top = math.Max(top, p)
		}
		if top >= CascadeSkip {
			s.skipped.Add(1)
			r.Encoder = "lexical model confident"
			return nil
		}
	}
	if v, ok := s.lru.Get(text); ok {
		s.cached.Add(1)
		r.Encoder = "used (cached)"
		return v
	}
	v := s.enc.Encode(text)
	s.lru.Put(text, v)
	s.encoded.Add(1)
	r.Encoder = "used"
	return v
}

// sortCandidates sorts by score, highest first, keeping label order on ties.
func sortCandidates(cs []Candidate) {
	slices.SortStableFunc(cs, func(a, b Candidate) int { return cmp.Compare(b.Score, a.Score) })
}
