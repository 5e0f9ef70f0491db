// Package sentiment scores how positive or negative a customer message is,
// in English and Chinese, from a word list: no model, no download, a few
// microseconds per message, and decides with Angry whether the customer is
// upset enough for a person to take over.
//
// Each word of the lexicon has a valence (about -3.5 to +3). A negator a
// few words before a word ("not", "never", "don't", 不, 没, 别) flips it and
// weakens it ("not bad" is mildly positive); an intensifier ("very",
// "really", 非常, 太, 特别) strengthens it and a diminisher ("a bit",
// "slightly", 有点) weakens it. Words after "but"/但是/不过 count more than
// those before it. Exclamation marks and words in capitals add emphasis.
// The sum s is squashed to s/√(s²+15) so that Score is in [-1, 1]: s = -3
// gives -0.61, s = -1.7 gives -0.4 and s = -5.2 gives -0.8.
//
// # How negative
//
// Negative words come in three bands, because a customer who reports a
// problem is not an angry customer:
//
//   - complaint words name a problem for the bot to route: "wrong",
//     "broken", "damaged", "late", "missing", 错了, 坏了, 没收到 (-0.3 to
//     -1.2). However many a message has, together they count at most -1.2,
//     so "the parcel arrived broken and late, and the address is wrong!!!"
//     stays above -0.4;
//   - frustration words are the customer's mood: "annoyed", "disappointed",
//     "upset", 失望, 不满, 烦 (-1.5 to -2.5): one of them is about -0.5;
//   - anger words are anger and insults: "ridiculous", "useless",
//     "furious", "worst", "scam", 垃圾, 气死, 离谱, 骗子 (-3 to -3.5): one
//     is about -0.6; two, or one with "absolutely" and "!!!", reach -0.8.
//
// The bands were set from the thresholds of Angry, not fitted to messages:
// complaint words can never reach FrustratedBelow on their own (1.2 × the
// largest emphasis, 1.4, is 1.68, a score of -0.398), one frustration or
// anger word can, and AngryAtOrBelow takes two strong words (or one
// strengthened). testdata/labelled.tsv, a table
// of hand-labelled en/zh support messages written before the weights were
// changed, checks the result (TestLabelled logs the confusion counts); it
// showed lexicon gaps (烦死, 什么破, 好几 and 是不是 read as a negator),
// which were added as words, never by moving a weight for one message.
//
// # The handoff rule
//
// Angry(score, previous) is true on real anger — one message at or below
// AngryAtOrBelow (-0.8) — or on repeated frustration — FrustratedRun (2)
// messages in a row, each below FrustratedBelow (-0.4). A message without
// sentiment words in between breaks the run. The caller keeps the scores of
// the customer's last messages; Angry and its constants use plain float64s
// so that a package which must not import this one can copy them.
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
	// complaintCap is the most negative valence of a complaint word, and
	// the most all complaint words of a message add up to.
	complaintCap = 1.2
)

// Score returns the sentiment of text in [-1, 1]: below 0 negative, above 0
// positive, 0 when no word of the lexicon occurs. It is safe for concurrent
// use and never panics.
func Score(text string) float64 {
	mood, problem := sums(text)
	sum := mood + math.Max(problem, -complaintCap)
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

// sums scores text: mood is the weighted sum of its words, except the
// complaint words (valence -complaintCap … 0, not negated) whose weighted
// sum is problem. Words before "but" are weighed down, words after it up.
func sums(text string) (mood, problem float64) {
	toks := tokenize(text)
	seenBut := false
	for i, t := range toks {
		switch t.kind {
		case contrast:
			// Everything so far in this message weighs less.
			mood *= contrastBefore
			problem *= contrastBefore
			seenBut = true
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
			if !negated && t.valence < 0 && t.valence >= -complaintCap {
				problem += v
			} else {
				mood += v
			}
		}
	}
	return mood, problem
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
