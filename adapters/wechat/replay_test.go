package wechat

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// pushAt builds a push of m signed by WeChat at time at.
func (h *harness) pushAt(at time.Time, m wechatfake.Inbound) *http.Request {
	h.t.Helper()
	p := h.pusher
	p.Now = func() time.Time { return at }
	req, err := p.Push(context.Background(), h.url(), m)
	if err != nil {
		h.t.Fatal(err)
	}
	return req
}

// withBody returns a copy of req, the same signed URL, with another body.
func withBody(t *testing.T, req *http.Request, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(req.Method, req.URL.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (h *harness) messages() int64 {
	h.t.Helper()
	c, err := h.store.Counters(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return c["messages"]
}

// TestPushClockSkewWindow: a push signed more than max_clock_skew ago or
// ahead is refused in every mode, one inside the window is answered.
func TestPushClockSkewWindow(t *testing.T) {
	for _, mode := range []wechatfake.Mode{wechatfake.Plain, wechatfake.Safe} {
		t.Run(mode.String(), func(t *testing.T) {
			h := newHarness(t, harnessOpts{mode: mode})
			now := h.clock.now()
			tests := []struct {
				name   string
				at     time.Time
				status int
			}{
				{"signed 10 minutes ago", now.Add(-10 * time.Minute), 401},
				{"signed 5m1s ago", now.Add(-5*time.Minute - time.Second), 401},
				{"signed 6 minutes ahead", now.Add(6 * time.Minute), 401},
				{"signed 4 minutes ago", now.Add(-4 * time.Minute), 200},
				{"signed 2 minutes ahead", now.Add(2 * time.Minute), 200},
			}
			for i, tt := range tests {
				before := h.messages()
				status, body := h.do(h.pushAt(tt.at, wechatfake.Text("oSkew", int64(100+i), "hi")))
				if status != tt.status {
					t.Errorf("%s: status %d (%q), want %d", tt.name, status, body, tt.status)
				}
				if got := h.messages() - before; (tt.status == 200) != (got == 1) {
					t.Errorf("%s: %d messages handled", tt.name, got)
				}
			}
		})
	}
}

// TestMaxClockSkewConfigurable: wechat.max_clock_skew widens the window.
func TestMaxClockSkewConfigurable(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Plain, cfg: func(c *Config) { c.MaxClockSkew = 15 * time.Minute }})
	status, body := h.do(h.pushAt(h.clock.now().Add(-10*time.Minute), wechatfake.Text("oSkew", 1, "hi")))
	if status != 200 {
		t.Fatalf("status %d (%q) with a 15m window", status, body)
	}
	status, _ = h.do(h.pushAt(h.clock.now().Add(-16*time.Minute), wechatfake.Text("oSkew", 2, "hi")))
	if status != 401 {
		t.Fatalf("status %d for a push 16m old with a 15m window", status)
	}
}

// TestEmptyTimestampOrNonceRefused: a valid signature over an empty
// timestamp or nonce is refused.
func TestEmptyTimestampOrNonceRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Plain})
	ts := strconv.FormatInt(h.clock.now().Unix(), 10)
	msg := h.pusher.XML(wechatfake.Text("oEmpty", 1, "hi"))
	for _, tc := range []struct{ name, ts, nonce string }{
		{"empty both", "", ""},
		{"empty nonce", ts, ""},
		{"empty timestamp", "", "123456"},
		{"timestamp not a number", "now", "123456"},
	} {
		q := url.Values{"timestamp": {tc.ts}, "nonce": {tc.nonce}, "signature": {wechatfake.Signature(testToken, tc.ts, tc.nonce)}}
		req, _ := http.NewRequest(http.MethodPost, h.url()+"?"+q.Encode(), bytes.NewReader(msg))
		if status, body := h.do(req); status != 401 {
			t.Errorf("%s: POST status %d (%q), want 401", tc.name, status, body)
		}
		q.Set("echostr", "42")
		req, _ = http.NewRequest(http.MethodGet, h.url()+"?"+q.Encode(), nil)
		if status, body := h.do(req); status != 401 {
			t.Errorf("%s: GET status %d (%q), want 401", tc.name, status, body)
		}
	}
	if n := h.messages(); n != 0 {
		t.Errorf("%d messages handled", n)
	}
}

// TestReplayedSignatureRefused is the attack of issue 14: in plaintext mode
// the signature does not cover the body, so a captured signed URL used with
// another body (another OpenID, another question) must be refused, while
// WeChat's own retry of the same push (same URL, same body) is acknowledged
// and not answered twice.
func TestReplayedSignatureRefused(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Plain})
	orig := h.pushAt(h.clock.now(), wechatfake.Text("oVictim", 1, "my order"))
	body := h.pusher.XML(wechatfake.Text("oVictim", 1, "my order"))
	orig = withBody(t, orig, body)
	if got := h.passive(h.do(orig)); got != "echo: my order" {
		t.Fatalf("original push answered %q", got)
	}
	// WeChat's retry: same URL and body. A duplicate: acknowledged only.
	h.acked(h.do(withBody(t, orig, body)))

	forged := h.pusher.XML(wechatfake.Text("oOtherUser", 2, "show my orders"))
	status, resp := h.do(withBody(t, orig, forged))
	if status != 401 {
		t.Fatalf("replayed signature with another body: %d %q, want 401", status, resp)
	}
	// Still refused a few minutes later, while the timestamp is in the window.
	h.clock.add(4 * time.Minute)
	if status, _ := h.do(withBody(t, orig, forged)); status != 401 {
		t.Fatalf("replay 4 minutes later: %d, want 401", status)
	}
	// And once the window is over, the timestamp refuses it.
	h.clock.add(2 * time.Minute)
	if status, _ := h.do(withBody(t, orig, forged)); status != 401 {
		t.Fatalf("replay 6 minutes later: %d, want 401", status)
	}
	if n := h.messages(); n != 1 {
		t.Errorf("%d messages handled, want 1", n)
	}
	mustContain(t, h.logs.String(), "already used")
}

// TestURLCheckSignatureNotReusable: the URL check's signed query (logged by
// proxies, shown in consoles) cannot be reused to post a message.
func TestURLCheckSignatureNotReusable(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Plain})
	get, err := h.pusher.Verify(context.Background(), h.url(), "echo123")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := h.do(get); status != 200 || string(body) != "echo123" {
		t.Fatalf("URL check: %d %q", status, body)
	}
	post, _ := http.NewRequest(http.MethodPost, get.URL.String(), bytes.NewReader(h.pusher.XML(wechatfake.Text("oX", 1, "hi"))))
	if status, body := h.do(post); status != 401 {
		t.Fatalf("POST with the URL check's signature: %d %q, want 401", status, body)
	}
	old, _ := h.pusher.Verify(context.Background(), h.url(), "echo123")
	h.clock.add(10 * time.Minute)
	if status, _ := h.do(old); status != 401 {
		t.Fatalf("URL check signed 10 minutes ago: %d, want 401", status)
	}
}

// TestReplayGuardBounded: a full guard refuses (fail closed) instead of
// forgetting, and frees expired entries.
func TestReplayGuardBounded(t *testing.T) {
	g := newReplayGuard(time.Minute, 2)
	now := time.Unix(1_800_000_000, 0)
	q := func(nonce string, at time.Time) url.Values {
		ts := strconv.FormatInt(at.Unix(), 10)
		return url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {wechatfake.Signature(testToken, ts, nonce)}}
	}
	for _, n := range []string{"1", "2"} {
		if err := g.admit(q(n, now), []byte("b"), now); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.admit(q("3", now), []byte("b"), now); !errors.Is(err, errReplayFull) {
		t.Fatalf("third entry: %v, want errReplayFull", err)
	}
	// A known triple with its body still passes when full.
	if err := g.admit(q("1", now), []byte("b"), now); err != nil {
		t.Fatalf("retry when full: %v", err)
	}
	later := now.Add(2 * time.Minute)
	if err := g.admit(q("3", later), []byte("b"), later); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := g.len(); n != 1 {
		t.Errorf("%d entries after the sweep, want 1", n)
	}
}

func TestConfigMaxClockSkew(t *testing.T) {
	base := Config{AppID: testAppID, AppSecret: testSecret, Token: testToken}
	for _, d := range []time.Duration{-time.Second, 25 * time.Hour} {
		c := base
		c.MaxClockSkew = d
		if err := c.Validate(); err == nil {
			t.Errorf("max_clock_skew %s accepted", d)
		}
	}
	if got := base.withDefaults().MaxClockSkew; got != DefaultMaxClockSkew {
		t.Errorf("default %s", got)
	}
}

// FuzzFreshness: the timestamp and nonce checks and the replay guard never
// panic, and a request they admit has a timestamp within the window.
func FuzzFreshness(f *testing.F) {
	f.Add("1409735669", "1320562132", "sig", []byte("<xml/>"))
	f.Add("", "", "", []byte{})
	f.Add("-9223372036854775808", "x", "y", []byte("b"))
	f.Add("99999999999999999999", "n", "s", []byte("b"))
	now := time.Unix(1409735669, 0)
	f.Fuzz(func(t *testing.T, ts, nonce, sig string, body []byte) {
		g := newReplayGuard(DefaultMaxClockSkew, 16)
		q := url.Values{"timestamp": {ts}, "nonce": {nonce}, "signature": {sig}}
		if err := checkFresh(q, now, DefaultMaxClockSkew); err != nil {
			return
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || nonce == "" {
			t.Fatalf("admitted timestamp %q nonce %q", ts, nonce)
		}
		if d := now.Sub(time.Unix(sec, 0)); d > DefaultMaxClockSkew || d < -DefaultMaxClockSkew {
			t.Fatalf("admitted a timestamp %s away", d)
		}
		if err := g.admit(q, body, now); err != nil {
			t.Fatalf("first use refused: %v", err)
		}
		if err := g.admit(q, append(body, 'x'), now); err == nil {
			t.Fatal("the same signature with another body was admitted")
		}
	})
}
