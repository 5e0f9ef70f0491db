package entity

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ListValue is one value of a list entity and the other ways to say it.
type ListValue struct {
	Value    string
	Synonyms []string
}

// List finds the values of a list entity: each value and each of its
// synonyms, case-insensitively, as whole words (Chinese synonyms may stand
// anywhere). The value reported is the canonical Value. When phrases
// overlap the longest wins. A List is immutable and safe for concurrent use.
type List struct {
	values  []string
	phrases []listPhrase
}

type listPhrase struct {
	folded string
	value  string
}

// NewList returns the list entity of values. It returns an error when a
// value is empty, or when one phrase (after case folding) stands for two
// different values.
func NewList(values []ListValue) (*List, error) {
	l := &List{}
	owner := map[string]string{}
	var errs []error
	for _, v := range values {
		if strings.TrimSpace(v.Value) == "" {
			errs = append(errs, errors.New("empty value"))
			continue
		}
		l.values = append(l.values, v.Value)
		for _, p := range append([]string{v.Value}, v.Synonyms...) {
			fp := strings.TrimSpace(fold(p).s)
			if fp == "" {
				continue
			}
			if o, dup := owner[fp]; dup {
				if o != v.Value {
					errs = append(errs, fmt.Errorf("%q stands for both %q and %q", p, o, v.Value))
				}
				continue
			}
			owner[fp] = v.Value
			l.phrases = append(l.phrases, listPhrase{folded: fp, value: v.Value})
		}
	}
	return l, errors.Join(errs...)
}

// Values returns the canonical values in the order given.
func (l *List) Values() []string { return append([]string(nil), l.values...) }

// Has reports whether v is one of the canonical values.
func (l *List) Has(v string) bool {
	for _, x := range l.values {
		if x == v {
			return true
		}
	}
	return false
}

// Extract implements Extractor.
func (l *List) Extract(text string, _ Context) []Match {
	f := fold(text)
	var spans []span
	for _, p := range l.phrases {
		for from := 0; from < len(f.s); {
			i := strings.Index(f.s[from:], p.folded)
			if i < 0 {
				break
			}
			start, end := from+i, from+i+len(p.folded)
			if bounded(f.s, start, end) {
				spans = append(spans, span{start, end, p.value})
			}
			from = start + 1
			for from < len(f.s) && !isRuneStart(f.s[from]) {
				from++
			}
		}
	}
	return resolve(f, spans)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// Regex finds the matches of a regular expression (RE2 syntax, see
// https://pkg.go.dev/regexp/syntax). The value is the first capturing group
// when the expression has one and it matched, else the whole match; it is
// not otherwise changed unless Case says so. A Regex is safe for concurrent
// use.
type Regex struct {
	re   *regexp.Regexp
	fold func(string) string // normalises the value (Case); nil keeps it
}

// Case returns a copy of r that writes its values in upper ("upper") or
// lower ("lower") case, so that "ab123456" and "AB123456" are one value;
// "" keeps them as written. It returns an error for another mode.
func (r *Regex) Case(mode string) (*Regex, error) {
	c := *r
	switch mode {
	case "":
		c.fold = nil
	case "upper":
		c.fold = strings.ToUpper
	case "lower":
		c.fold = strings.ToLower
	default:
		return nil, fmt.Errorf("case %q: want upper or lower", mode)
	}
	return &c, nil
}

// NewRegex compiles expr. It returns the compile error, and an error when
// expr matches the empty string (it would fill a slot with nothing).
func NewRegex(expr string) (*Regex, error) {
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	if re.MatchString("") {
		return nil, errors.New("matches the empty text")
	}
	return &Regex{re: re}, nil
}

// String returns the expression.
func (r *Regex) String() string { return r.re.String() }

// MatchString reports whether s matches the expression anywhere.
func (r *Regex) MatchString(s string) bool { return r.re.MatchString(s) }

// Extract implements Extractor.
func (r *Regex) Extract(text string, _ Context) []Match {
	var out []Match
	for _, loc := range r.re.FindAllStringSubmatchIndex(text, 16) {
		start, end := loc[0], loc[1]
		if start == end {
			continue
		}
		value := text[start:end]
		if len(loc) >= 4 && loc[2] >= 0 && loc[3] > loc[2] {
			value = text[loc[2]:loc[3]]
		}
		if r.fold != nil {
			value = r.fold(value)
		}
		out = append(out, Match{Value: value, Text: text[start:end], Start: start, End: end})
	}
	return out
}
