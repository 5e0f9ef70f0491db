// Package storetest is the conformance suite every core.Store must pass.
//
// A store package calls Run from one of its tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, dir string, now func() time.Time) core.Store {
//			s, err := bolt.Open(t.Context(), filepath.Join(dir, "db"), bolt.Options{Now: now})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// The suite checks the contract written on core.Store: atomic commits,
// dedupe keys and their expiry, revision compare-and-set, transcript order,
// outbox order and life cycle, key-value records (also written by commits),
// counters, concurrency,
// durability across close and reopen, and ErrClosed after Close.
//
// The store must take the current time only from the clock it is given:
// the suite runs every test with that clock set years in the past, at a
// recent fixed date and years in the future, and moves it forward to expire
// dedupe keys and key-value records. A store that reads the machine's clock
// behind the caller's back fails.
package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// Opener opens a store kept in dir whose clock is now.
type Opener func(t *testing.T, dir string, now func() time.Time) core.Store

// Run runs the conformance suite as subtests of t, once for each of
// fakeclock.Bases. open must return a store kept in dir (a fresh t.TempDir
// per subtest) that reads the time only from now; it is called again with
// the same dir after the previous store was closed, and must then return a
// store that holds everything committed before. Run closes every store it
// opens. Stores must keep at least 50 transcript turns per conversation.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, o *opener)
	}{
		{"Dedupe", testDedupe},
		{"DedupeConcurrent", testDedupeConcurrent},
		{"DedupeExpiry", testDedupeExpiry},
		{"StateRevision", testStateRevision},
		{"StateConcurrentCAS", testStateConcurrentCAS},
		{"FailedCommitWritesNothing", testFailedCommitWritesNothing},
		{"Transcript", testTranscript},
		{"TranscriptTrimming", testTranscriptTrimming},
		{"Counters", testCounters},
		{"OutboxOrder", testOutboxOrder},
		{"OutboxConcurrentOrder", testOutboxConcurrentOrder},
		{"OutboxLifecycle", testOutboxLifecycle},
		{"OutboxReplayAfterReopen", testOutboxReplay},
		{"KV", testKV},
		{"CommitKV", testCommitKV},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ReopenKeepsEverything", testReopen},
		{"CanceledContext", testCanceledContext},
		{"Closed", testClosed},
	}
	for _, base := range fakeclock.Bases() {
		t.Run(base.Format("2006-01-02"), func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					tc.fn(t, &opener{dir: t.TempDir(), open: open, clock: fakeclock.New(base)})
				})
			}
		})
	}
}

// opener opens stores on one directory and closes them when the test ends;
// every store it opens reads the same clock.
type opener struct {
	dir   string
	open  Opener
	clock *fakeclock.Clock
}

// now is the stores' current time.
func (o *opener) now() time.Time { return o.clock.Now() }

func (o *opener) store(t *testing.T) core.Store {
	t.Helper()
	s := o.open(t, o.dir, o.clock.Now)
	if s == nil {
		t.Fatal("open returned a nil store")
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, core.ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// t0 is the fixed time of the fixtures; it has nanoseconds to catch lossy
// time encodings.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

// convKey returns a conversation key whose parts need escaping.
func convKey(i int) core.ConversationKey {
	return core.ConversationKey{Platform: "web", Chat: fmt.Sprintf("chat:%d/x", i), User: fmt.Sprintf("user %d", i)}
}

func dedupe(expires time.Time, keys ...string) []core.DedupeKey {
	out := make([]core.DedupeKey, len(keys))
	for i, k := range keys {
		out[i] = core.DedupeKey{Key: k, Expires: expires}
	}
	return out
}

// fullState sets every field of core.State.
func fullState() core.State {
	return core.State{
		Language:   "zh",
		UserName:   "王小明",
		Slots:      map[string]string{"city": "上海", "date": "2025-03-05"},
		Flow:       "book_table",
		FlowSlot:   "party_size",
		Attempts:   1,
		Fallbacks:  2,
		LastIntent: "book",
		Turns:      7,
		LastSeen:   t0,
		Handoff: &core.Handoff{
			Reason: "asked for a person", Since: t0.Add(-time.Minute),
			Channel: "C123", ThreadTS: "1712345678.000100", Agent: "ana",
			LastAgentAt: t0.Add(-time.Second), Reminded: true,
		},
	}
}

func turn(id string, i int) core.Turn {
	tn := core.Turn{ID: id, From: core.AuthorUser, Text: "hello 你好 " + id, At: t0.Add(time.Duration(i) * time.Second)}
	if i%2 == 1 {
		tn.From, tn.Intent, tn.Confidence = core.AuthorBot, "greet", 0.875
	}
	if i%5 == 4 {
		tn.From, tn.AgentName = core.AuthorAgent, "ana"
	}
	return tn
}

// entry returns an outbox entry with every field set except Seq, due at t0.
func entry(k core.ConversationKey, id string) core.OutboxEntry {
	return core.OutboxEntry{
		Reply: core.Reply{
			ID: id, Key: k, Kind: core.ReplyRelay, About: convKey(99),
			From: core.AuthorAgent, AgentName: "ana",
			Text: "reply " + id, QuickReplies: []string{"yes", "no"},
			ReplyTo: "m-" + id, InReplyTo: "in-" + id, Created: t0,
			Corrects: "c-" + id, Broadcast: true, Mention: "<!here>",
			Case: &core.CaseCard{Customer: "王小明", Platform: "web", Reason: "asked", Status: core.CaseWaiting, At: t0,
				Slots: map[string]string{"order": "AB123456"}, Turns: []core.Turn{turn("t-"+id, 0)}},
		},
		NextAttempt: t0,
		Created:     t0.Add(time.Millisecond),
	}
}

func ids(entries []core.OutboxEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Reply.ID
	}
	return out
}

func turnIDs(turns []core.Turn) []string {
	out := make([]string, len(turns))
	for i, tn := range turns {
		out[i] = tn.ID
	}
	return out
}

// Normalizers put times in UTC so values that went through an encoding
// compare equal with reflect.DeepEqual when they denote the same instant.

func normState(s core.State) core.State {
	s.LastSeen = s.LastSeen.UTC()
	if s.Handoff != nil {
		h := *s.Handoff
		h.Since = h.Since.UTC()
		h.LastAgentAt = h.LastAgentAt.UTC()
		s.Handoff = &h
	}
	return s
}

func normTurns(ts []core.Turn) []core.Turn {
	out := make([]core.Turn, len(ts))
	for i, tn := range ts {
		tn.At = tn.At.UTC()
		out[i] = tn
	}
	return out
}

func normEntry(e core.OutboxEntry) core.OutboxEntry {
	e.Reply.Created = e.Reply.Created.UTC()
	e.NextAttempt = e.NextAttempt.UTC()
	e.Created = e.Created.UTC()
	return e
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mustIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func commit(t *testing.T, s core.Store, c core.Commit) {
	t.Helper()
	must(t, s.Commit(t.Context(), c), "commit "+c.Key.String())
}

func load(t *testing.T, s core.Store, k core.ConversationKey, keys ...string) (core.State, bool) {
	t.Helper()
	st, seen, err := s.Load(t.Context(), k, keys)
	must(t, err, "load "+k.String())
	return st, seen
}

func outboxLen(t *testing.T, s core.Store) int {
	t.Helper()
	n, err := s.OutboxLen(t.Context())
	must(t, err, "outbox len")
	return n
}

func pending(t *testing.T, s core.Store, now time.Time, limit int) []core.OutboxEntry {
	t.Helper()
	p, err := s.PendingOutbox(t.Context(), now, limit)
	must(t, err, "pending outbox")
	return p
}

func counters(t *testing.T, s core.Store) map[string]int64 {
	t.Helper()
	c, err := s.Counters(t.Context())
	must(t, err, "counters")
	return c
}

func transcript(t *testing.T, s core.Store, k core.ConversationKey, limit int) []core.Turn {
	t.Helper()
	ts, err := s.Transcript(t.Context(), k, limit)
	must(t, err, "transcript "+k.String())
	return ts
}
