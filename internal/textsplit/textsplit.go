// Package textsplit cuts long replies into the parts a platform accepts and
// remembers which parts of a reply were already delivered, for the adapters
// that must split (Telegram 4,096 UTF-16 units, Discord 2,000).
package textsplit

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// UTF16Len is the length of s in UTF-16 code units.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Split cuts text into parts of at most max units (as measured by length),
// on rune boundaries, preferring the last newline, then the last space, in
// the second half of each part. The separator at a cut is dropped; parts
// that are only white space are left out. Text that is only white space
// gives no parts.
func Split(text string, max int, length func(string) int) []string {
	var parts []string
	for strings.TrimSpace(text) != "" {
		if length(text) <= max {
			parts = append(parts, text)
			break
		}
		// end: the longest prefix within max units (at least one rune).
		end, units := 0, 0
		for end < len(text) {
			_, size := utf8.DecodeRuneInString(text[end:])
			u := length(text[end : end+size])
			if units+u > max && end > 0 {
				break
			}
			units += u
			end += size
		}
		cut, skip := end, 0
		if text[end] == '\n' {
			skip = 1 // the prefix ends right at a newline
		} else if i := strings.LastIndexByte(text[:end], '\n'); i > end/2 {
			cut, skip = i, 1
		} else if c := text[end]; c == ' ' || c == '\t' {
			skip = 1
		} else if i := strings.LastIndexAny(text[:end], " \t"); i > end/2 {
			cut, skip = i, 1
		}
		if p := text[:cut]; strings.TrimSpace(p) != "" {
			parts = append(parts, p)
		}
		text = text[cut+skip:]
	}
	return parts
}

// Progress remembers how many parts of a split reply were delivered, so a
// retry of the same reply sends only the rest. It lives in memory: after a
// restart a partly sent reply is sent again from its first part (the
// documented at-least-once window).
type Progress struct {
	mu sync.Mutex
	m  map[string]sentParts
}

type sentParts struct {
	n  int
	at time.Time
}

// progressTTL bounds how long a partly sent reply is remembered.
const progressTTL = 24 * time.Hour

// NewProgress returns an empty Progress. It is safe for concurrent use.
func NewProgress() *Progress { return &Progress{m: make(map[string]sentParts)} }

// Done returns how many parts of reply id were delivered.
func (p *Progress) Done(id string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id].n
}

// Set records that n parts of reply id were delivered.
func (p *Progress) Set(id string, n int, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) >= 10000 {
		for k, v := range p.m {
			if now.Sub(v.at) > progressTTL {
				delete(p.m, k)
			}
		}
	}
	p.m[id] = sentParts{n: n, at: now}
}

// Forget drops reply id (all parts delivered, or given up).
func (p *Progress) Forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}
