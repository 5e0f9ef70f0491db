package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/switchboard-gw/switchboard/core"
)

// chromiumPath returns the browser to drive, or skips the test when there is
// none, unless SWITCHBOARD_REQUIRE_BROWSER is set (CI), where it fails.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("SWITCHBOARD_REQUIRE_BROWSER") != "" {
		t.Fatal("chromium not found (install Debian's chromium); SWITCHBOARD_REQUIRE_BROWSER is set")
	}
	t.Skip("chromium not found: install it with `apt-get install -y chromium` to run the browser test")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and a phone-width
// window; it is stopped on cleanup.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(375, 812),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// hasMessage is a JS expression that is true when the log shows a settled
// (not pending) message from the author with exactly this text.
func hasMessage(from, text string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll('#log .msg.%s:not(.pending) .bubble')).some(e => e.textContent === %s)`,
		from, jsString(text))
}

// browserRun runs the steps, failing the test with what it was doing.
func browserRun(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitFor polls the JS expression until it is true.
func waitFor(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+expr+")",
		chromedp.WithPollingTimeout(20*time.Second), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('log').innerText`))
		t.Fatalf("waiting for %s: %v\nlog on the page:\n%s", what, err, html)
	}
}

func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// say types text into the page and submits it.
func say(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	browserRun(t, ctx, "type "+text,
		chromedp.SendKeys(chromedp.CSS("#input"), text),
		chromedp.Click(chromedp.CSS("#send")))
}

const tokenJS = `localStorage.getItem('switchboard.web.token') || ''`

// TestBrowserChat drives the real page in headless Chromium against the full
// stack (bolt store, engine, dispatcher, adapter).
func TestBrowserChat(t *testing.T) {
	s := newStack(t, Config{Branding: Branding{Title: "Acme help"}})
	browser := newBrowser(t)
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()

	browserRun(t, ctx, "open the page",
		chromedp.EmulateViewport(375, 812),
		chromedp.Navigate(s.srv.URL+"/"))
	waitFor(t, ctx, "the event stream", `document.getElementById('status').classList.contains('online')`)
	token := evalJS[string](t, ctx, tokenJS)
	if _, ok := decodeToken(token); !ok {
		t.Fatalf("page stored token %q", token)
	}
	key := conversationKey(hashToken(token))

	t.Run("question and answer", func(t *testing.T) {
		say(t, ctx, "what are your opening hours")
		waitFor(t, ctx, "the user's message", hasMessage("user", "what are your opening hours"))
		waitFor(t, ctx, "the bot's answer", hasMessage("bot", "you said: what are your opening hours"))
	})

	t.Run("no horizontal scroll at 375 px", func(t *testing.T) {
		long := strings.Repeat("overflow", 40) // one 320-character word
		say(t, ctx, long)
		waitFor(t, ctx, "the long answer", hasMessage("bot", "you said: "+long))
		type dims struct{ Inner, Doc, Body int }
		d := evalJS[dims](t, ctx, `({Inner: window.innerWidth, Doc: document.documentElement.scrollWidth, Body: document.body.scrollWidth})`)
		if d.Inner != 375 {
			t.Fatalf("viewport is %d px wide, want 375", d.Inner)
		}
		if d.Doc > d.Inner || d.Body > d.Inner {
			t.Fatalf("horizontal scroll: document %d px, body %d px, viewport %d px", d.Doc, d.Body, d.Inner)
		}
	})

	t.Run("typing indicator while waiting", func(t *testing.T) {
		typing := `getComputedStyle(document.getElementById('typing')).display !== 'none'`
		say(t, ctx, "slow")
		waitFor(t, ctx, "the typing indicator", typing)
		close(s.gate) // let the understander answer
		waitFor(t, ctx, "the slow answer", hasMessage("bot", "you said: slow"))
		waitFor(t, ctx, "the typing indicator to go", "!("+typing+")")
	})

	t.Run("quick replies", func(t *testing.T) {
		say(t, ctx, "menu")
		waitFor(t, ctx, "two quick-reply buttons", `document.querySelectorAll('#quick button').length === 2`)
		browserRun(t, ctx, "click the first quick reply", chromedp.Click(chromedp.CSS("#quick button")))
		waitFor(t, ctx, "the quick reply's answer", hasMessage("bot", "you said: Opening hours"))
		waitFor(t, ctx, "the buttons to go", `document.querySelectorAll('#quick button').length === 0`)
	})

	t.Run("agent message with name", func(t *testing.T) {
		r := core.Reply{ID: "agent-1", Key: key, From: core.AuthorAgent, AgentName: "Dana", Text: "Hi, Dana here."}
		if err := s.a.Send(ctx, r); err != nil {
			t.Fatalf("Send: %v", err)
		}
		waitFor(t, ctx, "the agent's message", hasMessage("agent", "Hi, Dana here."))
		who := evalJS[string](t, ctx, `document.querySelector('#log .msg.agent .who').textContent`)
		if who != "Dana" {
			t.Fatalf("agent label = %q, want Dana", who)
		}
	})

	t.Run("agent correction replaces the message", func(t *testing.T) {
		r := core.Reply{ID: "agent-1e", Key: key, From: core.AuthorAgent, AgentName: "Dana", Text: "Hi, Dana here, from returns.", Corrects: "agent-1"}
		if err := s.a.Send(ctx, r); err != nil {
			t.Fatalf("Send: %v", err)
		}
		waitFor(t, ctx, "the corrected message", hasMessage("agent", "Hi, Dana here, from returns."))
		got := evalJS[string](t, ctx, `(() => { const m = document.querySelectorAll('#log .msg.agent'); return m.length + '|' + m[0].querySelector('.meta').textContent; })()`)
		if !strings.HasPrefix(got, "1|") || !strings.HasSuffix(got, "edited") {
			t.Fatalf("after the correction: %q (want one agent message marked edited)", got)
		}
	})

	t.Run("reconnect fills the gap", func(t *testing.T) {
		dropStreams(s.a.hub, key.String())
		// Sent by another tab while this one is disconnected: only the
		// re-fetch after reconnecting can show the user's turn.
		s.post(t, token, "sent while offline", "")
		waitFor(t, ctx, "the missed message", hasMessage("user", "sent while offline"))
		waitFor(t, ctx, "the missed answer", hasMessage("bot", "you said: sent while offline"))
		dups := evalJS[int](t, ctx, `(() => { const ids = Array.from(document.querySelectorAll('#log .msg')).map(e => e.dataset.id); return ids.length - new Set(ids).size; })()`)
		if dups != 0 {
			t.Fatalf("%d duplicate messages on the page", dups)
		}
	})

	t.Run("reload continues the conversation", func(t *testing.T) {
		browserRun(t, ctx, "reload", chromedp.Reload())
		waitFor(t, ctx, "the history", hasMessage("bot", "you said: what are your opening hours"))
		if got := evalJS[string](t, ctx, tokenJS); got != token {
			t.Fatalf("token changed on reload: %q -> %q", token, got)
		}
	})

	t.Run("unknown token starts a new session", func(t *testing.T) {
		stale := randomToken(t)
		evalJS[any](t, ctx, `localStorage.setItem('switchboard.web.token', `+jsString(stale)+`)`)
		browserRun(t, ctx, "reload", chromedp.Reload())
		waitFor(t, ctx, "a new token", tokenJS+` !== `+jsString(stale)+` && `+tokenJS+` !== ''`)
		waitFor(t, ctx, "the event stream", `document.getElementById('status').classList.contains('online')`)
		fresh := evalJS[string](t, ctx, tokenJS)
		if fresh == token {
			t.Fatal("the page went back to the old session")
		}
		say(t, ctx, "fresh start")
		waitFor(t, ctx, "the answer in the new session", hasMessage("bot", "you said: fresh start"))
		if n := evalJS[int](t, ctx, `document.querySelectorAll('#log .msg').length`); n != 2 {
			t.Fatalf("new session shows %d messages, want 2", n)
		}
		if n := len(s.messages(t, fresh)); n != 2 {
			t.Fatalf("new session's transcript has %d messages, want 2", n)
		}
	})
}

// dropStreams closes every live event stream of the conversation, as a
// dropped connection would.
func dropStreams(h *hub, key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.subs[key] {
		h.closeLocked(s)
	}
	delete(h.subs, key)
}
