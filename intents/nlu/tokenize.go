package nlu

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Tokens returns the normalised tokens of text.
//
// Normalisation is NFKC (full-width letters, digits and punctuation become
// their half-width forms, compatibility ligatures are expanded) followed by
// Unicode lower-casing. Tokens are:
//
//   - runs of letters, digits and combining marks for alphabetic scripts
//     (Latin, Cyrillic, Greek, Hangul, ...); an apostrophe inside such a run is
//     dropped and the run continues ("don't" → "dont"), and a '.' or ','
//     between two digits is kept ("3.5", "1,000");
//   - every Han, Hiragana, Katakana or Bopomofo character on its own (no
//     segmenter is needed: the feature extractor adds character bigrams);
//   - every currency sign and every other symbol (emoji) on its own.
//
// All other punctuation and white space separate tokens and are dropped.
// Tokens is safe for concurrent use.
func Tokens(text string) []string {
	toks, _ := tokenize(text)
	return toks
}

// tokenize returns the tokens of text (see Tokens) and, for each token,
// whether it is a CJK character written right after another one, so that
// the feature extractor can rebuild runs of CJK text.
func tokenize(text string) (dst []string, glued []bool) {
	// Invalid UTF-8 becomes U+FFFD first: NFKC does not normalise the
	// characters right after an invalid byte, so tokenising would not be
	// idempotent ("\xf6ϐ" kept ϐ, re-tokenised it became β; found by
	// FuzzTokens).
	s := norm.NFKC.String(strings.ToValidUTF8(text, "\uFFFD"))
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			dst = append(dst, b.String())
			glued = append(glued, false)
			b.Reset()
		}
	}
	prev := rune(-1)
	for i, r := range s {
		switch {
		case isCJK(r):
			flush()
			dst = append(dst, string(r))
			glued = append(glued, isCJK(prev))
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			b.WriteRune(unicode.ToLower(r))
		case isApostrophe(r) && b.Len() > 0 && isWordRune(nextRune(s, i)):
			// Drop it and keep the word going.
		case (r == '.' || r == ',') && b.Len() > 0 && unicode.IsDigit(prev) && unicode.IsDigit(nextRune(s, i)):
			b.WriteRune(r)
		case unicode.Is(unicode.Sc, r) || unicode.Is(unicode.So, r):
			flush()
			dst = append(dst, string(r))
			glued = append(glued, false)
		default:
			flush()
		}
		prev = r
	}
	flush()
	return dst, glued
}

// nextRune returns the rune after the one starting at byte offset i, or -1.
func nextRune(s string, i int) rune {
	// Skip the rune at i.
	for j, r := range s[i:] {
		if j == 0 {
			continue
		}
		return r
	}
	return -1
}

func isApostrophe(r rune) bool {
	return r == '\'' || r == '\u2019' || r == '\u02bc'
}

func isWordRune(r rune) bool {
	return r >= 0 && !isCJK(r) && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// isCJK reports whether r is written without spaces between words in
// Chinese or Japanese text, so that each character becomes a token.
func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Bopomofo, r)
}

// DetectLanguage returns "zh" when text is mainly CJK and "en" otherwise.
//
// Each CJK character counts as much as one Latin-script word (a run of
// letters), so "我想订酒店 please" is "zh" while "book a hotel 酒店" is "en".
// Text with neither (digits, emoji, empty) is "en". It is meant to pick the
// language of a reply, not to identify languages in general.
func DetectLanguage(text string) string {
	cjk, words := 0, 0
	inWord := false
	for _, r := range text {
		switch {
		case isCJK(r):
			cjk++
			inWord = false
		case unicode.IsLetter(r):
			if !inWord {
				words++
			}
			inWord = true
		default:
			inWord = false
		}
	}
	if cjk > 0 && cjk >= words {
		return "zh"
	}
	return "en"
}
