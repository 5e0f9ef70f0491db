package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
	wxfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// AttackOptions configure RunAttacks.
type AttackOptions struct {
	// Serve starts the in-process gateway (required).
	Serve ServeFunc
	// Dir is where the working directory (store, log, bot) is created;
	// empty means the system's temporary directory. It is removed after.
	Dir string
}

// Attack is the outcome of one attack of issue 14's list.
type Attack struct {
	Name    string `json:"name"`
	Refused bool   `json:"refused"`
	Detail  string `json:"detail"`
}

// AttackReport is what RunAttacks found.
type AttackReport struct {
	Attacks []Attack `json:"attacks"`
}

// Problems lists the attacks that were not refused.
func (r *AttackReport) Problems() []string {
	var out []string
	for _, a := range r.Attacks {
		if !a.Refused {
			out = append(out, fmt.Sprintf("attack not refused: %s (%s)", a.Name, a.Detail))
		}
	}
	return out
}

// WriteTable prints one line per attack.
func (r *AttackReport) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-40s %-8s %s\n", "attack", "result", "detail")
	for _, a := range r.Attacks {
		res := "REFUSED"
		if !a.Refused {
			res = "ACCEPTED"
		}
		fmt.Fprintf(&b, "%-40s %-8s %s\n", a.Name, res, a.Detail)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as JSON.
func (r *AttackReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// attackBot is the bot of the attack gateway: a greeting, and a flow whose
// action is the redirecting URL (allowed to be private: everything here is
// on the loopback, and what is tested is the redirect).
const attackBot = `fallback: {en: "Sorry?"}
intents:
  - name: hello
    examples: {en: [hello, hi, good morning, hey there, hi there, hello bot]}
    responses: {en: "Hello!"}
  - name: track
    examples: {en: [track my order, where is my order, order status, track order, where is my parcel, has my order shipped]}
flows:
  - name: track
    intent: track
    slots:
      - name: order
        entity: number
        prompt: {en: "Which order number?"}
    action:
      url: %s
      secret: attack-bench-secret
      allow_private: true
      timeout: 3s
      error_response: {en: "ACTION FAILED"}
`

// attackGateway is the gateway under attack and what the attacks need.
type attackGateway struct {
	base, store, adminToken string
	pusher                  wxfake.Pusher
	client                  *http.Client
	redirects, leaks        atomic.Int64 // calls of the redirecting action, and of its target
	cfg                     *config.Config
}

// RunAttacks starts a gateway with the default limits (web chat, WeChat in
// plaintext mode against a fake API, an admin token, a flow action that
// redirects) and tries each attack of issue 14's "Done when" list: a WeChat
// push signed 10 minutes ago, a replayed WeChat signature, 3,000 sessions
// from one client, 300 event streams from one client, 1,000 messages from
// one token, a redirecting action URL, 100 wrong admin tokens. It returns an
// error only when the bench could not run.
func RunAttacks(ctx context.Context, o AttackOptions) (*AttackReport, error) {
	if o.Serve == nil {
		return nil, errors.New("bench: RunAttacks needs Serve")
	}
	dir, err := os.MkdirTemp(o.Dir, "switchboard-attacks-*")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)

	g := &attackGateway{client: &http.Client{Timeout: 10 * time.Second}}
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		g.leaks.Add(1)
		io.WriteString(w, `{"text":"INTERNAL DATA"}`)
	}))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.redirects.Add(1)
		http.Redirect(w, r, target.URL+"/latest/meta-data", http.StatusFound)
	}))
	defer redirector.Close()
	appSecret := randomString(32, alnum)
	wx := wxfake.NewServer(wxfake.Options{AppID: "wxattack0000000001", AppSecret: appSecret})
	defer wx.Close()

	botDir := filepath.Join(dir, "bot")
	if err := os.MkdirAll(botDir, 0o700); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(botDir, "bot.yaml"), fmt.Appendf(nil, attackBot, redirector.URL+"/hook"), 0o600); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	cfg, err := config.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	g.store = filepath.Join(dir, "switchboard.db")
	g.adminToken = randomString(40, urlSafe)
	token := randomString(16, alnum)
	cfg.Server.Addr, cfg.Server.AdminToken, cfg.Store.Path, cfg.Bot.Intents = "127.0.0.1:0", g.adminToken, g.store, botDir
	cfg.Handoff.AfterFallbacks, cfg.Handoff.OnNegativeSentiment = 0, false
	cfg.WeChat = config.WeChat{Enabled: true, AppID: "wxattack0000000001", AppSecret: appSecret, Token: token,
		APIURL: wx.URL, MaxClockSkew: cfg.WeChat.MaxClockSkew}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bench: attack gateway configuration: %w", err)
	}
	g.cfg = cfg
	g.pusher = wxfake.Pusher{Token: token, AppID: cfg.WeChat.AppID, Mode: wxfake.Plain}

	logFile, err := os.Create(filepath.Join(dir, "gateway.log"))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer logFile.Close()
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	ready := make(chan string, 1)
	go func() { done <- o.Serve(sctx, cfg, slog.New(slog.NewJSONHandler(logFile, nil)), ready) }()
	defer func() { stop(); <-done }()
	select {
	case addr := <-ready:
		g.base = "http://" + addr
	case err := <-done:
		return nil, fmt.Errorf("bench: the attack gateway did not start: %w", err)
	case <-time.After(time.Minute):
		return nil, errors.New("bench: the attack gateway did not start within a minute")
	}

	rep := &AttackReport{}
	for _, a := range []func(context.Context) Attack{
		g.wechatStale, g.wechatReplay, g.manyStreams, g.manyMessages, g.redirectingAction, g.wrongAdminTokens, g.manySessions,
	} {
		if ctx.Err() != nil {
			break
		}
		rep.Attacks = append(rep.Attacks, a(ctx))
	}
	return rep, nil
}

func (g *attackGateway) do(req *http.Request) (int, http.Header, []byte, error) {
	resp, err := g.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, resp.Header, b, err
}

func (g *attackGateway) session(ctx context.Context) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/api/web/session", nil)
	status, _, body, err := g.do(req)
	if err != nil || status != http.StatusCreated {
		return "", fmt.Errorf("create a session: %d %s %v", status, body, err)
	}
	var s struct{ Token string }
	if err := json.Unmarshal(body, &s); err != nil {
		return "", err
	}
	return s.Token, nil
}

func (g *attackGateway) post(ctx context.Context, token, text, clientID string) (int, http.Header) {
	b, _ := json.Marshal(map[string]string{"text": text, "client_id": clientID})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/api/web/messages", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	status, h, _, _ := g.do(req)
	return status, h
}

func (g *attackGateway) transcript(ctx context.Context, token string) string {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/api/web/messages", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	_, _, body, _ := g.do(req)
	return string(body)
}

// wechatStale: a genuine push, signed by WeChat 10 minutes ago.
func (g *attackGateway) wechatStale(ctx context.Context) Attack {
	a := Attack{Name: "WeChat push signed 10 minutes ago"}
	p := g.pusher
	p.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	req, err := p.Push(ctx, g.base+"/webhooks/wechat", wxfake.Text("oAttackStale0000000000001", 1, "hello"))
	if err != nil {
		a.Detail = err.Error()
		return a
	}
	status, _, _, err := g.do(req)
	a.Refused = err == nil && status == http.StatusUnauthorized
	a.Detail = fmt.Sprintf("status %d (wechat.max_clock_skew %s)", status, g.cfg.WeChat.MaxClockSkew)
	return a
}

// wechatReplay: a signed plaintext push, then its signed URL with another
// body (another OpenID asking for its orders).
func (g *attackGateway) wechatReplay(ctx context.Context) Attack {
	a := Attack{Name: "replayed WeChat signature"}
	req, err := g.pusher.Push(ctx, g.base+"/webhooks/wechat", wxfake.Text("oAttackVictim000000000001", 2, "hello"))
	if err != nil {
		a.Detail = err.Error()
		return a
	}
	url := req.URL.String()
	first, _, _, _ := g.do(req)
	forged, _ := http.NewRequestWithContext(ctx, http.MethodPost, url,
		bytes.NewReader(g.pusher.XML(wxfake.Text("oAttackOther0000000000001", 3, "track my order"))))
	status, _, _, err := g.do(forged)
	a.Refused = first == http.StatusOK && err == nil && status == http.StatusUnauthorized
	a.Detail = fmt.Sprintf("original %d, same signed URL with another body %d", first, status)
	return a
}

// manySessions: 3,000 sessions from one client address.
func (g *attackGateway) manySessions(ctx context.Context) Attack {
	a := Attack{Name: "3,000 sessions from one client"}
	before := fileSize(g.store)
	created, throttled, retryAfter := 0, 0, ""
	for range 3000 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.base+"/api/web/session", nil)
		status, h, _, err := g.do(req)
		switch {
		case err != nil:
			a.Detail = err.Error()
			return a
		case status == http.StatusCreated:
			created++
		case status == http.StatusTooManyRequests:
			throttled++
			retryAfter = h.Get("Retry-After")
		}
	}
	grown := fileSize(g.store) - before
	a.Refused = grown < 64<<10 || (throttled > 0 && retryAfter != "")
	a.Detail = fmt.Sprintf("%d created, %d answered 429 (Retry-After %ss), store grew %d bytes", created, throttled, retryAfter, grown)
	return a
}

// manyStreams: 300 event streams from one client address over a few sessions.
func (g *attackGateway) manyStreams(ctx context.Context) Attack {
	a := Attack{Name: "300 SSE streams from one client"}
	var tokens []string
	for range 5 {
		t, err := g.session(ctx)
		if err != nil {
			a.Detail = err.Error()
			return a
		}
		tokens = append(tokens, t)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		live     atomic.Int64
		wg       sync.WaitGroup
	)
	streams := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 300}}
	for i := range 300 {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(sctx, http.MethodGet, g.base+"/api/web/events", nil)
			req.Header.Set("Authorization", "Bearer "+tokens[i%len(tokens)])
			resp, err := streams.Do(req)
			if err != nil {
				return
			}
			defer resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
			if resp.StatusCode != http.StatusOK {
				return
			}
			live.Add(1)
			defer live.Add(-1)
			r := bufio.NewReader(resp.Body)
			for {
				if _, err := r.ReadString('\n'); err != nil {
					return // ended by the server (the session's oldest stream) or by cancel
				}
			}
		})
	}
	time.Sleep(2 * time.Second)
	open := live.Load()
	cancel()
	wg.Wait()
	limit := int64(g.cfg.Web.MaxStreamsPerClient)
	a.Refused = open <= limit
	a.Detail = fmt.Sprintf("statuses %v, %d still open after 2 s (web.max_streams_per_client %d, per session %d)",
		statuses, open, limit, g.cfg.Web.MaxStreamsPerSession)
	return a
}

// manyMessages: 1,000 messages as fast as possible from one session token.
func (g *attackGateway) manyMessages(ctx context.Context) Attack {
	a := Attack{Name: "1,000 messages from one token"}
	tok, err := g.session(ctx)
	if err != nil {
		a.Detail = err.Error()
		return a
	}
	start := time.Now()
	accepted, limited, retryAfter := 0, 0, ""
	for i := range 1000 {
		status, h := g.post(ctx, tok, "hello", fmt.Sprint("flood-", i))
		switch status {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
			limited++
			retryAfter = h.Get("Retry-After")
		}
	}
	took := time.Since(start)
	l := g.cfg.Limits
	allowed := l.Burst + int(float64(l.Messages)*took.Seconds()/l.Per.Seconds()) + 1
	a.Refused = limited > 0 && retryAfter != "" && accepted <= allowed
	a.Detail = fmt.Sprintf("%d accepted, %d answered 429 (Retry-After %ss) in %s; limit %d per %s, burst %d",
		accepted, limited, retryAfter, took.Round(time.Millisecond), l.Messages, l.Per, l.Burst)
	return a
}

// redirectingAction: a flow whose action answers 302 to an internal URL.
func (g *attackGateway) redirectingAction(ctx context.Context) Attack {
	a := Attack{Name: "redirecting action URL"}
	tok, err := g.session(ctx)
	if err != nil {
		a.Detail = err.Error()
		return a
	}
	g.post(ctx, tok, "track my order", "a1")
	g.post(ctx, tok, "12345", "a2")
	var tr string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if tr = g.transcript(ctx, tok); strings.Contains(tr, "ACTION FAILED") || strings.Contains(tr, "INTERNAL DATA") {
			break
		}
	}
	redirects, leaks := g.redirects.Load(), g.leaks.Load()
	a.Refused = redirects > 0 && leaks == 0 && !strings.Contains(tr, "INTERNAL DATA") && strings.Contains(tr, "ACTION FAILED")
	a.Detail = fmt.Sprintf("action called %d times, redirect target %d times; customer saw the error response: %v",
		redirects, leaks, strings.Contains(tr, "ACTION FAILED"))
	return a
}

// wrongAdminTokens: 100 guesses of the admin token from one address.
func (g *attackGateway) wrongAdminTokens(ctx context.Context) Attack {
	a := Attack{Name: "100 wrong admin tokens"}
	codes := map[int]int{}
	for i := range 100 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/admin/outbox", nil)
		req.Header.Set("Authorization", "Bearer "+randomString(1+i%40, alnum))
		status, _, _, err := g.do(req)
		if err != nil {
			a.Detail = err.Error()
			return a
		}
		codes[status]++
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, g.base+"/admin/outbox", nil)
	req.Header.Set("Authorization", "Bearer "+g.adminToken)
	right, _, _, _ := g.do(req)
	a.Refused = codes[http.StatusOK] == 0 && codes[http.StatusTooManyRequests] > 0
	a.Detail = fmt.Sprintf("statuses %v; then the right token from the same address: %d", codes, right)
	return a
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
