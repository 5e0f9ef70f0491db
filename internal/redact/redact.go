package redact

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Kind is a kind of personal data that a Redactor can mask.
type Kind string

// The built-in kinds, as spelled in the configuration.
const (
	Email Kind = "email" // e-mail addresses, masked as "[email]"
	Phone Kind = "phone" // international numbers (+49 30 1234567) and Chinese mobiles (138 1234 5678), "[phone]"
	Card  Kind = "card"  // Luhn-valid payment card numbers, "[card ****1234]"
	CNID  Kind = "cn_id" // Chinese resident identity numbers with their check character, "[id]"
	IBAN  Kind = "iban"  // IBANs with their country's length and mod-97 checksum, "[iban]"
)

// Masks of the built-in kinds and of owner patterns.
const (
	MaskEmail   = "[email]"
	MaskPhone   = "[phone]"
	MaskID      = "[id]"
	MaskIBAN    = "[iban]"
	MaskPattern = "[redacted]"
)

// Kinds returns every built-in kind, in the order they are documented.
func Kinds() []Kind { return []Kind{Email, Phone, Card, CNID, IBAN} }

// ParseKind returns the kind named s, or an error listing the known kinds.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.TrimSpace(strings.ToLower(s)))
	if slices.Contains(Kinds(), k) {
		return k, nil
	}
	names := make([]string, 0, 5)
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return "", fmt.Errorf("unknown kind %q (known: %s)", s, strings.Join(names, ", "))
}

// Config says what a Redactor masks.
type Config struct {
	// Kinds are the built-in kinds to mask; none when empty.
	Kinds []Kind
	// Patterns are owner regular expressions (Go RE2 syntax); every
	// non-empty match is replaced by "[redacted]". They see the text with
	// full-width forms (１２３, ＠) folded to ASCII, and never see masks.
	Patterns []string
}

// Redactor masks personal data in text. It is immutable once built and safe
// for concurrent use by multiple goroutines. A nil *Redactor masks nothing.
type Redactor struct {
	email, phone, card, cnid, iban bool
	patterns                       []*regexp.Regexp
}

// New builds a Redactor. It returns an error naming the culprit when a kind
// is unknown or a pattern is not a valid regular expression.
func New(cfg Config) (*Redactor, error) {
	r := &Redactor{}
	for _, k := range cfg.Kinds {
		k, err := ParseKind(string(k))
		if err != nil {
			return nil, fmt.Errorf("redact: %w", err)
		}
		switch k {
		case Email:
			r.email = true
		case Phone:
			r.phone = true
		case Card:
			r.card = true
		case CNID:
			r.cnid = true
		case IBAN:
			r.iban = true
		}
	}
	for i, p := range cfg.Patterns {
		re, err := CompilePattern(p)
		if err != nil {
			return nil, fmt.Errorf("redact: pattern %d: %w", i+1, err)
		}
		r.patterns = append(r.patterns, re)
	}
	return r, nil
}

// CompilePattern compiles an owner pattern as New does. It returns an error
// for an empty pattern or an invalid regular expression. (Empty matches of a
// valid pattern are ignored by Redact.)
func CompilePattern(p string) (*regexp.Regexp, error) {
	if p == "" {
		return nil, fmt.Errorf("empty pattern")
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %w", p, err)
	}
	return re, nil
}

var (
	// maskRE matches the masks Redact writes, so that a second pass leaves
	// them alone (owner patterns could otherwise match "[redacted]").
	maskRE = regexp.MustCompile(`\[(?:email|phone|id|iban|redacted|card \*{4}[0-9]{4})\]`)
	// domainRE matches the domain of an e-mail address, after the '@'.
	domainRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}`)
	// e164RE finds candidates for international numbers; validE164 trims
	// and checks them.
	e164RE = regexp.MustCompile(`\+ ?[1-9][0-9]{0,2}(?:[ .\-]?\(?[0-9]{1,6}\)?)+`)
)

// maxPasses bounds the passes of Redact. A pass can only mask more text, and
// a second pass finds something new only when a mask ends a run of letters
// or digits that kept a neighbour from matching.
const maxPasses = 4

// Redact returns s with every match of the configured kinds and patterns
// replaced by its mask. Numbers that fail their checksum are left alone.
// Invalid UTF-8 in s is replaced by U+FFFD, so the result is always valid
// UTF-8. The running time is linear in len(s).
func (r *Redactor) Redact(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if r == nil {
		return s
	}
	for range maxPasses {
		out, changed := r.pass(s)
		if !changed {
			return s
		}
		s = out
	}
	return s
}

// candidate is a span of s to mask.
type candidate struct {
	start, end int
	prio       int // lower wins between candidates of the same span
	mask       string
}

// pass masks s once.
func (r *Redactor) pass(orig string) (string, bool) {
	s, offs := fold(orig)
	hasDigit := strings.ContainsAny(s, "0123456789")
	hasAt := strings.IndexByte(s, '@') >= 0
	if !hasDigit && !hasAt && len(r.patterns) == 0 {
		return s, false
	}
	masks := maskRE.FindAllStringIndex(s, -1)
	var cands []candidate
	// Regular expressions run between existing masks.
	prev := 0
	segments := make([][2]int, 0, len(masks)+1)
	for _, m := range masks {
		segments = append(segments, [2]int{prev, m[0]})
		prev = m[1]
	}
	segments = append(segments, [2]int{prev, len(s)})
	for _, seg := range segments {
		a, b := seg[0], seg[1]
		if a == b {
			continue
		}
		sub := s[a:b]
		if r.email && hasAt {
			cands = emails(s, a, b, cands)
		}
		if r.iban && hasDigit {
			cands = ibans(s, a, b, cands)
		}
		if r.phone && hasDigit {
			for _, m := range e164RE.FindAllStringIndex(sub, -1) {
				if end, ok := e164End(s, a+m[0], a+m[1]); ok {
					cands = append(cands, candidate{a + m[0], end, 4, MaskPhone})
				}
			}
		}
		for _, re := range r.patterns {
			for _, m := range re.FindAllStringIndex(sub, -1) {
				if m[0] < m[1] {
					cands = append(cands, candidate{a + m[0], a + m[1], 5, MaskPattern})
				}
			}
		}
	}
	if hasDigit && (r.card || r.cnid || r.phone) {
		cands = r.numbers(s, cands)
	}
	if len(cands) == 0 {
		return s, false
	}
	sort.Slice(cands, func(i, j int) bool {
		ci, cj := cands[i], cands[j]
		if ci.start != cj.start {
			return ci.start < cj.start
		}
		if ci.end != cj.end {
			return ci.end > cj.end
		}
		return ci.prio < cj.prio
	})
	// pos maps an offset in s to one in orig.
	pos := func(i int) int {
		if offs == nil {
			return i
		}
		return offs[i]
	}
	var b strings.Builder
	b.Grow(len(orig))
	last, mi := 0, 0
	changed := false
	for _, c := range cands {
		if c.start < last {
			continue
		}
		for mi < len(masks) && masks[mi][1] <= c.start {
			mi++
		}
		if mi < len(masks) && masks[mi][0] < c.end {
			continue // never mask part of a mask
		}
		b.WriteString(orig[pos(last):pos(c.start)])
		b.WriteString(c.mask)
		last = c.end
		changed = true
	}
	if !changed {
		return orig, false
	}
	b.WriteString(orig[pos(last):])
	return b.String(), true
}

// fold returns s with the full-width forms that Chinese and Japanese input
// methods type (１３８, ＠, Ｘ, （, the ideographic space…) replaced by their
// ASCII twins, and for each byte offset of the result (and its
// end) the offset in s. It returns s and nil when there is nothing to fold,
// which is the common case and costs no allocation.
func fold(s string) (string, []int) {
	if !strings.Contains(s, "\xef\xbc") && !strings.Contains(s, "\u3000") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	offs := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c >= '！' && c <= '～': // U+FF01..U+FF5E, the full-width ASCII
			c -= 0xFEE0
		case c == '\u3000':
			c = ' '
		}
		if c < utf8.RuneSelf {
			b.WriteByte(byte(c))
			offs = append(offs, i)
		} else {
			b.WriteString(s[i : i+size])
			for k := range size {
				offs = append(offs, i+k)
			}
		}
		i += size
	}
	offs = append(offs, len(s))
	return b.String(), offs
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isWord reports whether c is an ASCII letter, digit or underscore: a
// number next to one is part of a longer token (an order number AB123456),
// not a number of its own. Other scripts (Chinese text glued to a phone
// number) do not count.
func isWord(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// maxDomain bounds the domain of an e-mail address (RFC 1035: 253).
const maxDomain = 255

func isLocal(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

// emails adds the e-mail addresses in s[a:b]: for each '@', the longest
// local part before it (not overlapping the previous address) and a domain
// with a top-level domain of letters after it.
func emails(s string, a, b int, cands []candidate) []candidate {
	prevEnd := a
	for i := a; i < b; i++ {
		if s[i] != '@' {
			continue
		}
		start := i
		for start > prevEnd && isLocal(s[start-1]) {
			start--
		}
		if start == i {
			continue
		}
		end := min(b, i+1+maxDomain)
		m := domainRE.FindStringIndex(s[i+1 : end])
		if m == nil {
			continue
		}
		end = i + 1 + m[1]
		cands = append(cands, candidate{start, end, 0, MaskEmail})
		prevEnd = end
		i = end - 1
	}
	return cands
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// ibans adds the IBANs in s[a:b]: two letters of a country in the IBAN
// registry and two check digits, not glued to a letter or digit before,
// then letters and digits (single spaces or dashes between them allowed)
// up to the country's length, not glued to a letter or digit after, that
// pass the mod-97 check.
func ibans(s string, a, b int, cands []candidate) []candidate {
	var buf [34]byte
	for i := a; i+4 <= b; i++ {
		if !isLetter(s[i]) || !isLetter(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) || (i > 0 && isWord(s[i-1])) {
			continue
		}
		want := ibanLengths[strings.ToUpper(s[i:i+2])]
		if want == 0 {
			continue
		}
		n, j := 0, i
		for j < b && n < want {
			c := s[j]
			if isAlnum(c) {
				if c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				buf[n] = c
				n++
				j++
				continue
			}
			if (c == ' ' || c == '-') && j+1 < b && isAlnum(s[j+1]) {
				j++
				continue
			}
			break
		}
		if n != want || (j < len(s) && isWord(s[j])) || !validIBAN(buf[:n]) {
			continue
		}
		cands = append(cands, candidate{i, j, 1, MaskIBAN})
		i = j - 1
	}
	return cands
}

// e164Range is the number of digits, country code included, of the
// international numbers of a country calling code.
type e164Range struct {
	code     string
	min, max int
}

// e164Lengths lists the countries whose numbers have a known length, so
// that a number followed by another one ("+1 415 555 0100 2") is cut at the
// right place. Other codes take 8 to 15 digits (E.164).
var e164Lengths = []e164Range{
	{"1", 11, 11}, {"7", 11, 11}, {"33", 11, 11}, {"44", 11, 12}, {"49", 9, 15},
	{"61", 11, 11}, {"65", 10, 10}, {"81", 11, 12}, {"82", 10, 12}, {"91", 12, 12},
	{"852", 11, 11}, {"853", 11, 11}, {"886", 11, 12},
}

// e164End checks the international number candidate s[start:end] and
// returns the end of the longest valid number in it that ends with a group
// of digits: 8 to 15 digits (a "(0)" trunk prefix does not count), the
// country's length when known, balanced parentheses, and not glued to a
// letter or digit.
func e164End(s string, start, end int) (int, bool) {
	if start > 0 && isWord(s[start-1]) {
		return 0, false
	}
	// ends are the ends of the groups of digits, with and without a
	// closing parenthesis, where a number may stop.
	var ends []int
	for i := start; i < end; i++ {
		if isDigit(s[i]) && (i+1 == end || !isDigit(s[i+1])) {
			e := i + 1
			ends = append(ends, e)
			if e < end && s[e] == ')' {
				ends = append(ends, e+1)
			}
		}
	}
	for k := len(ends) - 1; k >= 0; k-- {
		e := ends[k]
		if e < len(s) && isWord(s[e]) {
			continue
		}
		if validE164(s[start:e]) {
			return e, true
		}
	}
	return 0, false
}

// validE164 checks one international number, from its "+" to its last digit
// or closing parenthesis.
func validE164(p string) bool {
	open, closed := strings.Count(p, "("), strings.Count(p, ")")
	if open != closed || open > 1 || (open == 1 && strings.Index(p, "(") > strings.Index(p, ")")) {
		return false
	}
	p = strings.Replace(p, "(0)", "", 1)
	var buf [32]byte
	n := 0
	for i := 0; i < len(p); i++ {
		if isDigit(p[i]) {
			if n == len(buf) {
				return false
			}
			buf[n] = p[i]
			n++
		}
	}
	d := string(buf[:n])
	if strings.HasPrefix(d, "86") {
		if n > 3 && d[2] == '1' { // a mobile: +86 1[3-9]x xxxx xxxx
			return n == 13 && d[3] >= '3'
		}
		return n >= 11 && n <= 12
	}
	for _, r := range e164Lengths {
		if strings.HasPrefix(d, r.code) {
			return n >= r.min && n <= r.max
		}
	}
	return n >= 8 && n <= 15
}
