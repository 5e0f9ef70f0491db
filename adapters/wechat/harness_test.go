package wechat

import (
	"context"
	"github.com/switchboard-gw/switchboard/internal/testlog"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

const (
	testAppID  = "wx5fa1c0ffee0d1e2f"
	testSecret = "appsecret0123456789abcdef01234567"
	testToken  = "Tok3nForTests"
	testKey    = keyA
	testGhID   = "gh_0123456789ab"
)

// testNow is the harness's clock: the timestamp of signedPost's requests
// plus a minute. The adapter and the fake WeChat both read it, so the
// clock-skew window never depends on the real date.
var testNow = time.Unix(1409735669+60, 0)

// testClock is a settable clock for the adapter and the fake WeChat.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.set(t)
	return c
}
func (c *testClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *testClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *testClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// syncBuffer is the shared concurrent-safe log sink.
type syncBuffer = testlog.Buffer

// replyFunc is a stub Understander: it answers each input with the texts fn returns.
type replyFunc func(in core.Input) []core.ReplyText

func (f replyFunc) Understand(_ context.Context, in core.Input) (core.Decision, error) {
	return core.Decision{Intent: "stub", Confidence: 1, Replies: f(in), State: in.State}, nil
}

func echo(in core.Input) []core.ReplyText {
	return []core.ReplyText{{Text: "echo: " + in.Text}}
}

// slow delays another Understander by d (or until ctx is done) and counts calls.
type slow struct {
	u     core.Understander
	d     time.Duration
	calls atomic.Int32
}

func (s *slow) Understand(ctx context.Context, in core.Input) (core.Decision, error) {
	s.calls.Add(1)
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return core.Decision{}, ctx.Err()
	}
	return s.u.Understand(ctx, in)
}

// harness runs the real path: webhook → Adapter → core.Engine → store/bolt
// → core.Dispatcher → Adapter.Send → fake WeChat API.
type harness struct {
	t       *testing.T
	store   *bolt.Store
	fake    *wechatfake.Server
	adapter *Adapter
	engine  *core.Engine
	srv     *httptest.Server
	pusher  wechatfake.Pusher
	logs    *syncBuffer
	clock   *testClock
	nextID  atomic.Int64
	// dispatch starts the outbox Dispatcher (newHarness does unless
	// noDispatcher); stop ends it.
	dispatch func()
	stop     func()
}

type harnessOpts struct {
	u            core.Understander
	mode         wechatfake.Mode
	cfg          func(*Config)
	noDispatcher bool
	opts         []Option
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	if o.u == nil {
		o.u = replyFunc(echo)
	}
	ctx := context.Background()
	st, err := bolt.Open(ctx, filepath.Join(t.TempDir(), "switchboard.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fake := wechatfake.NewServer(wechatfake.Options{AppID: testAppID, AppSecret: testSecret})
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	cfg := Config{AppID: testAppID, AppSecret: testSecret, Token: testToken, APIURL: fake.URL}
	if o.mode != wechatfake.Plain {
		cfg.EncodingAESKey = testKey
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	h := &harness{t: t, store: st, fake: fake, logs: logs, clock: newTestClock(testNow)}
	var disp *core.Dispatcher
	h.engine = core.NewEngine(st, o.u, core.EngineOptions{Logger: logger, Notify: func() {
		if disp != nil {
			disp.Notify()
		}
	}})
	h.adapter, err = New(cfg, h.engine, st, logger, append([]Option{WithClock(h.clock.now)}, o.opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	disp = core.NewDispatcher(st, []core.Sender{h.adapter}, core.DispatcherOptions{
		Logger: logger, BaseBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		MaxAttempts: 5, PollInterval: 50 * time.Millisecond,
	})
	dctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var once sync.Once
	h.dispatch = func() { once.Do(func() { wg.Go(func() { _ = disp.Run(dctx) }) }) }
	h.stop = func() { cancel(); wg.Wait() }
	if !o.noDispatcher {
		h.dispatch()
	}
	mux := http.NewServeMux()
	h.adapter.Register(mux)
	h.srv = httptest.NewServer(mux)
	h.pusher = wechatfake.Pusher{Token: testToken, AppID: testAppID, EncodingAESKey: cfg.EncodingAESKey,
		OriginalID: testGhID, Mode: o.mode, Now: h.clock.now}
	t.Cleanup(func() {
		h.srv.Close()
		h.stop()
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
		fake.Close()
	})
	return h
}

func (h *harness) url() string { return h.srv.URL + WebhookPath }

// do sends req and returns the status and body.
func (h *harness) do(req *http.Request) (int, []byte) {
	h.t.Helper()
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// push sends m as WeChat would and returns the status and body.
func (h *harness) push(m wechatfake.Inbound) (int, []byte) {
	h.t.Helper()
	req, err := h.pusher.Push(context.Background(), h.url(), m)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.do(req)
}

// text pushes a text message with a fresh MsgId.
func (h *harness) text(openID, content string) (int64, int, []byte) {
	h.t.Helper()
	id := 7000000000000000000 + h.nextID.Add(1)
	status, body := h.push(wechatfake.Text(openID, id, content))
	return id, status, body
}

// passive decodes a response that must be a passive text reply.
func (h *harness) passive(status int, body []byte) string {
	h.t.Helper()
	if status != http.StatusOK {
		h.t.Fatalf("status %d, body %q", status, body)
	}
	r, err := h.pusher.DecodeReply(body)
	if err != nil {
		h.t.Fatalf("response is not a passive reply: %v (body %q)", err, body)
	}
	return r.Content
}

// acked checks that a response only acknowledges: "success" in plaintext
// mode, an empty body when encrypted.
func (h *harness) acked(status int, body []byte) {
	h.t.Helper()
	want := "success"
	if h.pusher.Mode != wechatfake.Plain {
		want = ""
	}
	if status != http.StatusOK || string(body) != want {
		h.t.Fatalf("got %d %q, want 200 %q", status, body, want)
	}
}

// drain waits until the outbox is empty.
func (h *harness) drain() {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := h.store.OutboxLen(context.Background())
		if err != nil {
			h.t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("outbox still has %d entries", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitSent waits until the fake API has accepted n messages in total.
func (h *harness) waitSent(n int) []wechatfake.Sent {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	sent, err := h.fake.WaitSent(ctx, n)
	if err != nil {
		h.t.Fatal(err)
	}
	return sent
}

// deadLetters returns the dead letters' reasons.
func (h *harness) deadLetters() []string {
	h.t.Helper()
	dls, err := h.store.DeadLetters(context.Background(), 100)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, d := range dls {
		out = append(out, d.Reason)
	}
	return out
}

func mustContain(t *testing.T, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%q does not contain %q", s, sub)
	}
}
