package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/adapters/terminal"
	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// runChat runs `switchboard chat` with stdin from a pipe-like reader.
func runChat(t *testing.T, cfgFile, stdin string, args ...string) string {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append([]string{"chat", "--config", cfgFile}, args...))
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("chat: %v\n%s", err, errOut.String())
	}
	return out.String()
}

// A flow left open by one piped run does not take over the next one: each
// piped run is a fresh conversation unless --user names one.
func TestChatPipedRunsAreFresh(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfgFile, []byte("store:\n  path: "+filepath.Join(dir, "sb.db")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := runChat(t, cfgFile, "where is my order\n"); !strings.Contains(out, "What's your order number?") {
		t.Fatalf("first run: %q", out)
	}
	if out := runChat(t, cfgFile, "AB123456\n"); strings.Contains(out, "is on its way") {
		t.Fatalf("the second piped run continued the first run's flow: %q", out)
	}
	// With --user the conversation continues across runs.
	runChat(t, cfgFile, "where is my order\n", "--user", "ann")
	if out := runChat(t, cfgFile, "AB123456\n", "--user", "ann"); !strings.Contains(out, "Order AB123456 is on its way") {
		t.Fatalf("--user did not continue the conversation: %q", out)
	}
	// The greeting does not call the customer by the terminal's user id.
	if out := runChat(t, cfgFile, "hello\n"); strings.Contains(out, "pipe-") || strings.Contains(out, "local") {
		t.Fatalf("greeting names the user id: %q", out)
	}
}

// fakeTTY is a terminal in raw mode: the keys typed, then nothing more
// (reads block until the test ends, like a keyboard nobody touches).
type fakeTTY struct {
	keys   *strings.Reader
	closed chan struct{}
	mu     sync.Mutex
	out    bytes.Buffer
}

func (f *fakeTTY) Read(p []byte) (int, error) {
	if f.keys.Len() > 0 {
		return f.keys.Read(p[:1]) // one key at a time, as typed
	}
	<-f.closed
	return 0, io.EOF
}

func (f *fakeTTY) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.out.Write(p)
}

// In a terminal, chat edits lines: the arrow keys move the cursor (they
// used to insert "^[[D"), ↑ recalls the last line, and Ctrl-C quits with
// the conversation kept.
func TestChatLineEditor(t *testing.T) {
	cfg := testConfig(t)
	tty := &fakeTTY{closed: make(chan struct{}),
		// "hours", five times ←, "opening " → "opening hours"; then ↑ and
		// Enter sends it again; then Ctrl-C.
		keys: strings.NewReader("hours" + strings.Repeat("\x1b[D", 5) + "opening \r" + "\x1b[A\r" + "\x03")}
	defer close(tty.closed)
	done := make(chan error, 1)
	go func() {
		done <- chatEditor(context.Background(), cfg, slog.New(slog.DiscardHandler), "local", tty, false)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Ctrl-C did not quit chat")
	}
	st, err := bolt.Open(context.Background(), cfg.Store.Path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := core.ConversationKey{Platform: terminal.Platform, Chat: "local", User: "local"}
	turns, err := st.Transcript(context.Background(), key, 10)
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, tr := range turns {
		if tr.From == core.AuthorUser {
			said = append(said, tr.Text)
		}
	}
	if strings.Join(said, "|") != "opening hours|opening hours" || len(turns) != 4 {
		t.Fatalf("customer turns %q (of %d turns), want two \"opening hours\"", said, len(turns))
	}
	tty.mu.Lock()
	out := tty.out.String()
	tty.mu.Unlock()
	if strings.Count(out, "We're open Monday to Friday") != 2 || !strings.Contains(out, "\r\n") {
		t.Fatalf("terminal output %q", out)
	}
}
