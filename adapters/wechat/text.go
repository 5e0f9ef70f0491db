package wechat

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/core"
)

// MaxTextBytes is the longest text, in UTF-8 bytes, of one message the
// adapter sends (passively or as a customer-service message). WeChat does not
// publish the Official Account limit; 2,048 bytes is WeCom's and is safe.
const MaxTextBytes = 2048

// paragraph joins replies carried in one passive response.
const paragraph = "\n\n"

// renderText returns the text of r as WeChat shows it: plain text with "\n"
// newlines, quick replies as a numbered list the customer may answer with
// the number.
func renderText(r core.Reply) string {
	text := strings.TrimSpace(strings.ReplaceAll(r.DisplayText(), "\r\n", "\n"))
	if len(r.QuickReplies) == 0 {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	for i, q := range r.QuickReplies {
		if i == 0 && text != "" {
			b.WriteString(paragraph)
		} else if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(strconv.Itoa(i + 1))
		b.WriteString(". ")
		b.WriteString(q)
	}
	return b.String()
}

// splitText cuts s into parts of at most limit bytes (at least utf8.UTFMax),
// never inside a UTF-8 sequence. A part ends at the last newline in its
// second half when there is one (the newline is dropped), else at the last
// space there (kept), else at the byte limit. Empty parts are left out.
func splitText(s string, limit int) []string {
	limit = max(limit, utf8.UTFMax)
	var parts []string
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if cut == 0 {
			cut = limit // invalid UTF-8 without a start byte: cut anywhere
		}
		next := cut
		if i := strings.LastIndexByte(s[:cut], '\n'); i >= limit/2 {
			cut, next = i, i+1
		} else if i := strings.LastIndexByte(s[:cut], ' '); i >= limit/2 {
			cut, next = i+1, i+1
		}
		if part := strings.TrimRight(s[:cut], "\n"); part != "" {
			parts = append(parts, part)
		}
		s = s[next:]
	}
	if s = strings.TrimRight(s, "\n"); s != "" {
		parts = append(parts, s)
	}
	return parts
}
