package nlu

import (
	"math"
	"slices"
	"unicode/utf8"
)

// Feature blocks. Each block is L2-normalised on its own, so that words and
// character n-grams carry the same weight whatever their counts.
const (
	blockWord = iota // word 1- and 2-grams
	blockChar        // character n-grams within word boundaries
	numBlocks
)

// FNV-1a, 64 bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvByte(h uint64, c byte) uint64 { return (h ^ uint64(c)) * fnvPrime }

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = fnvByte(h, s[i])
	}
	return h
}

// featureHash identifies a feature by a 64-bit hash of its kind and text; at
// 64 bits collisions between the few hundred thousand features of a model are
// negligible, and no string is built for an n-gram.
type featureHash = uint64

// hashedDoc is a document as the multiset of its feature hashes, per block.
type hashedDoc [numBlocks][]featureHash

// extractor turns text into feature hashes. Train sets its fields from
// Options; it is stored in the Model so that Predict extracts the same
// features.
type extractor struct {
	charMin, charMax int
	wordBigrams      bool
}

// hashDoc returns the feature hashes of text (with repetitions).
func (e *extractor) hashDoc(text string) hashedDoc {
	var d hashedDoc
	toks, glued := tokenize(text)
	words := make([]featureHash, 0, 2*len(toks))
	for i, t := range toks {
		h := fnvString(fnvByte(fnvOffset, 'w'), t)
		words = append(words, h)
		if e.wordBigrams && i+1 < len(toks) {
			h2 := fnvByte(fnvString(fnvByte(fnvOffset, 'b'), t), 0)
			words = append(words, fnvString(h2, toks[i+1]))
		}
	}
	d[blockWord] = words
	chars := make([]featureHash, 0, 8*len(toks))
	var runes []rune
	for i := 0; i < len(toks); i++ {
		// Pad the word with a space on each side, like scikit-learn's char_wb.
		// A run of CJK characters (no space or punctuation between them)
		// counts as one word here, so Chinese gets character 2–4-grams
		// without a segmenter; in the word block each character is a word.
		runes = append(runes[:0], ' ')
		for _, r := range toks[i] {
			runes = append(runes, r)
		}
		for i+1 < len(toks) && glued[i+1] {
			i++
			for _, r := range toks[i] {
				runes = append(runes, r)
			}
		}
		runes = append(runes, ' ')
		for n := e.charMin; n <= e.charMax; n++ {
			if n > len(runes) {
				break
			}
			for p := 0; p+n <= len(runes); p++ {
				h := fnvByte(fnvOffset, 'c')
				var buf [utf8.UTFMax]byte
				for _, r := range runes[p : p+n] {
					k := utf8.EncodeRune(buf[:], r)
					for j := 0; j < k; j++ {
						h = fnvByte(h, buf[j])
					}
				}
				chars = append(chars, h)
			}
		}
	}
	d[blockChar] = chars
	return d
}

// vocabulary maps feature hashes to column indexes and holds their inverse
// document frequencies. It is read-only after construction and safe for
// concurrent use.
type vocabulary struct {
	index map[featureHash]int32
	block []uint8   // block of each column
	idf   []float32 // smoothed idf of each column
	// oovIDF is the idf of a feature never seen in training; when > 0,
	// unknown features count in a block's norm, so a phrase made mostly of
	// unknown words gets a short vector and a less confident prediction.
	oovIDF float64
}

// buildVocabulary indexes every feature seen in at least minDF documents.
// Columns are ordered by (block, hash), so the result does not depend on the
// order of docs.
func buildVocabulary(docs []hashedDoc, minDF int) *vocabulary {
	type key struct {
		block uint8
		h     featureHash
	}
	df := make(map[key]int32)
	var seen []featureHash
	for _, d := range docs {
		for b := range numBlocks {
			seen = append(seen[:0], d[b]...)
			slices.Sort(seen)
			seen = slices.Compact(seen)
			for _, h := range seen {
				df[key{uint8(b), h}]++
			}
		}
	}
	keys := make([]key, 0, len(df))
	for k, n := range df {
		if int(n) >= minDF {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.block != b.block {
			return int(a.block) - int(b.block)
		}
		if a.h < b.h {
			return -1
		}
		if a.h > b.h {
			return 1
		}
		return 0
	})
	v := &vocabulary{
		index: make(map[featureHash]int32, len(keys)),
		block: make([]uint8, len(keys)),
		idf:   make([]float32, len(keys)),
	}
	n := float64(len(docs))
	for i, k := range keys {
		// Hashes of different blocks differ by their kind byte, so one map suffices.
		v.index[k.h] = int32(i)
		v.block[i] = k.block
		v.idf[i] = float32(math.Log((1+n)/(1+float64(df[k]))) + 1)
	}
	return v
}

// sparse is a sparse feature vector with strictly increasing indexes.
type sparse struct {
	idx []int32
	val []float32
	// known is the norm of the vector's known features within each
	// non-empty block (1 when all its features are in the vocabulary),
	// averaged over the non-empty blocks; 0 for a vector with no feature.
	known float64
	// blocks is the number of non-empty blocks, counting unknown features.
	blocks uint8
}

// vectorize returns the sublinear TF-IDF vector of d, each block L2-normalised.
// Features outside the vocabulary are ignored.
func (v *vocabulary) vectorize(d hashedDoc) sparse {
	var out sparse
	blocks := 0
	for b := range numBlocks {
		cols := make([]int32, 0, len(d[b]))
		var oov []featureHash
		for _, h := range d[b] {
			if c, ok := v.index[h]; ok {
				cols = append(cols, c)
			} else if v.oovIDF > 0 {
				oov = append(oov, h)
			}
		}
		slices.Sort(cols)
		start := len(out.idx)
		var sum float64
		slices.Sort(oov)
		for i := 0; i < len(oov); {
			j := i + 1
			for j < len(oov) && oov[j] == oov[i] {
				j++
			}
			w := (1 + math.Log(float64(j-i))) * v.oovIDF
			sum += w * w
			i = j
		}
		unknown := sum
		for i := 0; i < len(cols); {
			j := i + 1
			for j < len(cols) && cols[j] == cols[i] {
				j++
			}
			w := (1 + math.Log(float64(j-i))) * float64(v.idf[cols[i]])
			out.idx = append(out.idx, cols[i])
			out.val = append(out.val, float32(w))
			sum += w * w
			i = j
		}
		if sum > 0 {
			blocks++
			out.known += math.Sqrt((sum - unknown) / sum)
			inv := float32(1 / math.Sqrt(sum))

			for i := start; i < len(out.val); i++ {
				out.val[i] *= inv
			}
		}
	}
	if blocks > 0 {
		out.known /= float64(blocks)
		out.blocks = uint8(blocks)
	}
	return out
}
