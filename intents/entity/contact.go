package entity

import (
	"net/url"
	"regexp"
	"strings"
)

var emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}`)

// Email finds e-mail addresses; the domain is lower-cased.
func Email(text string, _ Context) []Match {
	var out []Match
	for _, m := range emailRe.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		local, domain, _ := strings.Cut(s, "@")
		if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
			continue
		}
		out = append(out, Match{Value: local + "@" + strings.ToLower(domain), Text: s, Start: m[0], End: m[1]})
	}
	return out
}

var phoneRe = regexp.MustCompile(`(?:\+|00)?\(?[0-9][0-9 ()./\-]{5,22}[0-9]`)

// Phone finds telephone numbers: 7 to 15 digits, optionally starting with +
// or 00 (an international prefix, normalised to +), grouped with spaces,
// dashes, dots, slashes or parentheses ("+49 30 1234-5678", "(020)
// 7946 0018", "138 0013 8000"). The value is the digits with the leading +
// when there was one: "+493012345678". Dates (2026-12-03) and numbers
// inside words are not phone numbers. It knows no numbering plan: any
// digits of the right length are a phone number.
func Phone(text string, _ Context) []Match {
	f := fold(text)
	var spans []span
	for _, m := range phoneRe.FindAllStringIndex(f.s, -1) {
		s := f.s[m[0]:m[1]]
		if !bounded(f.s, m[0], m[1]) || isoDate.MatchString(s) || strings.Count(s, "/") > 1 {
			continue
		}
		var digits strings.Builder
		for _, r := range s {
			if r >= '0' && r <= '9' {
				digits.WriteRune(r)
			}
		}
		d := digits.String()
		plus := strings.HasPrefix(s, "+")
		if strings.HasPrefix(s, "00") {
			d, plus = d[2:], true
		}
		if len(d) < 7 || len(d) > 15 {
			continue
		}
		if plus {
			d = "+" + d
		}
		spans = append(spans, span{m[0], m[1], d})
	}
	return resolve(f, spans)
}

var isoDate = regexp.MustCompile(`^[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}$`)

var urlRe = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s<>"'，。！？、]+`)

// URL finds web addresses starting with http://, https:// or www. Trailing
// punctuation is left out; "www." addresses get "https://" in the value.
func URL(text string, _ Context) []Match {
	var out []Match
	for _, m := range urlRe.FindAllStringIndex(text, -1) {
		s := strings.TrimRight(text[m[0]:m[1]], ".,;:!?)]}")
		v := s
		if strings.HasPrefix(strings.ToLower(v), "www.") {
			v = "https://" + v
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			continue
		}
		out = append(out, Match{Value: u.String(), Text: s, Start: m[0], End: m[0] + len(s)})
	}
	return out
}

var (
	yesWords = []string{"yes", "yeah", "yep", "yup", "sure", "ok", "okay", "correct", "right", "exactly", "confirm",
		"confirmed", "absolutely", "of course", "please do", "go ahead", "y", "是", "是的", "对", "对的", "好", "好的",
		"可以", "没错", "没问题", "确认", "确定", "嗯", "行", "当然"}
	noWords = []string{"no", "nope", "nah", "not", "wrong", "incorrect", "don't", "dont", "negative", "n", "cancel",
		"不", "不是", "不对", "否", "不要", "错了", "不行", "不用", "别", "没有"}
)

// YesNo reads an answer to a yes/no question: "yes", "sure", "that's
// right", 是的, 对, 好的 are "yes"; "no", "nope", "not right", 不是, 不对, 不要
// are "no". A message with a "no" word is "no" even when it also has a "yes"
// word ("no, that's not right"). The match is the whole message.
func YesNo(text string, _ Context) []Match {
	f := fold(text)
	t := strings.TrimSpace(f.s)
	if t == "" {
		return nil
	}
	words := strings.FieldsFunc(t, func(r rune) bool { return !isWordRune(r) && r != '\'' && !isCJK(r) })
	has := func(list []string) bool {
		for _, w := range list {
			if strings.ContainsRune(w, ' ') {
				if strings.Contains(t, w) {
					return true
				}
				continue
			}
			for _, x := range words {
				if x == w || (isCJK([]rune(w)[0]) && strings.HasPrefix(x, w)) {
					return true
				}
			}
		}
		return false
	}
	value := ""
	switch {
	case has(noWords):
		value = "no"
	case has(yesWords):
		value = "yes"
	default:
		return nil
	}
	start := strings.Index(text, strings.TrimSpace(text))
	s := strings.TrimSpace(text)
	return []Match{{Value: value, Text: s, Start: start, End: start + len(s)}}
}
