package nlu

import (
	"cmp"
	"math"
	"slices"
)

// Neighbor is a label's training example most similar to a text.
type Neighbor struct {
	Label string
	// Text is the training example.
	Text string
	// Cosine is the cosine similarity of the two TF-IDF vectors, in [0, 1];
	// unknown words of the text count in its norm, so they lower it.
	Cosine float64
}

// exampleIndex is an inverted index of the kept training examples: for each
// feature that occurs in one of them, the examples and their weights. It is
// read-only after construction.
type exampleIndex struct {
	feats    []int32 // sorted feature columns that occur in a kept example
	start    []int32 // postings of feats[i]: post[start[i]:start[i+1]]
	postEx   []int32 // example number
	postVal  []float32
	label    []int32   // label index of each kept example
	text     []string  // text of each kept example
	norm     []float32 // norm of each kept example's vector
	maxLabel int       // number of labels, for per-label best scores
}

// newExampleIndex indexes the examples whose label keep accepts.
func newExampleIndex(examples []Example, xs []sparse, y []int32, labels []string, keep func(string) bool) *exampleIndex {
	keepLabel := make([]bool, len(labels))
	for c, l := range labels {
		keepLabel[c] = keep(l)
	}
	ix := &exampleIndex{maxLabel: len(labels)}
	type posting struct {
		feat, ex int32
		val      float32
	}
	var posts []posting
	for i, x := range xs {
		if !keepLabel[y[i]] || len(x.idx) == 0 {
			continue
		}
		n := int32(len(ix.label))
		ix.label = append(ix.label, y[i])
		ix.text = append(ix.text, examples[i].Text)
		ix.norm = append(ix.norm, float32(x.norm()))
		for j, f := range x.idx {
			posts = append(posts, posting{f, n, x.val[j]})
		}
	}
	if len(ix.label) == 0 {
		return nil
	}
	// Stable by feature: examples stay in order within a posting list.
	slices.SortStableFunc(posts, func(a, b posting) int { return cmp.Compare(a.feat, b.feat) })
	ix.postEx = make([]int32, len(posts))
	ix.postVal = make([]float32, len(posts))
	for i, p := range posts {
		if i == 0 || p.feat != posts[i-1].feat {
			ix.feats = append(ix.feats, p.feat)
			ix.start = append(ix.start, int32(i))
		}
		ix.postEx[i] = p.ex
		ix.postVal[i] = p.val
	}
	ix.start = append(ix.start, int32(len(posts)))
	ix.feats = slices.Clip(ix.feats)
	ix.start = slices.Clip(ix.start)
	return ix
}

// sizeBytes estimates the memory held by the index.
func (ix *exampleIndex) sizeBytes() int64 {
	if ix == nil {
		return 0
	}
	n := int64(4*len(ix.feats) + 4*len(ix.start) + 8*len(ix.postEx) + 8*len(ix.label) + 16*len(ix.text))
	for _, t := range ix.text {
		n += int64(len(t))
	}
	return n
}

// norm returns the Euclidean norm of x counting unknown features: each
// non-empty block has norm 1.
func (x sparse) norm() float64 { return math.Sqrt(float64(x.blocks)) }

// Nearest returns, for the k labels whose kept examples (see
// [Options.KeepExamples]) are most similar to text, each label's most
// similar example, highest cosine first (ties in label order). It
// returns fewer than k when fewer labels have an example sharing a feature
// with text, and nil when the model kept no example or k < 1. It is safe
// for concurrent use.
func (m *Model) Nearest(text string, k int) []Neighbor {
	ix := m.kept
	if ix == nil || k < 1 {
		return nil
	}
	q := m.vocab.vectorize(m.ext.hashDoc(text))
	if len(q.idx) == 0 {
		return nil
	}
	dot := make([]float32, len(ix.label))
	for j, f := range q.idx {
		i, ok := slices.BinarySearch(ix.feats, f)
		if !ok {
			continue
		}
		qv := q.val[j]
		for p := ix.start[i]; p < ix.start[i+1]; p++ {
			dot[ix.postEx[p]] += qv * ix.postVal[p]
		}
	}
	qn := q.norm()
	best := make([]int32, ix.maxLabel)
	for c := range best {
		best[c] = -1
	}
	for e, d := range dot {
		if d <= 0 {
			continue
		}
		c := ix.label[e]
		if b := best[c]; b < 0 || d/ix.norm[e] > dot[b]/ix.norm[b] {
			best[c] = int32(e)
		}
	}
	var out []Neighbor
	for c, e := range best {
		if e < 0 {
			continue
		}
		cos := float64(dot[e]) / (qn * float64(ix.norm[e]))
		out = append(out, Neighbor{Label: m.labels[c], Text: ix.text[e], Cosine: min(cos, 1)})
	}
	slices.SortStableFunc(out, func(a, b Neighbor) int { return cmp.Compare(b.Cosine, a.Cosine) })
	return out[:min(k, len(out))]
}

// Ambiguous reports whether a ranking is too close to call: the first two
// scores are both at least threshold and differ by at most margin. It is
// the rule for asking a clarifying question with the top two candidates
// instead of answering the first. preds must be sorted highest first, as
// [Model.Predict] returns them; its Prob may be any score on one scale,
// such as intents and FAQ entries ranked together. It returns false when
// preds has fewer than two entries.
func Ambiguous(preds []Prediction, threshold, margin float64) bool {
	if len(preds) < 2 {
		return false
	}
	return preds[1].Prob >= threshold && preds[0].Prob-preds[1].Prob <= margin
}
