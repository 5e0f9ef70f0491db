package telegram

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

// openingHours is the sample bot's answer to "what are your opening hours".
const openingHours = "We're open Monday to Friday, 9:00–18:00, and Saturday 10:00–14:00 (CET). I'm here around the clock."

// sampleBot trains the sample bot once for the whole test binary; the
// Understander is safe for concurrent use.
var sampleBot = sync.OnceValues(func() (*intents.Understander, error) {
	bot, err := intents.Load(intents.Sample(), ".")
	if err != nil {
		return nil, err
	}
	return intents.New(context.Background(), bot, intents.Options{Seed: 1})
})

// harness is the real pipeline: bolt store, engine, outbox dispatcher.
type harness struct {
	store  *bolt.Store
	engine *core.Engine
	disp   *core.Dispatcher
}

// newHarness opens a store under t.TempDir and builds the engine. Call
// start with the senders to run the dispatcher.
func newHarness(t *testing.T) *harness {
	t.Helper()
	u, err := sampleBot()
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(t.Context(), filepath.Join(t.TempDir(), "sb.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{store: st}
	h.engine = core.NewEngine(st, u, core.EngineOptions{Notify: func() {
		if h.disp != nil {
			h.disp.Notify()
		}
	}})
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// start runs the dispatcher over senders until the test ends.
func (h *harness) start(t *testing.T, senders ...core.Sender) {
	t.Helper()
	h.disp = core.NewDispatcher(h.store, senders, core.DispatcherOptions{
		BaseBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		PollInterval: 20 * time.Millisecond, MaxAttempts: 5,
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.disp.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stubHandler records messages and fails while fail > 0.
type stubHandler struct {
	mu   sync.Mutex
	msgs []core.Message
	fail int
	err  error
}

func (s *stubHandler) Handle(_ context.Context, m core.Message) (core.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	if s.fail > 0 {
		s.fail--
		return core.Result{}, s.err
	}
	return core.Result{}, nil
}

func (s *stubHandler) messages() []core.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.Message(nil), s.msgs...)
}
