package slack

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kyokomi/emoji/v2"
)

// customerText turns the text of an agent's Slack message into what a
// customer on a plain-text platform should see:
//
//   - links keep their URL: <https://x/t?a=1&amp;b=2|tracking link> becomes
//     "tracking link (https://x/t?a=1&b=2)"; a link without a label, or
//     whose label is its URL (with or without the scheme), becomes the
//     URL; mailto: and tel: links show the address or number;
//   - user mentions show a name: <@U123> becomes "@" + name("U123"), else
//     "@" + the mention's label, else "@U123"; the mention of the bot
//     itself (botUserID) is dropped; <#C123|general> becomes "#general",
//     <!here> "@here", <!subteam^S1|@support> "@support" and
//     <!date^…|fallback> its fallback text;
//   - the entities &amp; &lt; &gt; are decoded once ("&amp;lt;" → "&lt;");
//   - emoji shortcodes (:wave:, :+1:, :flag-de:, with :skin-tone-2: to
//     :skin-tone-6:) become the emoji; unknown ones (:party_parrot:) and times
//     (10:30:00) stay as they are;
//   - the formatting markers *bold*, _italic_ and ~strike~ are removed
//     where Slack reads them as formatting (around words, within a line),
//     not inside words, numbers or URLs (snake_case_name, a*b*c, 2*3);
//     the backticks of `inline code` are removed and ``` blocks ``` keep
//     their text exactly, without the fences.
//
// name may be nil or return "" (or the id itself) for an unknown user.
// The result is trimmed valid UTF-8 (a run of invalid bytes becomes
// U+FFFD). customerText never panics, whatever s holds.
func customerText(s, botUserID string, name func(userID string) string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var us units
	for _, seg := range segments(s, botUserID, name) {
		if seg.literal {
			if seg.text != "" {
				us = append(us, unit{lit: seg.text, isLit: true})
			}
			continue
		}
		for _, r := range emojify(mrkdwnUnescaper.Replace(seg.text)) {
			us = append(us, unit{r: r})
		}
	}
	for _, m := range []rune{'*', '_', '~'} {
		us = us.unformat(m)
	}
	var b strings.Builder
	for _, u := range us {
		if u.isLit {
			b.WriteString(u.lit)
		} else {
			b.WriteRune(u.r)
		}
	}
	return strings.TrimSpace(b.String())
}

// segment is a piece of a Slack message: text still to be decoded and
// unformatted, or literal text (a rendered reference, code, a bare URL)
// shown exactly.
type segment struct {
	text    string
	literal bool
}

// segments cuts s into references, code and bare URLs (literal) and the
// text between them.
func segments(s, botUserID string, name func(string) string) []segment {
	var out []segment
	plain := 0 // start of the pending plain text
	noRef := false
	flush := func(end int) {
		if end > plain {
			out = append(out, segment{text: s[plain:end]})
		}
	}
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], "```"):
			j := strings.Index(s[i+3:], "```")
			if j < 0 {
				i += 3
				continue
			}
			flush(i)
			code := strings.TrimSuffix(strings.TrimPrefix(s[i+3:i+3+j], "\n"), "\n")
			out = append(out, segment{text: mrkdwnUnescaper.Replace(code), literal: true})
			i += 3 + j + 3
			plain = i
		case s[i] == '`':
			j := strings.IndexAny(s[i+1:], "`\n")
			if j <= 0 || s[i+1+j] != '`' {
				i++
				continue
			}
			flush(i)
			out = append(out, segment{text: mrkdwnUnescaper.Replace(s[i+1 : i+1+j]), literal: true})
			i += j + 2
			plain = i
		case s[i] == '<' && !noRef:
			j := strings.IndexByte(s[i:], '>')
			if j < 0 {
				noRef = true // no later '<' has a '>' either
				i++
				continue
			}
			flush(i)
			ref := customerReference(s[i+1:i+j], botUserID, name)
			next := i + j + 1
			if ref == "" && strings.HasSuffix(s[:i], " ") && strings.HasPrefix(s[next:], " ") {
				next++ // "thanks <@UBOT> for" → "thanks for"
			}
			out = append(out, segment{text: ref, literal: true})
			i = next
			plain = i
		case (strings.HasPrefix(s[i:], "http://") || strings.HasPrefix(s[i:], "https://")) &&
			(i == 0 || !isWordByte(s[i-1])):
			// A bare URL (Slack sends links as <…>, but a bot or an
			// integration may not): never unformatted.
			j := strings.IndexFunc(s[i:], func(r rune) bool { return unicode.IsSpace(r) || r == '<' || r == '`' })
			if j < 0 {
				j = len(s) - i
			}
			flush(i)
			out = append(out, segment{text: mrkdwnUnescaper.Replace(s[i : i+j]), literal: true})
			i += j
			plain = i
		default:
			i++
		}
	}
	flush(len(s))
	return out
}

// isWordByte reports whether c is an ASCII letter or digit.
func isWordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// customerReference renders the inside of one <…> reference for a
// customer (see customerText).
func customerReference(ref, botUserID string, name func(string) string) string {
	target, label, _ := strings.Cut(ref, "|")
	target = mrkdwnUnescaper.Replace(target)
	label = mrkdwnUnescaper.Replace(label)
	switch {
	case target == "":
		return label
	case target[0] == '@':
		id := target[1:]
		if botUserID != "" && id == botUserID {
			return ""
		}
		if name != nil {
			if n := name(id); n != "" && n != id {
				return "@" + strings.TrimPrefix(n, "@")
			}
		}
		if l := strings.TrimPrefix(label, "@"); l != "" {
			return "@" + l
		}
		return target
	case target[0] == '#':
		if l := strings.TrimPrefix(label, "#"); l != "" {
			return "#" + l
		}
		return target
	case target[0] == '!':
		// <!here>, <!channel>, <!everyone>, <!subteam^S1|@team>,
		// <!date^1392734382^{date}|Feb 18th>
		if label != "" {
			return label
		}
		kind, _, _ := strings.Cut(target[1:], "^")
		if kind == "date" {
			return ""
		}
		return "@" + kind
	}
	shown := target
	for _, scheme := range []string{"mailto:", "tel:"} {
		if len(shown) > len(scheme) && strings.EqualFold(shown[:len(scheme)], scheme) {
			shown = shown[len(scheme):]
		}
	}
	if label == "" || label == target || label == shown || label == stripScheme(target) {
		return shown
	}
	return label + " (" + shown + ")"
}

// stripScheme returns a URL without http:// or https://.
func stripScheme(u string) string {
	for _, p := range []string{"https://", "http://"} {
		if len(u) > len(p) && strings.EqualFold(u[:len(p)], p) {
			return u[len(p):]
		}
	}
	return u
}

// emojify replaces the emoji shortcodes of s (:wave:, :+1:, :flag-de:,
// :wave::skin-tone-3:) with the emoji, from the code map of
// github.com/kyokomi/emoji, which holds the GitHub and Slack names. A
// shortcode next to a digit (10:30:00) is left alone, and so is an unknown
// one.
func emojify(s string) string {
	if strings.Count(s, ":") < 2 {
		return s
	}
	codes := emoji.CodeMap()
	var b strings.Builder
	done := 0 // s[:done] is written
	for i := 0; i < len(s); i++ {
		if s[i] != ':' || (i > 0 && isDigit(s[i-1])) {
			continue
		}
		e, n := shortcode(s[i:], codes)
		if n == 0 || (i+n < len(s) && isDigit(s[i+n])) {
			continue
		}
		b.WriteString(s[done:i])
		b.WriteString(e)
		i += n - 1
		done = i + 1
	}
	b.WriteString(s[done:])
	return b.String()
}

// shortcode reads a known shortcode (":name:") at the start of s and
// returns its emoji and its length, or n = 0.
func shortcode(s string, codes map[string]string) (e string, n int) {
	for j := 1; j < len(s) && j <= 64; j++ {
		c := s[j]
		if c != ':' {
			if c <= ' ' || c >= utf8.RuneSelf {
				return "", 0
			}
			continue
		}
		if j == 1 {
			return "", 0
		}
		code := s[:j+1]
		if e, ok := codes[code]; ok {
			return e, j + 1
		}
		// Slack's country flags: :flag-de: → 🇩🇪
		if len(code) == len(":flag-de:") && strings.HasPrefix(code, ":flag-") {
			a, b := code[6], code[7]
			if 'a' <= a && a <= 'z' && 'a' <= b && b <= 'z' {
				return string(rune(0x1F1E6+int(a-'a'))) + string(rune(0x1F1E6+int(b-'a'))), j + 1
			}
		}
		return "", 0
	}
	return "", 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// unit is one character of a message being unformatted, or a literal
// piece (a reference, code) that counts as one word character.
type unit struct {
	r     rune
	lit   string
	isLit bool
}

type units []unit

func (u unit) space() bool { return !u.isLit && unicode.IsSpace(u.r) }

// word reports whether u is part of a word: a letter, a digit, or a
// literal piece.
func (u unit) word() bool { return u.isLit || unicode.IsLetter(u.r) || unicode.IsDigit(u.r) }

// unformat removes the pairs of marker m that Slack reads as formatting:
// an opening marker at the start or after a non-word character and before
// a non-space, a closing one after a non-space and before the end or a
// non-word character, both on the same line. It takes time linear in
// len(us).
func (us units) unformat(m rune) units {
	removed := make([]bool, len(us))
	is := func(i int) bool { return i >= 0 && i < len(us) && !removed[i] && !us[i].isLit && us[i].r == m }
	prev := func(i int) int {
		for i--; i >= 0 && removed[i]; i-- {
		}
		return i
	}
	// A search from an opening marker that found no closing one up to
	// scanned will not find one from a later opening before it either.
	scanned, found := 0, false
	for i := 0; i < len(us); i++ {
		if i < scanned || !is(i) || i+1 >= len(us) || us[i+1].space() || is(i+1) {
			continue
		}
		if p := prev(i); p >= 0 && (us[p].word() || is(p)) {
			continue
		}
		j := i + 2
		for ; j < len(us) && (us[j].isLit || us[j].r != '\n'); j++ {
			if is(j) && !us[j-1].space() && (j+1 == len(us) || !us[j+1].word() && !is(j+1)) {
				break
			}
		}
		if j < len(us) && is(j) {
			removed[i], removed[j], found = true, true, true
			i = j
		} else {
			scanned = j
		}
	}
	if !found {
		return us
	}
	out := us[:0]
	for i, u := range us {
		if !removed[i] {
			out = append(out, u)
		}
	}
	return out
}
