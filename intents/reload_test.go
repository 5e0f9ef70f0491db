package intents

import (
	"context"
	"errors"
	"github.com/switchboard-gw/switchboard/internal/testlog"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// syncBuffer is the shared concurrent-safe log sink.
type syncBuffer = testlog.Buffer

func writeBot(t *testing.T, dir, src string) {
	t.Helper()
	// Write and rename, as editors do.
	tmp := filepath.Join(dir, ".bot.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "bot.yaml")); err != nil {
		t.Fatal(err)
	}
}

func TestReloader(t *testing.T) {
	dir := t.TempDir()
	writeBot(t, dir, pizzaBot(""))
	var logs syncBuffer
	opts := Options{Seed: 1, ConfidenceThreshold: 0.6, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	bot, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	u, err := New(t.Context(), bot, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := NewReloader(u, dir, opts)
	r.debounce = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	watchErr := make(chan error, 1)
	go func() { watchErr <- r.Watch(ctx) }()
	waitFor(t, func() bool { return strings.Contains(logs.String(), "watching the bot directory") })
	defer func() {
		cancel()
		if err := <-watchErr; err != nil {
			t.Errorf("Watch: %v", err)
		}
	}()

	// A conversation in the middle of the flow, and customers talking while
	// the bot is replaced.
	mid, err := r.Understand(t.Context(), core.Input{Text: "I want a large pizza for 2", Now: tuesday})
	if err != nil || mid.State.Flow != "pizza" {
		t.Fatalf("start flow: %+v %v", mid, err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if d, err := r.Understand(t.Context(), core.Input{Text: "when are you open"}); err != nil || len(d.Replies) == 0 {
				t.Errorf("Understand during reload: %+v %v", d, err)
				return
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	// A valid change: the flow is renamed (so the conversation's flow is
	// gone) and the opening hours change.
	changed := strings.ReplaceAll(pizzaBot(""), "name: pizza\n", "name: pizza2\n")
	changed = strings.ReplaceAll(changed, "We open at noon.", "We open at nine.")
	writeBot(t, dir, changed)
	waitFor(t, func() bool { return r.Current() != u })
	d, err := r.Understand(t.Context(), core.Input{Text: "when are you open", State: mid.State, Now: tuesday})
	if err != nil || d.State.Flow != "" || len(d.Replies) != 2 || !strings.Contains(d.Replies[0].Text, "can't continue") ||
		d.Replies[1].Text != "We open at nine." {
		t.Errorf("after reload: %+v %v", d, err)
	}

	// An invalid change is rejected with file:line and the bot keeps serving.
	good := r.Current()
	writeBot(t, dir, changed+"  - name: broken\n    intent: nope\n")
	waitFor(t, func() bool { return strings.Contains(logs.String(), "reload rejected") })
	if r.Current() != good {
		t.Error("an invalid version was swapped in")
	}
	if want := filepath.Join(dir, "bot.yaml") + ":"; !strings.Contains(logs.String(), want) ||
		!strings.Contains(logs.String(), `unknown intent \"nope\"`) {
		t.Errorf("logs lack the file:line problem:\n%s", logs.String())
	}
	var verr *ValidationError
	if err := r.Reload(t.Context()); !errors.As(err, &verr) {
		t.Errorf("Reload of an invalid bot = %v", err)
	}
	// Fixed again: SIGHUP-style reload.
	writeBot(t, dir, pizzaBot(""))
	if err := r.Reload(t.Context()); err != nil || r.Current() == good {
		t.Errorf("Reload = %v", err)
	}
}

func TestReloaderWatchErrors(t *testing.T) {
	r := NewReloader(nil, filepath.Join(t.TempDir(), "missing"), Options{})
	if err := r.Watch(t.Context()); err == nil {
		t.Error("Watch of a missing directory returned nil")
	}
	if err := r.Reload(t.Context()); err == nil {
		t.Error("Reload of a missing directory returned nil")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
