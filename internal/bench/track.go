package bench

import (
	"slices"
	"sync"
	"time"
)

// message is one simulated customer message and what became of it. The
// load worker that owns it writes the delivery fields; the tracker's mutex
// guards replies.
type message struct {
	seq      int
	platform string
	conv     string    // the chat its replies go to (unique per message except on the web)
	start    time.Time // when it was due (rate mode) or first sent

	// Written by the load worker before done is set.
	attempts int
	acked    bool
	ackAt    time.Time
	lastErr  string

	replies []got // under tracker.mu
}

// got is one reply as recorded by a fake (or read from the webhook's
// response, or the web chat's event stream).
type got struct {
	text string
	at   time.Time
}

// reply is a recorded reply before it is matched to its message.
type reply struct {
	platform string
	conv     string // the chat it was sent to
	ref      string // an exact reference (Discord interaction id, web message id), or ""
	text     string
	at       time.Time
}

// tracker matches replies to messages as they arrive. A reply that names a
// reference not registered yet (a web reply whose POST is still being
// answered) waits among the orphans and is matched when the reference
// comes. It is safe for concurrent use.
type tracker struct {
	mu       sync.Mutex
	byConv   map[string]*message // platform + "\x00" + conv, for unique chats
	byRef    map[string]*message // platform + "\x00" + ref
	orphans  []reply
	messages []*message
	answered int // messages with at least one reply
	replies  int // replies seen, matched or not
}

func newTracker() *tracker {
	return &tracker{byConv: map[string]*message{}, byRef: map[string]*message{}}
}

// add registers m; when uniqueConv is true, replies to m.conv belong to m.
func (t *tracker) add(m *message, uniqueConv bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.messages = append(t.messages, m)
	if uniqueConv {
		t.byConv[m.platform+"\x00"+m.conv] = m
	}
}

// addRef registers an exact reference of m and matches the orphans that
// carry it.
func (t *tracker) addRef(m *message, ref string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byRef[m.platform+"\x00"+ref] = m
	kept := t.orphans[:0]
	for _, r := range t.orphans {
		if r.platform == m.platform && r.ref == ref {
			t.attachLocked(m, r)
			continue
		}
		kept = append(kept, r)
	}
	t.orphans = kept
}

// record matches r to its message, or keeps it as an orphan.
func (t *tracker) record(r reply) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.replies++
	var m *message
	if r.ref != "" {
		m = t.byRef[r.platform+"\x00"+r.ref]
	}
	if m == nil && r.conv != "" {
		m = t.byConv[r.platform+"\x00"+r.conv]
	}
	if m == nil {
		t.orphans = append(t.orphans, r)
		return
	}
	t.attachLocked(m, r)
}

func (t *tracker) attachLocked(m *message, r reply) {
	if len(m.replies) == 0 {
		t.answered++
	}
	m.replies = append(m.replies, got{text: r.text, at: r.at})
}

// counts returns the replies seen and the messages answered so far.
func (t *tracker) counts() (replies, answered int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.replies, t.answered
}

// unanswered returns how many acknowledged messages have no reply yet. The
// caller must make sure no load worker is still writing.
func (t *tracker) unanswered() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.messages {
		if m.acked && len(m.replies) == 0 {
			n++
		}
	}
	return n
}

// duplicated reports whether m got the same answer more than once. A
// message answered by several different replies (a long answer in parts)
// is not duplicated. The caller holds t.mu or the run is over.
func (m *message) duplicated() bool {
	if len(m.replies) < 2 {
		return false
	}
	texts := make([]string, len(m.replies))
	for i, g := range m.replies {
		texts[i] = g.text
	}
	slices.Sort(texts)
	for i := 1; i < len(texts); i++ {
		if texts[i] == texts[i-1] {
			return true
		}
	}
	return false
}

// firstReply returns when m was first answered; ok is false when it was not.
func (m *message) firstReply() (time.Time, bool) {
	if len(m.replies) == 0 {
		return time.Time{}, false
	}
	first := m.replies[0].at
	for _, g := range m.replies[1:] {
		if g.at.Before(first) {
			first = g.at
		}
	}
	return first, true
}
