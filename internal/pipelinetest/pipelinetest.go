// Package pipelinetest is the shared test support of the adapters: the real
// pipeline (bolt store under t.TempDir, core.Engine, core.Dispatcher) with
// the sample bot, and small helpers. Only tests import it.
package pipelinetest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// OpeningHours is the sample bot's answer to "what are your opening hours".
const OpeningHours = "We're open Monday to Friday, 9:00–18:00, and Saturday 10:00–14:00 (CET). I'm here around the clock."

// SampleBot trains the sample bot once for the whole test binary; the
// Understander is safe for concurrent use.
var SampleBot = sync.OnceValues(func() (*intents.Understander, error) {
	bot, err := intents.Load(intents.Sample(), ".")
	if err != nil {
		return nil, err
	}
	return intents.New(context.Background(), bot, intents.Options{Seed: 1})
})

// Harness is the real pipeline: bolt store, engine, outbox dispatcher.
type Harness struct {
	Store  *bolt.Store
	Engine *core.Engine
	Disp   *core.Dispatcher
}

// NewHarness opens a store under t.TempDir and builds the engine. Call
// Start with the senders to run the dispatcher.
func NewHarness(t *testing.T) *Harness {
	t.Helper()
	u, err := SampleBot()
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(t.Context(), filepath.Join(t.TempDir(), "sb.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &Harness{Store: st}
	h.Engine = core.NewEngine(st, u, core.EngineOptions{Notify: func() {
		if h.Disp != nil {
			h.Disp.Notify()
		}
	}})
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// Start runs the dispatcher over senders until the test ends.
func (h *Harness) Start(t *testing.T, senders ...core.Sender) {
	t.Helper()
	h.Disp = core.NewDispatcher(h.Store, senders, core.DispatcherOptions{
		BaseBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		PollInterval: 20 * time.Millisecond, MaxAttempts: 5,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.Disp.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// WaitFor polls cond until it holds or the timeout passes.
func WaitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// StubHandler records messages and fails with Err while Fail > 0. It is
// for testing an adapter's handling of engine errors, not the engine.
type StubHandler struct {
	mu   sync.Mutex
	msgs []core.Message
	Fail int
	Err  error
}

// Handle records m.
func (s *StubHandler) Handle(_ context.Context, m core.Message) (core.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	if s.Fail > 0 {
		s.Fail--
		return core.Result{}, s.Err
	}
	return core.Result{}, nil
}

// Messages returns the recorded messages.
func (s *StubHandler) Messages() []core.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.Message(nil), s.msgs...)
}
