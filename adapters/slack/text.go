package slack

import (
	"strings"
	"unicode/utf8"
)

// MaxTextRunes is the longest text the adapter puts into one message; longer
// texts are split into several messages. Slack advises at most 4,000
// characters and truncates beyond 40,000.
const MaxTextRunes = 3900

// maxSectionRunes is Block Kit's limit for the text of one section block.
const maxSectionRunes = 3000

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape makes s safe to show as is in Slack mrkdwn: the three control
// characters &, < and > become entities, so text written by a customer
// cannot mention @channel, build links or break the formatting of a case.
func escape(s string) string { return mrkdwnEscaper.Replace(s) }

var mrkdwnUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// plainText turns the text of a Slack message into the plain text the bot
// and the other platforms see: the mention of the bot itself (<@botUserID>)
// is removed, other mentions and channel references become "@U123" and
// "#name", links become their label (or the URL when there is none),
// special mentions become "@here" and the like, and entities are decoded.
// The result is trimmed.
func plainText(s, botUserID string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '>')
		if j < 0 {
			break
		}
		b.WriteString(s[:i])
		b.WriteString(reference(s[i+1:i+j], botUserID))
		s = s[i+j+1:]
	}
	b.WriteString(s)
	return strings.TrimSpace(mrkdwnUnescaper.Replace(b.String()))
}

// reference renders the inside of one <…> reference of Slack's message format.
func reference(ref, botUserID string) string {
	target, label, hasLabel := strings.Cut(ref, "|")
	switch {
	case target == "":
		return label
	case target[0] == '@':
		if botUserID != "" && target[1:] == botUserID {
			return ""
		}
		if hasLabel && label != "" {
			return "@" + label
		}
		return target
	case target[0] == '#':
		if hasLabel && label != "" {
			return "#" + label
		}
		return target
	case target[0] == '!':
		// <!here>, <!channel>, <!everyone>, <!subteam^ID|@team>, <!date^…|fallback>
		if hasLabel && label != "" {
			return label
		}
		name, _, _ := strings.Cut(target[1:], "^")
		return "@" + name
	}
	if hasLabel && label != "" {
		return label
	}
	return strings.TrimPrefix(target, "mailto:")
}

// split cuts s into pieces of at most limit runes, preferring to cut after
// a newline, then after a space, and never inside a character or an
// entity such as "&amp;". A text of at most limit runes is returned whole;
// an empty text gives no pieces.
func split(s string, limit int) []string {
	if limit < 8 {
		limit = 8
	}
	var out []string
	for utf8.RuneCountInString(s) > limit {
		cut := byteOffset(s, limit)
		if i := strings.LastIndexByte(s[:cut], '\n'); i > cut/2 {
			cut = i + 1
		} else if i := strings.LastIndexByte(s[:cut], ' '); i > cut/2 {
			cut = i + 1
		} else if amp := strings.LastIndexByte(s[:cut], '&'); amp >= 0 && cut-amp < 6 && !strings.Contains(s[amp:cut], ";") && amp > 0 {
			cut = amp // do not split an entity
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

// byteOffset returns the byte offset of the n-th rune of s (len(s) if s has
// fewer runes).
func byteOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// truncate returns s cut to at most n runes, with "…" when it was cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return s[:byteOffset(s, n-1)] + "…"
}
