package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

var _ core.Sender = (*Adapter)(nil)

func TestCreateSession(t *testing.T) {
	s := newStack(t, Config{})
	tokens := map[string]bool{}
	for range 3 {
		tok := s.newSession(t)
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			t.Fatalf("token %q is not base64url: %v", tok, err)
		}
		if len(raw)*8 < 128 {
			t.Fatalf("token has %d bits, want at least 128", len(raw)*8)
		}
		if tokens[tok] {
			t.Fatalf("token %q issued twice", tok)
		}
		tokens[tok] = true

		sum := sha256.Sum256([]byte(tok))
		if _, err := s.st.Get(context.Background(), sessionNamespace, hex.EncodeToString(sum[:])); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("a session was stored before its first message (err %v)", err)
		}
		s.post(t, tok, "hello", "")
		if _, err := s.st.Get(context.Background(), sessionNamespace, hex.EncodeToString(sum[:])); err != nil {
			t.Fatalf("session not stored under the token's hash after its first message: %v", err)
		}
		if _, err := s.st.Get(context.Background(), sessionNamespace, tok); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("Get(raw token) error = %v, want ErrNotFound: the raw token must not be a key", err)
		}
	}
	// Distinct bytes across tokens: a constant or counter-based token would
	// show far fewer (a crude entropy check on top of crypto/rand).
	seen := map[byte]bool{}
	for tok := range tokens {
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		for _, b := range raw {
			seen[b] = true
		}
	}
	if len(seen) < 40 {
		t.Errorf("3 tokens use only %d distinct byte values", len(seen))
	}
}

func TestPostAndGetRoundTrip(t *testing.T) {
	s := newStack(t, Config{})
	tok := s.newSession(t)
	if got := s.messages(t, tok); len(got) != 0 {
		t.Fatalf("new session has %d messages, want 0", len(got))
	}
	before := time.Now().Add(-time.Second)
	id1 := s.post(t, tok, "hello", "")
	id2 := s.post(t, tok, "where is my parcel?", "")
	if id1 == id2 {
		t.Fatalf("two messages without client_id got the same id %q", id1)
	}
	got := s.messages(t, tok)
	want := []struct {
		id   string
		from core.Author
		text string
	}{
		{id1, core.AuthorUser, "hello"},
		{id1 + ".r0", core.AuthorBot, "you said: hello"},
		{id2, core.AuthorUser, "where is my parcel?"},
		{id2 + ".r0", core.AuthorBot, "you said: where is my parcel?"},
	}
	if len(got) != len(want) {
		t.Fatalf("GET messages returned %d messages %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.ID != w.id || g.From != w.from || g.Text != w.text {
			t.Errorf("message %d = {%s %s %q}, want {%s %s %q}", i, g.ID, g.From, g.Text, w.id, w.from, w.text)
		}
		if g.At.Before(before) || g.At.After(time.Now().Add(time.Second)) {
			t.Errorf("message %d at %v, want about now", i, g.At)
		}
	}
}

func TestHistoryLimit(t *testing.T) {
	s := newStack(t, Config{HistoryLimit: 3})
	tok := s.newSession(t)
	s.post(t, tok, "one", "")
	id := s.post(t, tok, "two", "")
	got := s.messages(t, tok)
	if len(got) != 3 {
		t.Fatalf("got %d messages, want the newest 3: %+v", len(got), got)
	}
	if got[1].ID != id || got[2].ID != id+".r0" {
		t.Fatalf("got %+v, want the newest turns oldest first", got)
	}
	if status, h, _ := s.do(t, http.MethodHead, "/api/web/events", tok, "", ""); status != http.StatusOK ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("HEAD /api/web/events = %d %q", status, h.Get("Content-Type"))
	}
}

func TestClientIDIdempotency(t *testing.T) {
	s := newStack(t, Config{})
	tok := s.newSession(t)
	id := s.post(t, tok, "cancel my order", "c-42")
	if again := s.post(t, tok, "cancel my order", "c-42"); again != id {
		t.Fatalf("second post with the same client_id got id %q, want %q", again, id)
	}
	// Concurrent retries of one client_id are handled once as well.
	var wg sync.WaitGroup
	ids := make([]string, 4)
	for i := range ids {
		wg.Go(func() { ids[i] = s.post(t, tok, "second", "c-43") })
	}
	wg.Wait()
	for _, x := range ids[1:] {
		if x != ids[0] {
			t.Fatalf("concurrent posts with one client_id got ids %v", ids)
		}
	}
	got := s.messages(t, tok)
	var user, bot int
	for _, m := range got {
		switch m.From {
		case core.AuthorUser:
			user++
		case core.AuthorBot:
			bot++
		}
	}
	if user != 2 || bot != 2 {
		t.Fatalf("transcript has %d user and %d bot turns, want 2 and 2: %+v", user, bot, got)
	}
	// The same client_id in another session is another message.
	other := s.newSession(t)
	if x := s.post(t, other, "cancel my order", "c-42"); x == id {
		t.Fatalf("client_id is not scoped to the session: both got %q", x)
	}
	if n := len(s.messages(t, other)); n != 2 {
		t.Fatalf("other session has %d messages, want 2", n)
	}
}

func TestBadRequests(t *testing.T) {
	s := newStack(t, Config{})
	tok := s.newSession(t)
	unknown := randomToken(t)
	big := `{"text": "` + strings.Repeat("a", MaxBodyBytes) + `"}`
	const js = "application/json"
	tests := []struct {
		name, method, path, token, contentType, body string
		wantStatus                                   int
		wantError                                    string // substring of the JSON error
		wantAllow                                    string
	}{
		{"post without token", "POST", "/api/web/messages", "", js, `{"text":"hi"}`, 401, "session token", ""},
		{"post with unknown token", "POST", "/api/web/messages", unknown, js, `{"text":"hi"}`, 401, "session token", ""},
		{"post with malformed token", "POST", "/api/web/messages", "not-a-token", js, `{"text":"hi"}`, 401, "session token", ""},
		{"get without token", "GET", "/api/web/messages", "", "", "", 401, "session token", ""},
		{"get with unknown token", "GET", "/api/web/messages", unknown, "", "", 401, "session token", ""},
		{"events without token", "GET", "/api/web/events", "", "", "", 401, "session token", ""},
		{"events with unknown query token", "GET", "/api/web/events?token=" + unknown, "", "", "", 401, "session token", ""},
		{"query token not accepted for messages", "GET", "/api/web/messages?token=" + tok, "", "", "", 401, "session token", ""},
		{"oversized body", "POST", "/api/web/messages", tok, js, big, 400, "larger than 16384 bytes", ""},
		{"empty body", "POST", "/api/web/messages", tok, js, "", 400, "empty", ""},
		{"empty text", "POST", "/api/web/messages", tok, js, `{"text": ""}`, 400, `"text" is missing or blank`, ""},
		{"whitespace text", "POST", "/api/web/messages", tok, js, `{"text": "  \n\t "}`, 400, `"text" is missing or blank`, ""},
		{"missing text", "POST", "/api/web/messages", tok, js, `{"client_id": "x"}`, 400, `"text" is missing or blank`, ""},
		{"invalid json", "POST", "/api/web/messages", tok, js, `{"text": `, 400, "not valid JSON", ""},
		{"unknown field", "POST", "/api/web/messages", tok, js, `{"text": "hi", "chat": "other"}`, 400, `unknown field "chat"`, ""},
		{"wrong type", "POST", "/api/web/messages", tok, js, `{"text": ["hi"]}`, 400, "must be a JSON string", ""},
		{"text/plain body", "POST", "/api/web/messages", tok, "text/plain", `{"text":"hi"}`, 400, "application/json", ""},
		{"form body", "POST", "/api/web/messages", tok, "application/x-www-form-urlencoded", "text=hi", 400, "application/json", ""},
		{"bad client id", "POST", "/api/web/messages", tok, js, `{"text": "hi", "client_id": "a b"}`, 400, "client_id", ""},
		{"put messages", "PUT", "/api/web/messages", tok, js, `{"text":"hi"}`, 405, "not allowed", "GET, HEAD, POST"},
		{"delete messages", "DELETE", "/api/web/messages", tok, "", "", 405, "not allowed", "GET, HEAD, POST"},
		{"get session", "GET", "/api/web/session", "", "", "", 405, "not allowed", "POST"},
		{"post events", "POST", "/api/web/events", tok, "", "", 405, "not allowed", "GET, HEAD"},
		{"post page", "POST", "/", "", "", "", 405, "not allowed", "GET, HEAD"},
		{"unknown api path", "GET", "/api/web/admin", tok, "", "", 404, "no such endpoint", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, h, body := s.do(t, tt.method, tt.path, tt.token, tt.contentType, tt.body)
			if status != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", status, body, tt.wantStatus)
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tt.wantError) {
				t.Errorf("body = %s (%v), want {\"error\": ...%q...}", body, err, tt.wantError)
			}
			if got := h.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}
	if got := s.messages(t, tok); len(got) != 0 {
		t.Fatalf("rejected requests reached the conversation: %+v", got)
	}
}

// TestIsolation checks that one customer cannot see another's messages or
// events, whatever they send.
func TestIsolation(t *testing.T) {
	s := newStack(t, Config{Heartbeat: time.Hour})
	a, b := s.newSession(t), s.newSession(t)
	eventsA, eventsB := s.openEvents(t, a), s.openEvents(t, b)

	idA := s.post(t, a, "my card number is 4111", "same-client-id")
	ev := nextEvent(t, eventsA, isMessage)
	if ev.ID != idA+".r0" {
		t.Fatalf("A's stream got event %q, want %q", ev.ID, idA+".r0")
	}
	idB := s.post(t, b, "hello from B", "same-client-id")
	if idB == idA {
		t.Fatal("B's message got A's id")
	}
	// B's first message event must be B's own answer, not A's.
	if ev := nextEvent(t, eventsB, isMessage); ev.ID != idB+".r0" || strings.Contains(ev.Data, "4111") {
		t.Fatalf("B's stream got %+v, want only B's answer", ev)
	}
	for _, m := range s.messages(t, b) {
		if strings.Contains(m.Text, "4111") || strings.HasPrefix(m.ID, idA) {
			t.Fatalf("B can read A's message %+v", m)
		}
	}
	if n := len(s.messages(t, a)); n != 2 {
		t.Fatalf("A has %d messages, want 2", n)
	}
	// A's stream saw nothing of B.
	select {
	case ev := <-eventsA:
		if ev.Event == "message" {
			t.Fatalf("A's stream got B's event %+v", ev)
		}
	case <-time.After(200 * time.Millisecond):
	}
}

func TestEventsDeliverAnswer(t *testing.T) {
	s := newStack(t, Config{Heartbeat: time.Hour})
	tok := s.newSession(t)
	events := s.openEvents(t, tok)
	id := s.post(t, tok, "menu", "k1")
	ev := nextEvent(t, events, isMessage)
	if ev.ID != id+".r0" {
		t.Fatalf("event id = %q, want %q", ev.ID, id+".r0")
	}
	var m wireMessage
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
		t.Fatalf("event data %q: %v", ev.Data, err)
	}
	if m.ID != ev.ID || m.From != core.AuthorBot || m.Text != "you said: menu" || m.At.IsZero() {
		t.Fatalf("event data = %+v", m)
	}
	if strings.Join(m.QuickReplies, "|") != "Opening hours|Talk to a person" {
		t.Fatalf("quick replies = %q", m.QuickReplies)
	}
	if m.Language != "en" {
		t.Fatalf("event language = %q, want en (the conversation's detected language)", m.Language)
	}
}

// TestEventsTokenNotInURL checks that the event stream takes the session
// token only from the Authorization header: a token in the query string
// would end up in access logs, proxies and the browser history.
func TestEventsTokenNotInURL(t *testing.T) {
	s := newStack(t, Config{Heartbeat: time.Hour})
	tok := s.newSession(t)
	status, h, body := s.do(t, http.MethodGet, "/api/web/events?token="+tok, "", "", "")
	if status != http.StatusUnauthorized || h.Get("WWW-Authenticate") == "" {
		t.Fatalf("GET /api/web/events?token=… = %d %s, want 401 with WWW-Authenticate", status, body)
	}
}

// TestLanguageReported checks that the page learns the conversation's
// detected language from the transcript and from each live event.
func TestLanguageReported(t *testing.T) {
	s := newStack(t, Config{Heartbeat: time.Hour})
	tok := s.newSession(t)
	events := s.openEvents(t, tok)
	s.post(t, tok, "营业时间是几点", "zh1")
	var m wireMessage
	ev := nextEvent(t, events, isMessage)
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil || m.Language != "zh" {
		t.Fatalf("event %s: language %q (%v), want zh", ev.Data, m.Language, err)
	}
	status, _, body := s.do(t, http.MethodGet, "/api/web/messages", tok, "", "")
	var r struct {
		Messages []wireMessage
		Language string
	}
	if err := json.Unmarshal(body, &r); status != http.StatusOK || err != nil || r.Language != "zh" || len(r.Messages) != 2 {
		t.Fatalf("GET /api/web/messages = %d %s (%v), want language zh and 2 messages", status, body, err)
	}
}

// TestPrechatName checks that the pre-chat name and e-mail reach the
// conversation as the customer's name (what an agent's case shows).
func TestPrechatName(t *testing.T) {
	s := newStack(t, Config{})
	tok := s.newSession(t)
	body := `{"text":"hello","client_id":"p1","name":" Ana Li ","email":"ana@example.com"}`
	if status, _, b := s.do(t, http.MethodPost, "/api/web/messages", tok, "application/json", body); status != http.StatusAccepted {
		t.Fatalf("POST = %d %s", status, b)
	}
	st, _, err := s.st.Load(context.Background(), conversationKey(hashToken(tok)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.UserName != "Ana Li <ana@example.com>" {
		t.Fatalf("conversation user name = %q, want %q", st.UserName, "Ana Li <ana@example.com>")
	}
	for _, bad := range []string{`{"text":"x","email":"not-an-address"}`, `{"text":"x","name":"a\u0000b"}`,
		`{"text":"x","email":"a@b.c><script"}`} {
		if status, _, b := s.do(t, http.MethodPost, "/api/web/messages", tok, "application/json", bad); status != http.StatusBadRequest {
			t.Errorf("POST %s = %d %s, want 400", bad, status, b)
		}
	}
}

func TestEventsAgentHeartbeatAndClose(t *testing.T) {
	s := newStack(t, Config{Heartbeat: 50 * time.Millisecond})
	tok := s.newSession(t)
	events := s.openEvents(t, tok)
	nextEvent(t, events, func(e sseEvent) bool { return e.Comment == "heartbeat" })

	key := conversationKey(hashToken(tok))
	r := core.Reply{ID: "agent-1", Key: key, From: core.AuthorAgent, AgentName: "Dana", Text: "Hi, Dana here."}
	if err := s.a.Send(context.Background(), r); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ev := nextEvent(t, events, isMessage)
	var m wireMessage
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
		t.Fatalf("event data %q: %v", ev.Data, err)
	}
	if m.From != core.AuthorAgent || m.AgentName != "Dana" || m.Text != r.Text || ev.ID != "agent-1" {
		t.Fatalf("agent event = %+v (id %q)", m, ev.ID)
	}

	s.a.Close()
	timeout := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-events:
		case <-timeout:
			t.Fatal("event stream still open after Close")
		}
	}
	status, _, _ := s.do(t, http.MethodGet, "/api/web/events", tok, "", "")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("events after Close = %d, want 503", status)
	}
}

func TestSend(t *testing.T) {
	a := New(Config{}, nil, nil, nil)
	tests := []struct {
		name          string
		r             core.Reply
		wantPermanent bool
	}{
		{"nobody connected", core.Reply{ID: "1", Key: core.ConversationKey{Platform: "web", Chat: "c", User: "c"}, Text: "hi"}, false},
		{"other platform", core.Reply{ID: "2", Key: core.ConversationKey{Platform: "slack", Chat: "C1"}, Text: "hi"}, true},
		{"desk kind", core.Reply{ID: "3", Key: core.ConversationKey{Platform: "web", Chat: "c", User: "c"}, Kind: core.ReplyCase, Text: "case"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := a.Send(context.Background(), tt.r)
			var se *core.SendError
			if tt.wantPermanent != (errors.As(err, &se) && se.Permanent) {
				t.Fatalf("Send = %v, want permanent error: %v", err, tt.wantPermanent)
			}
			if !tt.wantPermanent && err != nil {
				t.Fatalf("Send = %v, want nil", err)
			}
		})
	}
	if a.Platform() != "web" {
		t.Fatalf("Platform() = %q", a.Platform())
	}
}

func TestSessionRefresh(t *testing.T) {
	s := newStack(t, Config{SessionTTL: time.Hour})
	tok := s.newSession(t)
	s.post(t, tok, "hi", "") // the first message stores the session
	sum := sha256.Sum256([]byte(tok))
	id := hex.EncodeToString(sum[:])
	read := func() session {
		raw, err := s.st.Get(context.Background(), sessionNamespace, id)
		if err != nil {
			t.Fatalf("get session: %v", err)
		}
		var rec session
		if err := json.Unmarshal(raw, &rec); err != nil {
			t.Fatalf("decode session: %v", err)
		}
		return rec
	}
	first := read()
	s.messages(t, tok) // young session: no refresh
	if got := read(); !got.Refreshed.Equal(first.Refreshed) {
		t.Fatalf("young session was refreshed: %v -> %v", first.Refreshed, got.Refreshed)
	}
	later := time.Now().Add(40 * time.Minute)
	s.a.now = func() time.Time { return later }
	s.messages(t, tok)
	if got := read(); !got.Refreshed.Equal(later) || !got.Created.Equal(first.Created) {
		t.Fatalf("after half the TTL: %+v, want refreshed at %v", got, later)
	}
}

func TestPage(t *testing.T) {
	s := newStack(t, Config{Branding: Branding{Title: `Acme <Support> & "Co"`}})
	status, h, body := s.do(t, http.MethodGet, "/", "", "", "")
	if status != http.StatusOK {
		t.Fatalf("GET / = %d", status)
	}
	page := string(body)
	checks := []struct {
		name string
		ok   bool
	}{
		{"html content type", strings.HasPrefix(h.Get("Content-Type"), "text/html")},
		{"viewport meta", strings.Contains(page, `<meta name="viewport" content="width=device-width`)},
		{"escaped title", strings.Contains(page, "<title>Acme &lt;Support&gt; &amp; &#34;Co&#34;</title>")},
		{"no raw title", !strings.Contains(page, "<Support>")},
		{"no placeholder left", !strings.Contains(page, titlePlaceholder)},
		{"no external resources", !strings.Contains(page, `src="http`) && !strings.Contains(page, `href="http`) && !strings.Contains(page, "//cdn")},
		{"csp pins the inline script", strings.Contains(h.Get("Content-Security-Policy"), "script-src 'sha256-")},
		{"csp forbids other origins", strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'")},
		{"etag", h.Get("ETag") != ""},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("page check failed: %s", c.name)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/", nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation = %d, want 304", resp.StatusCode)
	}
	if status, _, _ := s.do(t, http.MethodHead, "/", "", "", ""); status != http.StatusOK {
		t.Errorf("HEAD / = %d, want 200", status)
	}
	if status, _, _ := s.do(t, http.MethodGet, "/other", "", "", ""); status != http.StatusNotFound {
		t.Errorf("GET /other = %d, want 404 (the page is only at /)", status)
	}
}

// TestNoSecretsInLogs checks the leak rule: tokens and message bodies never
// reach the logs, even at debug level.
func TestNoSecretsInLogs(t *testing.T) {
	s := newStack(t, Config{Heartbeat: time.Hour})
	tok := s.newSession(t)
	events := s.openEvents(t, tok)
	s.post(t, tok, "my password is hunter2", "c1")
	nextEvent(t, events, isMessage)
	s.do(t, http.MethodGet, "/api/web/messages", tok+"x", "", "")
	logs := s.logs.String()
	if logs == "" {
		t.Fatal("nothing was logged; the test would prove nothing")
	}
	for _, secret := range []string{tok, "hunter2"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero value", Config{}, ""},
		{"explicit", Config{SessionTTL: time.Hour, HistoryLimit: 50, Heartbeat: time.Second, Branding: Branding{Title: "x"}}, ""},
		{"negative ttl", Config{SessionTTL: -1}, "session_ttl"},
		{"tiny ttl", Config{SessionTTL: time.Second}, "at least 1m"},
		{"negative history", Config{HistoryLimit: -1}, "history_limit"},
		{"negative heartbeat", Config{Heartbeat: -time.Second}, "heartbeat"},
		{"negative buffer and max", Config{SubscriberBuffer: -1, MaxSubscribers: -1}, "max_subscribers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestAgentCorrection: an agent's correction replaces the message it
// corrects, live (an event naming the message) and in the history.
func TestAgentCorrection(t *testing.T) {
	s := newStack(t, Config{Heartbeat: time.Hour})
	tok := s.newSession(t)
	key := conversationKey(hashToken(tok))
	events := s.openEvents(t, tok)
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	err := s.st.Commit(context.Background(), core.Commit{Key: key, Turns: []core.Turn{
		{ID: "agent.1", From: core.AuthorAgent, AgentName: "Ana", Text: "Your refund is 50 EUR.", At: at},
		{ID: "agent.2", From: core.AuthorAgent, AgentName: "Ana", Text: "Anything else?", At: at},
		{ID: "agent.1e", From: core.AuthorAgent, AgentName: "Ana", Text: "Your refund is 55 EUR.", At: at, Corrects: "agent.1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := s.messages(t, tok)
	if len(got) != 2 || got[0].ID != "agent.1" || got[0].Text != "Your refund is 55 EUR." || !got[0].Edited || got[1].Edited {
		t.Fatalf("history with a correction = %+v", got)
	}
	r := core.Reply{ID: "agent.1e", Key: key, From: core.AuthorAgent, AgentName: "Ana", Text: "Your refund is 55 EUR.", Corrects: "agent.1"}
	if err := s.a.Send(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	var m wireMessage
	if err := json.Unmarshal([]byte(nextEvent(t, events, isMessage).Data), &m); err != nil || m.Corrects != "agent.1" || m.Text != r.Text {
		t.Fatalf("live correction = %+v, %v", m, err)
	}
}
