// Package sentiment scores how positive or negative a customer message is,
// in English and Chinese, from a word list: no model, no download, a few
// microseconds per message.
//
// Each word of the lexicon has a valence (about -3.5 to +3). A negator a
// few words before a word ("not", "never", "don't", 不, 没, 别) flips it and
// weakens it ("not bad" is mildly positive); an intensifier ("very",
// "really", 非常, 太, 特别) strengthens it and a diminisher ("a bit",
// "slightly", 有点) weakens it. Words after "but"/但是/不过 count more than
// those before it. Exclamation marks and words in capitals add emphasis.
// The sum s is squashed to s/√(s²+15) so that Score is in [-1, 1]: one
// strongly negative word gives about -0.6, two about -0.85.
//
// Chinese text has no spaces: it is matched greedily against the Chinese
// lexicon, longest word first, so 不错 (good) wins over 不 + 错. The word
// lists were written for this package, for customer-service messages.
package sentiment

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// alpha is the normalisation constant of s/√(s²+alpha).
const alpha = 15

// Weights of the modifiers.
const (
	negationFactor = -0.7 // a negated word's valence is multiplied by this
	intensifier    = 0.35 // each intensifier adds 35% to the next word
	diminisher     = -0.45
	contrastBefore = 0.5 // valence before "but" is weighed down
	contrastAfter  = 1.5 // and after it up
	capsBoost      = 1.25
	window         = 3 // how many tokens back a negator or modifier reaches
)

// Score returns the sentiment of text in [-1, 1]: below 0 negative, above 0
// positive, 0 when no word of the lexicon occurs. It is safe for concurrent
// use and never panics.
func Score(text string) float64 {
	var sum float64
	for _, clause := range clauses(text) {
		sum += clause
	}
	bangs := strings.Count(text, "!") + strings.Count(text, "！")
	if sum != 0 && bangs > 0 {
		sum *= 1 + 0.1*math.Min(float64(bangs), 4)
	}
	if sum == 0 {
		return 0
	}
	return sum / math.Sqrt(sum*sum+alpha)
}

// token is one unit of a message: a lexicon word, a modifier or anything
// else (which only counts for distance).
type token struct {
	kind    kind
	valence float64
	caps    bool
}

type kind int

const (
	other kind = iota
	word       // has a valence
	negator
	intens
	dimin
	contrast
	boundary // punctuation that ends a clause
)

// clauses scores each clause of text and returns the scores, with the
// weights of "but" applied.
func clauses(text string) []float64 {
	toks := tokenize(text)
	var scores []float64
	var cur float64
	seenBut := false
	for i, t := range toks {
		switch t.kind {
		case contrast:
			// Everything so far in this message weighs less.
			for j := range scores {
				scores[j] *= contrastBefore
			}
			cur *= contrastBefore
			seenBut = true
		case boundary:
			scores = append(scores, cur)
			cur = 0
		case word:
			v := t.valence
			if t.caps {
				v *= capsBoost
			}
			scale, negated := 1.0, false
		back:
			for j := i - 1; j >= 0 && j >= i-window; j-- {
				switch toks[j].kind {
				case boundary, contrast:
					break back
				case negator:
					negated = !negated
				case intens:
					scale += intensifier
				case dimin:
					scale += diminisher
				}
			}
			v *= math.Max(scale, 0.2)
			if negated {
				v *= negationFactor
			}
			if seenBut {
				v *= contrastAfter
			}
			cur += v
		}
	}
	return append(scores, cur)
}

// tokenize splits text into tokens: Latin-script words looked up in the
// English lists, runs of Chinese characters matched greedily against the
// Chinese lists, clause punctuation.
func tokenize(text string) []token {
	var toks []token
	var w strings.Builder
	caps := true
	letters := 0
	flush := func() {
		if w.Len() == 0 {
			return
		}
		s := w.String()
		w.Reset()
		toks = append(toks, englishToken(s, caps && letters > 1))
		caps, letters = true, 0
	}
	runes := []rune(text)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case isCJK(r):
			flush()
			n := 1
			for l := min(maxZh, len(runes)-i); l >= 1; l-- {
				if t, ok := chinese[string(runes[i:i+l])]; ok {
					toks = append(toks, t)
					n = l
					break
				}
				if l == 1 {
					toks = append(toks, token{kind: other})
				}
			}
			i += n - 1
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if unicode.IsLetter(r) {
				letters++
				if !unicode.IsUpper(r) {
					caps = false
				}
			}
			w.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’':
			// "don't" → "dont"
		default:
			flush()
			if strings.ContainsRune(".,;!?。，；！？\n", r) {
				toks = append(toks, token{kind: boundary})
			}
		}
	}
	flush()
	return toks
}

func englishToken(s string, caps bool) token {
	if t, ok := english[s]; ok {
		t.caps = caps && t.kind == word
		return t
	}
	return token{kind: other}
}

func isCJK(r rune) bool {
	return r >= utf8.RuneSelf && unicode.Is(unicode.Han, r)
}
