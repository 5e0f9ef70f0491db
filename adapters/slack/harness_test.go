package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/switchboard-gw/switchboard/internal/testlog"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/adapters/web"
	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

const (
	testToken   = "xoxb-1111-2222-SeCrEtBoTtOkEn"
	testSecret  = "8f742231b10e8888abcd99yyyzzzsecret"
	testSupport = "C_SUPPORT"
	agentAna    = "U_ANA"
	agentBo     = "U_BO"
)

// sampleBot trains the sample bot once for all tests of the package.
var sampleBot = sync.OnceValues(func() (*intents.Understander, error) {
	bot, err := intents.Load(intents.Sample(), ".")
	if err != nil {
		return nil, err
	}
	return intents.New(context.Background(), bot, intents.Options{Seed: 1})
})

// syncBuffer is the shared concurrent-safe log sink.
type syncBuffer = testlog.Buffer

// gateway is the whole path: a bolt store under a test directory, the
// engine with the sample bot and the Slack desk, the web chat and the Slack
// adapter on one mux, one dispatcher sending for both, and the fake Slack.
type gateway struct {
	t      *testing.T
	path   string
	fake   *slackfake.Server
	logs   *syncBuffer
	st     core.Store
	eng    *core.Engine
	web    *web.Adapter
	slack  *Adapter
	srv    *httptest.Server
	cancel context.CancelFunc
	done   chan error
	ts     atomic.Int64 // for fresh Slack message ts
}

type gatewayOptions struct {
	backoff time.Duration // dispatcher's BaseBackoff; default 50ms
}

func newGateway(t *testing.T, fake *slackfake.Server, path string, o gatewayOptions) *gateway {
	t.Helper()
	g := &gateway{t: t, path: path, fake: fake, logs: &syncBuffer{}}
	g.ts.Store(time.Now().Unix() * 1e6)
	g.start(o)
	t.Cleanup(g.stop)
	return g
}

func newFake(t *testing.T) *slackfake.Server {
	fake := slackfake.New(slackfake.Options{Token: testToken, Users: map[string]string{agentAna: "Ana", agentBo: "Bo", "U_CUST": "Carla"}})
	t.Cleanup(fake.Close)
	return fake
}

func (g *gateway) start(o gatewayOptions) {
	t := g.t
	t.Helper()
	u, err := sampleBot()
	if err != nil {
		t.Fatalf("sample bot: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	logger := slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st, err := bolt.Open(ctx, g.path, bolt.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	g.st = st
	var d *core.Dispatcher
	g.eng = core.NewEngine(st, u, core.EngineOptions{Logger: logger, Notify: func() { d.Notify() },
		Handoff: core.HandoffOptions{DeskPlatform: "slack", DeskChat: testSupport, AfterFallbacks: 2}})
	g.web = web.New(web.Config{}, g.eng, st, logger)
	g.slack, err = New(ctx, Config{BotToken: testToken, SigningSecret: testSecret, SupportChannel: testSupport,
		APIURL: g.fake.APIURL()}, g.eng, st, logger)
	if err != nil {
		t.Fatalf("new slack adapter: %v", err)
	}
	if o.backoff == 0 {
		o.backoff = 50 * time.Millisecond
	}
	d = core.NewDispatcher(st, []core.Sender{g.web, g.slack}, core.DispatcherOptions{Logger: logger,
		BaseBackoff: o.backoff, MaxBackoff: 2 * o.backoff, PollInterval: 50 * time.Millisecond})
	g.done = make(chan error, 1)
	go func() { g.done <- d.Run(ctx) }()
	mux := http.NewServeMux()
	g.web.Register(mux)
	g.slack.Register(mux)
	g.srv = httptest.NewServer(mux)
}

// stop stops the dispatcher and closes the server and the store, as a
// crash would (the outbox keeps what was not sent). It may be called twice.
func (g *gateway) stop() {
	if g.srv == nil {
		return
	}
	g.web.Close()
	g.srv.Close()
	g.cancel()
	if err := <-g.done; err != nil {
		g.t.Errorf("dispatcher: %v", err)
	}
	if err := g.st.Close(); err != nil {
		g.t.Errorf("close store: %v", err)
	}
	g.srv = nil
}

// nextTS returns a fresh Slack message ts.
func (g *gateway) nextTS() string {
	n := g.ts.Add(100)
	return strconv.FormatInt(n/1e6, 10) + "." + strconv.FormatInt(1e6+n%1e6, 10)[1:]
}

// deliver POSTs a signed body to path like Slack, with extra headers, and
// returns the status and the response body.
func (g *gateway) deliver(path string, body []byte, extra ...string) (int, string) {
	g.t.Helper()
	req, err := slackfake.NewRequest(g.srv.URL+path, testSecret, time.Now(), body)
	if err != nil {
		g.t.Fatal(err)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := g.srv.Client().Do(req)
	if err != nil {
		g.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// event delivers an Events API body and requires 200.
func (g *gateway) event(body []byte, extra ...string) {
	g.t.Helper()
	if status, resp := g.deliver("/webhooks/slack", body, extra...); status != http.StatusOK {
		g.t.Fatalf("event answered %d %s", status, resp)
	}
}

// agentSays delivers an agent's reply in a thread of the support channel
// and returns the event body (to deliver it again).
func (g *gateway) agentSays(user, threadTS, text string) []byte {
	g.t.Helper()
	ts := g.nextTS()
	body := slackfake.MessageEvent(slackfake.Envelope{EventID: "Ev" + strings.ReplaceAll(ts, ".", "")},
		slackfake.Msg{Channel: testSupport, ChannelType: "channel", User: user, Text: text, TS: ts, ThreadTS: threadTS, ParentUserID: g.fake.BotUserID()})
	g.event(body)
	return body
}

// webSession starts a web chat session and returns its token.
func (g *gateway) webSession() string {
	g.t.Helper()
	status, body := g.webDo(http.MethodPost, "/api/web/session", "", nil)
	if status != http.StatusCreated {
		g.t.Fatalf("new web session: %d %s", status, body)
	}
	var r struct{ Token string }
	if err := json.Unmarshal(body, &r); err != nil {
		g.t.Fatal(err)
	}
	return r.Token
}

// webSays posts a customer's web chat message.
func (g *gateway) webSays(token, text string) {
	g.t.Helper()
	b, _ := json.Marshal(map[string]string{"text": text})
	if status, body := g.webDo(http.MethodPost, "/api/web/messages", token, b); status != http.StatusAccepted {
		g.t.Fatalf("web message: %d %s", status, body)
	}
}

type webMessage struct {
	ID        string `json:"id"`
	From      string `json:"from"`
	Text      string `json:"text"`
	AgentName string `json:"agent_name"`
}

// webMessages is the web chat's transcript (GET /api/web/messages).
func (g *gateway) webMessages(token string) []webMessage {
	g.t.Helper()
	status, body := g.webDo(http.MethodGet, "/api/web/messages", token, nil)
	if status != http.StatusOK {
		g.t.Fatalf("web messages: %d %s", status, body)
	}
	var r struct{ Messages []webMessage }
	if err := json.Unmarshal(body, &r); err != nil {
		g.t.Fatal(err)
	}
	return r.Messages
}

func (g *gateway) webDo(method, path, token string, body []byte) (int, []byte) {
	req, err := http.NewRequest(method, g.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := g.srv.Client().Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// waitPosts waits up to 10 s for the fake to hold posts for which cond holds.
func (g *gateway) waitPosts(what string, cond func([]slackfake.Post) bool) []slackfake.Post {
	g.t.Helper()
	posts, ok := g.fake.WaitPosts(10*time.Second, cond)
	if !ok {
		g.t.Fatalf("timed out waiting for %s; posts: %+v", what, posts)
	}
	return posts
}

// eventually polls cond every 20 ms for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// casePosts returns the top-level posts to the support channel.
func casePosts(posts []slackfake.Post) []slackfake.Post {
	var out []slackfake.Post
	for _, p := range posts {
		if p.Channel == testSupport && p.ThreadTS == "" {
			out = append(out, p)
		}
	}
	return out
}

// threadPosts returns the posts in a thread.
func threadPosts(posts []slackfake.Post, ts string) []slackfake.Post {
	var out []slackfake.Post
	for _, p := range posts {
		if p.ThreadTS == ts {
			out = append(out, p)
		}
	}
	return out
}

func countFrom(msgs []webMessage, from, text string) int {
	n := 0
	for _, m := range msgs {
		if m.From == from && (text == "" || strings.Contains(m.Text, text)) {
			n++
		}
	}
	return n
}

func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), "switchboard.db") }
