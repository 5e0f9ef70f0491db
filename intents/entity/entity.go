// Package entity finds values in customer messages: the bot owner's list
// entities (canonical values with synonyms) and regex entities, and the
// built-in types number, money, date, time, email, phone, url, yes_no and
// text. Every extractor returns normalised values: dates as ISO 8601
// (2026-12-03) relative to Context.Now in Context.Location, times as 15:04,
// numbers as plain decimals, money as "4.90 EUR", phone numbers as digits
// with an optional leading +, e-mail addresses with a lower-case domain.
//
// Extractors understand English and Chinese phrasings ("tomorrow", "next
// friday", "明天", "下周五", "12月3日", "下午3点", "三十块") and never
// panic, whatever the input: they are fuzzed. All extractors are safe for
// concurrent use.
package entity

import (
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Match is one value found in a text.
type Match struct {
	// Value is the normalised value, e.g. "2026-12-03" for "tomorrow".
	Value string
	// Text is the part of the message it was read from, as written.
	Text string
	// Start and End are byte offsets of Text in the message.
	Start, End int
}

// Context is what extraction depends on besides the text.
type Context struct {
	// Now is the reference for relative dates ("tomorrow"); the zero time
	// means time.Now().
	Now time.Time
	// Location is the time zone relative dates are computed in; nil means UTC.
	Location *time.Location
	// DayFirst reads 3/12 as 3 December instead of March 12.
	DayFirst bool
}

func (c Context) today() time.Time {
	now := c.Now
	if now.IsZero() {
		now = time.Now()
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	now = now.In(loc)
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
}

// Extractor finds the values of one entity type in a text, in the order
// they appear. It returns nil when there is none.
type Extractor interface {
	Extract(text string, c Context) []Match
}

// Func adapts a function to Extractor.
type Func func(text string, c Context) []Match

// Extract calls f.
func (f Func) Extract(text string, c Context) []Match { return f(text, c) }

// Builtin returns the built-in extractor called name (see BuiltinNames).
func Builtin(name string) (Extractor, bool) {
	switch name {
	case "number":
		return Func(Number), true
	case "money":
		return Func(Money), true
	case "date":
		return Func(Date), true
	case "time":
		return Func(Time), true
	case "email":
		return Func(Email), true
	case "phone":
		return Func(Phone), true
	case "url":
		return Func(URL), true
	case "yes_no":
		return Func(YesNo), true
	case "text":
		return Func(Text), true
	}
	return nil, false
}

// BuiltinNames returns the names of the built-in entity types, sorted.
func BuiltinNames() []string {
	return []string{"date", "email", "money", "number", "phone", "text", "time", "url", "yes_no"}
}

// folded is a text in lower case with full-width ASCII made half-width,
// rune for rune, with a map back to byte offsets in the original.
type folded struct {
	orig string
	s    string
	off  []int // off[i] is the original offset of folded byte i; off[len(s)] = len(orig)
}

func fold(text string) folded {
	var b strings.Builder
	b.Grow(len(text))
	off := make([]int, 0, len(text)+1)
	for i, r := range text {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		} else if r == 0x3000 { // ideographic space
			r = ' '
		}
		r = unicode.ToLower(r)
		n := utf8.RuneLen(r)
		if n < 0 { // invalid rune: keep the replacement character
			r, n = utf8.RuneError, 3
		}
		for range n {
			off = append(off, i)
		}
		b.WriteRune(r)
	}
	off = append(off, len(text))
	return folded{orig: text, s: b.String(), off: off}
}

// match builds a Match for folded bytes [start, end).
func (f folded) match(value string, start, end int) Match {
	s, e := f.off[start], f.off[end]
	if e < s {
		e = s
	}
	return Match{Value: value, Text: f.orig[s:e], Start: s, End: e}
}

// isWordRune reports letters and digits of alphabetic scripts; CJK
// characters are not word runes, so entities need no spaces around them.
func isWordRune(r rune) bool {
	return (unicode.IsLetter(r) || unicode.IsDigit(r)) && !isCJK(r)
}

func isCJK(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)
}

// bounded reports whether s[start:end] is not part of a longer word: the
// runes before and after it are not word runes (when the match itself
// starts or ends with one).
func bounded(s string, start, end int) bool {
	if start > 0 {
		before, _ := utf8.DecodeLastRuneInString(s[:start])
		first, _ := utf8.DecodeRuneInString(s[start:])
		if isWordRune(before) && isWordRune(first) {
			return false
		}
	}
	if end < len(s) {
		after, _ := utf8.DecodeRuneInString(s[end:])
		last, _ := utf8.DecodeLastRuneInString(s[:end])
		if isWordRune(after) && isWordRune(last) {
			return false
		}
	}
	return true
}

// span is a candidate match in folded text.
type span struct {
	start, end int
	value      string
}

// resolve keeps the leftmost-longest non-overlapping spans, in text order.
func resolve(f folded, spans []span) []Match {
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].start != spans[j].start {
			return spans[i].start < spans[j].start
		}
		return spans[i].end-spans[i].start > spans[j].end-spans[j].start
	})
	var out []Match
	last := -1
	for _, sp := range spans {
		if sp.start < last {
			continue
		}
		out = append(out, f.match(sp.value, sp.start, sp.end))
		last = sp.end
	}
	return out
}

// Text matches the whole message, trimmed, when it is not empty: for slots
// that take free text such as a delivery address.
func Text(text string, _ Context) []Match {
	t := strings.TrimSpace(text)
	if t == "" {
		return nil
	}
	start := strings.Index(text, t)
	return []Match{{Value: t, Text: t, Start: start, End: start + len(t)}}
}
