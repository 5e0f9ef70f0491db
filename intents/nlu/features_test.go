package nlu

import (
	"math"
	"testing"
)

func TestHashDocCounts(t *testing.T) {
	e := extractor{charMin: 2, charMax: 4, wordBigrams: true}
	tests := []struct {
		name        string
		text        string
		words, char int
	}{
		// " hi " gives 3 bigrams, 2 trigrams, 1 4-gram.
		{"one word", "Hi", 1, 6},
		// 2 words + 1 bigram; " my " 6 and " card " 5+4+3.
		{"two words", "my card", 3, 6 + 12},
		// 5 characters + 4 bigrams; the run " 我想订酒店 " (7 runes) 6+5+4.
		{"cjk run", "我想订酒店", 9, 15},
		// Punctuation breaks the run: " 好的 " 3+2+1 and " 再见 " 3+2+1.
		{"cjk runs split by punctuation", "好的，再见", 4 + 3, 12},
		{"mixed", "A酒店", 3 + 2, 3 + 6},
		{"empty", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.hashDoc(tt.text)
			if len(d[blockWord]) != tt.words || len(d[blockChar]) != tt.char {
				t.Errorf("hashDoc(%q): %d word and %d char features, want %d and %d",
					tt.text, len(d[blockWord]), len(d[blockChar]), tt.words, tt.char)
			}
		})
	}
}

func TestVectorizeNormalisesBlocks(t *testing.T) {
	e := extractor{charMin: 2, charMax: 4, wordBigrams: true}
	train := []string{"check my balance", "my card is lost", "book a hotel"}
	docs := make([]hashedDoc, len(train))
	for i, s := range train {
		docs[i] = e.hashDoc(s)
	}
	v := buildVocabulary(docs, 1)
	blockNorms := func(x sparse) [numBlocks]float64 {
		var n [numBlocks]float64
		for j, c := range x.idx {
			n[v.block[c]] += float64(x.val[j]) * float64(x.val[j])
		}
		return n
	}
	x := v.vectorize(e.hashDoc("check my card"))
	for b, n := range blockNorms(x) {
		if math.Abs(n-1) > 1e-5 {
			t.Errorf("block %d has squared norm %v, want 1", b, n)
		}
	}
	if x.known != 1 || x.blocks != numBlocks {
		t.Errorf("all-known text: known %v, blocks %d; want 1 and %d", x.known, x.blocks, numBlocks)
	}
	// Unknown features shrink the known part when they count in the norm.
	v.oovIDF = math.Log(4) + 1
	y := v.vectorize(e.hashDoc("check my zebra"))
	var meanNorm float64
	for b, n := range blockNorms(y) {
		if !(n > 0 && n < 1) {
			t.Errorf("with an unknown word, block %d has squared norm %v, want in (0, 1)", b, n)
		}
		meanNorm += math.Sqrt(n) / numBlocks
	}
	if math.Abs(y.known-meanNorm) > 1e-5 || y.blocks != numBlocks {
		t.Errorf("with an unknown word: known %v, blocks %d; want the mean block norm %v and %d", y.known, y.blocks, meanNorm, numBlocks)
	}
	if got := v.vectorize(e.hashDoc("qqq")); len(got.idx) != 0 || got.known != 0 || got.blocks != numBlocks {
		t.Errorf("all-unknown text: %d features, known %v, blocks %d; want 0, 0, %d", len(got.idx), got.known, got.blocks, numBlocks)
	}
}
