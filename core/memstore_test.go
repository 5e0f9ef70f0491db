package core_test

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// memStore is a non-durable core.Store used only as the baseline of
// BenchmarkEngineHandle ("the same path without the store"). It implements
// what the Engine's path uses; the outbox and KV methods are minimal.
type memStore struct {
	mu     sync.Mutex
	dedupe map[string]time.Time
	states map[string]core.State
	turns  map[string][]core.Turn
	outbox []core.OutboxEntry
	seq    uint64
	counts map[string]int64
	now    func() time.Time // the engine's clock: decides dedupe expiry
}

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, dedupe: map[string]time.Time{}, states: map[string]core.State{},
		turns: map[string][]core.Turn{}, counts: map[string]int64{}}
}

func (s *memStore) Load(_ context.Context, key core.ConversationKey, keys []string) (core.State, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		if exp, ok := s.dedupe[k]; ok && exp.After(s.now()) {
			return core.State{}, true, nil
		}
	}
	return s.states[key.String()].Clone(), false, nil
}

func (s *memStore) Commit(_ context.Context, c core.Commit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range c.Dedupe {
		if exp, ok := s.dedupe[d.Key]; ok && exp.After(s.now()) {
			return core.ErrDuplicate
		}
	}
	k := c.Key.String()
	if c.SaveState {
		if s.states[k].Revision != c.State.Revision {
			return core.ErrConflict
		}
		st := c.State.Clone()
		st.Revision++
		s.states[k] = st
	}
	for _, d := range c.Dedupe {
		s.dedupe[d.Key] = d.Expires
	}
	s.turns[k] = append(s.turns[k], c.Turns...)
	if n := len(s.turns[k]); n > 200 {
		s.turns[k] = s.turns[k][n-200:]
	}
	for _, e := range c.Outbox {
		s.seq++
		e.Seq = s.seq
		s.outbox = append(s.outbox, e)
	}
	for n, v := range c.Counters {
		s.counts[n] += v
	}
	return nil
}

func (s *memStore) Transcript(_ context.Context, key core.ConversationKey, limit int) ([]core.Turn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.turns[key.String()]
	if len(t) > limit {
		t = t[len(t)-limit:]
	}
	return append([]core.Turn(nil), t...), nil
}

func (s *memStore) PendingOutbox(context.Context, time.Time, int) ([]core.OutboxEntry, error) {
	return nil, nil
}
func (s *memStore) NextOutboxAttempt(context.Context) (time.Time, bool, error) {
	return time.Time{}, false, nil
}
func (s *memStore) OutboxLen(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.outbox), nil
}
func (s *memStore) CompleteOutbox(context.Context, uint64) error { return nil }
func (s *memStore) RetryOutbox(context.Context, uint64, int, time.Time, string) error {
	return nil
}
func (s *memStore) DeadLetter(context.Context, uint64, string, time.Time) error { return nil }
func (s *memStore) DeadLetters(context.Context, int) ([]core.DeadLetter, error) {
	return nil, nil
}
func (s *memStore) Get(context.Context, string, string) ([]byte, error) { return nil, core.ErrNotFound }
func (s *memStore) Put(context.Context, string, string, []byte, time.Duration) error {
	return nil
}
func (s *memStore) ExpireDedupe(context.Context, time.Time, int) (int, error) { return 0, nil }
func (s *memStore) Counters(context.Context) (map[string]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts), nil
}
func (s *memStore) Close() error { return nil }

func (s *memStore) List(context.Context, string, int) ([]core.KV, error) { return nil, nil }
