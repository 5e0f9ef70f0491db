package encoder

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// separator is SentencePiece's word-boundary mark, U+2581.
const separator = "\u2581"

// reservedPieces is the number of leading vocabulary entries (unknown,
// <s>, </s> and three extra ids) that never match text.
const reservedPieces = 6

// tokenizer is the SentencePiece unigram tokenizer of the Universal Sentence
// Encoder lite, a port of the TensorFlow.js one (tfjs-models, as bundled by
// @energetic-ai/embeddings) that reproduces its ids exactly:
//   - the text is NFKC-normalised; non-empty text gets a leading U+2581 and
//     every ASCII space becomes U+2581 (other white space is kept as is);
//   - the best segmentation maximises the sum of piece scores (float64;
//     the 7 pieces with a null score count as 0), visiting candidate pieces
//     by end position, then start position, then length, and taking a later
//     candidate on a tie (>=); a position that no piece reaches keeps the
//     score 0, as in the reference;
//   - a character that starts no piece is the unknown piece (id 0, score 0),
//     and consecutive unknown pieces are merged into one.
//
// It is immutable and safe for concurrent use.
type tokenizer struct {
	pieces []string  // by id
	scores []float64 // by id
	runes  []int     // piece length in characters, by id
	index  map[string]int32
	maxLen int // longest piece in characters
}

func newTokenizer(pieces []string, scores []float64) *tokenizer {
	t := &tokenizer{pieces: pieces, scores: scores, runes: make([]int, len(pieces)), index: make(map[string]int32, len(pieces))}
	for i, p := range pieces {
		// The reference backtracks by the piece's length in UTF-16 code
		// units; every piece of this vocabulary is in the Basic
		// Multilingual Plane, where that is its length in characters.
		t.runes[i] = max(1, utf8.RuneCountInString(p))
		if i < reservedPieces {
			continue
		}
		t.index[p] = int32(i) // a later duplicate wins, as in the reference trie
		t.maxLen = max(t.maxLen, t.runes[i])
	}
	return t
}

// candidate is one piece matched at a start position.
type candidate struct {
	id    int32
	n     int // length in characters
	score float64
}

// encode returns the piece ids of text.
func (t *tokenizer) encode(text string) []int32 {
	text = strings.ToValidUTF8(text, "\uFFFD")
	text = norm.NFKC.String(text)
	if text == "" {
		return nil
	}
	text = separator + strings.ReplaceAll(text, " ", separator)
	syms := []rune(text)
	// offs[i] is the byte offset of symbol i, so prefixes are substrings.
	offs := make([]int, len(syms)+1)
	o := 0
	for i, r := range syms {
		offs[i] = o
		o += utf8.RuneLen(r)
	}
	offs[len(syms)] = o

	n := len(syms)
	// ends[e] lists the candidates ending at e, by start ascending and then
	// by length ascending, the order the reference visits them in.
	ends := make([][]candidate, n+1)
	for i := range n {
		found := false
		for l := 1; l <= t.maxLen && i+l <= n; l++ {
			id, ok := t.index[text[offs[i]:offs[i+l]]]
			if !ok {
				continue
			}
			found = true
			ends[i+l] = append(ends[i+l], candidate{id: id, n: l, score: t.scores[id]})
		}
		if !found {
			ends[i+1] = append(ends[i+1], candidate{id: 0, n: 1})
		}
	}
	best := make([]float64, n+1)
	words := make([]int32, n+1)
	for e := 0; e <= n; e++ {
		// Candidates were appended by start ascending already, because
		// start positions are visited in order.
		for _, c := range ends[e] {
			s := c.score + best[e-c.n]
			if best[e] == 0 || s >= best[e] {
				best[e] = s
				words[e] = c.id
			}
		}
	}
	var rev []int32
	for it := n; it > 0; it -= t.runes[words[it]] {
		rev = append(rev, words[it])
	}
	out := make([]int32, 0, len(rev))
	prevUnk := false
	for i := len(rev) - 1; i >= 0; i-- {
		// The reference merges while walking the reversed list; merging
		// runs of 0 is the same in either direction.
		id := rev[i]
		if !(prevUnk && id == 0) {
			out = append(out, id)
		}
		prevUnk = id == 0
	}
	return out
}
