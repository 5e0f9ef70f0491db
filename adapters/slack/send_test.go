package slack

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/core"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// stubEngine records what the adapter hands to the engine and fails while
// fail is set.
type stubEngine struct {
	mu     sync.Mutex
	fail   bool
	msgs   []core.Message
	agents []core.AgentMessage
	result core.AgentResult
}

func (s *stubEngine) Handle(_ context.Context, m core.Message) (core.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return core.Result{}, errors.New("store unavailable")
	}
	s.msgs = append(s.msgs, m)
	return core.Result{}, nil
}

func (s *stubEngine) HandleAgent(_ context.Context, a core.AgentMessage) (core.AgentResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return core.AgentResult{}, errors.New("store unavailable")
	}
	s.agents = append(s.agents, a)
	return s.result, nil
}

func (s *stubEngine) handled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs) + len(s.agents)
}

// newUnit returns an adapter on a stub engine and a bolt store, and the fake.
func newUnit(t *testing.T, logger *slog.Logger) (*Adapter, *stubEngine, *slackfake.Server, core.Store) {
	t.Helper()
	fake := newFake(t)
	st, err := bolt.Open(context.Background(), dbPath(t), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng := &stubEngine{}
	a, err := New(context.Background(), Config{BotToken: testToken, SigningSecret: testSecret, SupportChannel: testSupport,
		APIURL: strings.TrimSuffix(fake.APIURL(), "/")}, eng, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	return a, eng, fake, st
}

func TestSendErrors(t *testing.T) {
	a, _, fake, _ := newUnit(t, nil)
	answer := core.Reply{ID: "r1", Key: core.ConversationKey{Platform: "slack", Chat: "D1", User: "U1"}, Text: "hi"}
	cases := []struct {
		name       string
		fault      func()
		permanent  bool
		code       string
		status     int
		retryAfter time.Duration
	}{
		{"429", func() { fake.RateLimit("chat.postMessage", 3*time.Second, 1) }, false, "ratelimited", 429, 3 * time.Second},
		{"channel_not_found", func() { fake.Fail("chat.postMessage", "channel_not_found", 1) }, true, "channel_not_found", 0, 0},
		{"not_in_channel", func() { fake.Fail("chat.postMessage", "not_in_channel", 1) }, true, "not_in_channel", 0, 0},
		{"is_archived", func() { fake.Fail("chat.postMessage", "is_archived", 1) }, true, "is_archived", 0, 0},
		{"invalid_auth", func() { fake.Fail("chat.postMessage", "invalid_auth", 1) }, true, "invalid_auth", 0, 0},
		{"internal_error", func() { fake.Fail("chat.postMessage", "internal_error", 1) }, false, "internal_error", 0, 0},
		{"fatal_error", func() { fake.Fail("chat.postMessage", "fatal_error", 1) }, false, "fatal_error", 0, 0},
		{"service_unavailable", func() { fake.Fail("chat.postMessage", "service_unavailable", 1) }, false, "service_unavailable", 0, 0},
		{"503", func() { fake.ServerError("chat.postMessage", 503, 1) }, false, "", 503, 0},
		{"404", func() { fake.ServerError("chat.postMessage", 404, 1) }, true, "", 404, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fault()
			err := a.Send(context.Background(), answer)
			var se *core.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want a *core.SendError", err)
			}
			if se.Permanent != c.permanent || se.Code != c.code || se.Status != c.status || se.RetryAfter != c.retryAfter || se.Platform != "slack" {
				t.Fatalf("SendError = %+v", se)
			}
		})
	}
	if err := a.Send(context.Background(), answer); err != nil {
		t.Fatalf("Send after the faults: %v", err)
	}
	for _, bad := range []core.Reply{
		{ID: "x", Key: core.ConversationKey{Platform: "web", Chat: "w"}, Text: "hi"},
		{ID: "y", Key: answer.Key, Kind: "weird", Text: "hi"},
		{ID: "z", Key: answer.Key},
	} {
		var se *core.SendError
		if err := a.Send(context.Background(), bad); !errors.As(err, &se) || !se.Permanent {
			t.Errorf("Send(%s) = %v, want a permanent error", bad.ID, err)
		}
	}
}

// TestSendLongTextResumes: a long reply is split into pieces under the
// limit; when a piece fails, the retry goes on from it.
func TestSendLongTextResumes(t *testing.T) {
	a, _, fake, _ := newUnit(t, nil)
	var b strings.Builder
	for b.Len() < 9000 {
		b.WriteString("Line of a long answer with <brackets> & ampersands.\n")
	}
	r := core.Reply{ID: "long", Key: core.ConversationKey{Platform: "slack", Chat: "C1", User: "U1"}, Text: b.String(), ReplyTo: "1.0"}
	fake.FailAt("chat.postMessage", "internal_error", 2)
	if err := a.Send(context.Background(), r); err == nil {
		t.Fatal("the failing piece did not fail the send")
	}
	if n := len(fake.Posts()); n != 1 {
		t.Fatalf("%d pieces posted before the failure, want 1", n)
	}
	if err := a.Send(context.Background(), r); err != nil {
		t.Fatalf("retry: %v", err)
	}
	posts := fake.Posts()
	if len(posts) < 3 {
		t.Fatalf("%d pieces, want at least 3", len(posts))
	}
	var joined strings.Builder
	for _, p := range posts {
		if n := utf8.RuneCountInString(p.Text); n > MaxTextRunes || p.ThreadTS != "1.0" {
			t.Fatalf("piece of %d runes in thread %q", n, p.ThreadTS)
		}
		joined.WriteString(p.Text)
	}
	if plainText(joined.String(), "") != strings.TrimSpace(r.Text) {
		t.Fatalf("the pieces do not add up to the text: a piece was lost or posted twice")
	}
}

func TestInteractiveRefusesForgeries(t *testing.T) {
	a, eng, _, _ := newUnit(t, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	press := slackfake.BlockActions(slackfake.Action{ActionID: actionTake, Value: "web:w1:w1", UserID: agentAna,
		Channel: testSupport, MessageTS: "1.0", ActionTS: "2.0"})
	req, _ := slackfake.NewRequest("/webhooks/slack/interactive", "wrong secret", time.Now(), press)
	if rec := newRecorder(mux, req); rec != http.StatusUnauthorized || eng.handled() != 0 {
		t.Fatalf("forged press: %d, handled %d", rec, eng.handled())
	}
	req, _ = slackfake.NewRequest("/webhooks/slack/interactive", testSecret, time.Now(), press)
	if rec := newRecorder(mux, req); rec != http.StatusOK || eng.handled() != 1 {
		t.Fatalf("signed press: %d, handled %d", rec, eng.handled())
	}
	if got := eng.agents[0]; got.Text != "!take" || got.About.Chat != "w1" || got.Agent != "Ana" || got.DedupeKeys[0] == "" {
		t.Fatalf("agent message = %+v", got)
	}
	// A press on a button in another channel is not an agent's.
	other := slackfake.BlockActions(slackfake.Action{ActionID: actionTake, Value: "web:w1:w1", UserID: agentAna,
		Channel: "C_OTHER", MessageTS: "1.0", ActionTS: "3.0"})
	req, _ = slackfake.NewRequest("/webhooks/slack/interactive", testSecret, time.Now(), other)
	if rec := newRecorder(mux, req); rec != http.StatusOK || eng.handled() != 1 {
		t.Fatalf("press outside the support channel: %d, handled %d", rec, eng.handled())
	}
}

// TestEngineFailureAsksForRetry: when the engine fails, Slack gets 500 and
// its retry (with X-Slack-Retry-Num) is handled.
func TestEngineFailureAsksForRetry(t *testing.T) {
	a, eng, _, _ := newUnit(t, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	body := slackfake.MessageEvent(slackfake.Envelope{EventID: "EvF"}, slackfake.Msg{Channel: "D1", ChannelType: "im", User: "U1", Text: "hi", TS: "1.0"})
	eng.fail = true
	req, _ := slackfake.NewRequest("/webhooks/slack", testSecret, time.Now(), body)
	if code := newRecorder(mux, req); code != http.StatusInternalServerError {
		t.Fatalf("engine failure answered %d, want 500", code)
	}
	eng.fail = false
	req, _ = slackfake.NewRequest("/webhooks/slack", testSecret, time.Now(), body)
	req.Header.Set("X-Slack-Retry-Num", "1")
	req.Header.Set("X-Slack-Retry-Reason", "http_error")
	if code := newRecorder(mux, req); code != http.StatusOK || eng.handled() != 1 {
		t.Fatalf("retry answered %d, handled %d", code, eng.handled())
	}
	if m := eng.msgs[0]; m.Text != "hi" || m.Key.Chat != "D1" || len(m.DedupeKeys) != 2 {
		t.Fatalf("message = %+v", m)
	}
}

// newRecorder serves req on mux and returns the status.
func newRecorder(mux *http.ServeMux, req *http.Request) int {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Code
}

// TestUnknownThreadUnderOurMessage: a reply under a message the bot posted
// a moment ago that maps to no case yet is refused for a retry (the case may
// be posted but not stored yet); under an old message it is ignored.
func TestUnknownThreadUnderOurMessage(t *testing.T) {
	a, eng, fake, _ := newUnit(t, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	now := time.Now()
	cases := []struct {
		name     string
		threadTS string
		parent   string
		want     int
	}{
		{"recent, under the bot's message", strconv.FormatInt(now.Unix()-5, 10) + ".000100", fake.BotUserID(), http.StatusInternalServerError},
		{"old, under the bot's message", strconv.FormatInt(now.Add(-time.Hour).Unix(), 10) + ".000100", fake.BotUserID(), http.StatusOK},
		{"recent, under a person's message", strconv.FormatInt(now.Unix()-5, 10) + ".000100", agentBo, http.StatusOK},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := slackfake.MessageEvent(slackfake.Envelope{EventID: "EvU" + strconv.Itoa(i)}, slackfake.Msg{Channel: testSupport,
				ChannelType: "channel", User: agentAna, Text: "hi", TS: strconv.FormatInt(now.Unix(), 10) + ".00020" + strconv.Itoa(i),
				ThreadTS: c.threadTS, ParentUserID: c.parent})
			req, _ := slackfake.NewRequest("/webhooks/slack", testSecret, now, body)
			if got := newRecorder(mux, req); got != c.want || eng.handled() != 0 {
				t.Fatalf("status %d (handled %d), want %d", got, eng.handled(), c.want)
			}
		})
	}
}
