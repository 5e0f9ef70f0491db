package web

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/switchboard-gw/switchboard/internal/testlog"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// echoUnderstander answers "you said: <text>" deterministically. "menu" also
// offers quick replies; "slow" waits for gate to be closed (if set), so that
// tests can see the page waiting for an answer.
type echoUnderstander struct{ gate chan struct{} }

func (u echoUnderstander) Understand(ctx context.Context, in core.Input) (core.Decision, error) {
	if in.Text == "slow" && u.gate != nil {
		select {
		case <-u.gate:
		case <-ctx.Done():
			return core.Decision{}, ctx.Err()
		}
	}
	rt := core.ReplyText{Text: "you said: " + in.Text}
	// Language detection, as the intents package does it: Han characters are Chinese.
	in.State.Language = "en"
	for _, r := range in.Text {
		if unicode.Is(unicode.Han, r) {
			in.State.Language = "zh"
			break
		}
	}
	if in.Text == "agent please" {
		return core.Decision{Intent: "handoff", Confidence: 1, State: in.State, Handoff: true,
			Replies: []core.ReplyText{rt}, Language: in.State.Language}, nil
	}
	if in.Text == "menu" {
		rt.QuickReplies = []string{"Opening hours", "Talk to a person"}
	}
	if in.Text == "rate us" {
		rt.QuickReplies = []string{"1", "2", "3", "4", "5"}
	}
	return core.Decision{Intent: "echo", Confidence: 1, State: in.State, Replies: []core.ReplyText{rt}, Language: in.State.Language}, nil
}

// syncBuffer is the shared concurrent-safe log sink.
type syncBuffer = testlog.Buffer

// stack is the full gateway path of the web chat: bolt store, engine,
// dispatcher and adapter behind an httptest server.
type stack struct {
	srv  *httptest.Server
	a    *Adapter
	st   core.Store
	logs *syncBuffer // everything logged at debug level and above
	gate chan struct{}
}

func newStack(t *testing.T, cfg Config) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := bolt.Open(ctx, filepath.Join(t.TempDir(), "switchboard.db"), bolt.Options{})
	if err != nil {
		cancel()
		t.Fatalf("open store: %v", err)
	}
	s := &stack{st: st, logs: &syncBuffer{}, gate: make(chan struct{})}
	logger := slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var d *core.Dispatcher
	eng := core.NewEngine(st, echoUnderstander{gate: s.gate}, core.EngineOptions{
		Logger: logger, Notify: func() { d.Notify() },
	})
	s.a = New(cfg, eng, st, logger)
	d = core.NewDispatcher(st, []core.Sender{s.a}, core.DispatcherOptions{
		Logger: logger, PollInterval: 100 * time.Millisecond,
	})
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	mux := http.NewServeMux()
	s.a.Register(mux)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.a.Close() // ends event streams, so that the server can close
		s.srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("dispatcher: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// do sends a request and returns the status, the headers and the body.
func (s *stack) do(t *testing.T, method, path, token, contentType, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body of %s %s: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

func (s *stack) newSession(t *testing.T) string {
	t.Helper()
	status, _, body := s.do(t, http.MethodPost, "/api/web/session", "", "", "")
	if status != http.StatusCreated {
		t.Fatalf("POST /api/web/session = %d %s, want 201", status, body)
	}
	var r struct{ Token string }
	if err := json.Unmarshal(body, &r); err != nil || r.Token == "" {
		t.Fatalf("session response %s: %v", body, err)
	}
	return r.Token
}

// post sends a message and returns the id the server assigned.
func (s *stack) post(t *testing.T, token, text, clientID string) string {
	t.Helper()
	b, _ := json.Marshal(postMessage{Text: text, ClientID: clientID})
	status, _, body := s.do(t, http.MethodPost, "/api/web/messages", token, "application/json", string(b))
	if status != http.StatusAccepted {
		t.Fatalf("POST /api/web/messages = %d %s, want 202", status, body)
	}
	var r struct{ ID string }
	if err := json.Unmarshal(body, &r); err != nil || r.ID == "" {
		t.Fatalf("post response %s: %v", body, err)
	}
	return r.ID
}

func (s *stack) messages(t *testing.T, token string) []wireMessage {
	t.Helper()
	status, _, body := s.do(t, http.MethodGet, "/api/web/messages", token, "", "")
	if status != http.StatusOK {
		t.Fatalf("GET /api/web/messages = %d %s, want 200", status, body)
	}
	var r struct{ Messages []wireMessage }
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("messages response %s: %v", body, err)
	}
	return r.Messages
}

// sseEvent is one parsed Server-Sent Event, or a comment line.
type sseEvent struct {
	Event, ID, Data, Comment string
}

// openEvents opens the event stream (token in the Authorization header)
// and returns its events in a channel that is closed when the stream ends.
// The stream is closed on cleanup.
func (s *stack) openEvents(t *testing.T, token string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.srv.URL+"/api/web/events", nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("GET /api/web/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("GET /api/web/events = %d %s, want 200", resp.StatusCode, b)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type = %q, want text/event-stream", ct)
	}
	ch := make(chan sseEvent, 64)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ch <- sseEvent{Comment: strings.TrimSpace(line[1:])}
			default:
				field, value, _ := strings.Cut(line, ":")
				value = strings.TrimPrefix(value, " ")
				switch field {
				case "event":
					ev.Event = value
				case "id":
					ev.ID = value
				case "data":
					ev.Data = value
				}
			}
		}
	}()
	// Wait until the stream is subscribed: the first thing it sends.
	nextEvent(t, ch, func(e sseEvent) bool { return e.Comment == "connected" })
	return ch
}

// nextEvent returns the first event for which match is true, failing the
// test after 10 s or when the stream ends first.
func nextEvent(t *testing.T, ch <-chan sseEvent, match func(sseEvent) bool) sseEvent {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatal("event stream ended while waiting for an event")
			}
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatal("timed out waiting for an event")
		}
	}
}

func isMessage(e sseEvent) bool { return e.Event == "message" }
