package web

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/switchboard-gw/switchboard/core"
)

//go:embed testdata/axe-core/axe.min.js
var axeSource string

// hostSite is a shop's own website on another origin, with the one-line
// widget snippet on each page. Its pages use aggressive global CSS, so that a
// style leak into the widget would show.
type hostSite struct {
	srv    *httptest.Server
	origin string // http://localhost:port: allowed in the tests
	other  string // http://127.0.0.1:port: the same server, an origin that is not allowed
	chat   atomic.Value
	logo   []byte
}

func newHostSite(t *testing.T) *hostSite {
	t.Helper()
	h := &hostSite{logo: testPNG(t, color.RGBA{255, 255, 255, 255})}
	h.chat.Store("")
	mux := http.NewServeMux()
	page := func(n int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Acme shop %[1]d</title>
<style>
  * { font-family: serif !important; }
  button { background: rgb(255, 0, 0) !important; border-radius: 0 !important; }
  div { color: rgb(0, 255, 0); }
  body { margin: 0; font-size: 20px; }
  header, main { padding: 1rem 2rem; }
  header { background: #111827; color: #fff; }
  main a { color: #1d4ed8; }
</style></head>
<body><header><strong>Acme shop</strong></header>
<main><h1>Page %[1]d</h1><p>Garden tools, delivered tomorrow.</p><p><a href="/page%[2]d">Go to page %[2]d</a></p></main>
<script src="%[3]s/widget.js" data-position="right" async></script>
</body></html>`, n, 3-n, h.chat.Load().(string))
		}
	}
	mux.HandleFunc("GET /page1", page(1))
	mux.HandleFunc("GET /page2", page(2))
	mux.HandleFunc("GET /landing", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>landing</title><p>opening hours: 9–18</p>`)
	})
	mux.HandleFunc("GET /logo.png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(h.logo)
	})
	// A page that tries to frame the chat directly, as a site that is not
	// allowed would.
	mux.HandleFunc("GET /framer", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><html lang="en"><title>framer</title>
<iframe title="chat" src="%s/?embed=1" onload="window.frameLoaded = true"></iframe>
<script src="%[1]s/widget.js" async></script></html>`, h.chat.Load().(string))
	})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	_, port, _ := net.SplitHostPort(h.srv.Listener.Addr().String())
	h.origin, h.other = "http://localhost:"+port, "http://127.0.0.1:"+port
	return h
}

// testPNG draws a 64×64 disc of colour c.
func testPNG(t *testing.T, c color.RGBA) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			if (x-32)*(x-32)+(y-32)*(y-32) < 30*30 {
				img.Set(x, y, c)
			}
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// widgetJS evaluates expr with W bound to the widget's shadow root.
func widgetJS(expr string) string {
	return `(() => { const host = document.getElementById('switchboard-widget'); if (!host) return null; const W = host.shadowRoot; return (` + expr + `); })()`
}

const (
	launcherShown = `!!W.querySelector('.launcher') && !W.querySelector('.launcher').hidden`
	panelOpen     = `!W.querySelector('.panel').hidden`
)

// attachFrame waits for the chat iframe (a cross-site iframe runs as its own
// target) whose URL starts with prefix and is not in skip, and returns a
// context that runs actions inside it. The frame context lives as long as
// ctx: it is not cancelled when a subtest that attached it ends.
func attachFrame(t *testing.T, ctx context.Context, prefix string, skip ...target.ID) (context.Context, target.ID) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatalf("list targets: %v", err)
		}
	next:
		for _, info := range infos {
			if info.Type != "iframe" || !strings.HasPrefix(info.URL, prefix) {
				continue
			}
			for _, s := range skip {
				if info.TargetID == s {
					continue next
				}
			}
			fctx, _ := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID)) // ends with ctx
			return fctx, info.TargetID
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no iframe target at %s", prefix)
	return nil, ""
}

// axeViolation is one failed axe-core rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// checkAxe injects axe-core into the context's document, runs it and fails
// the test on any serious or critical violation. It returns how many rules
// passed, so the caller can tell that axe really ran.
func checkAxe(t *testing.T, ctx context.Context, what string) int {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](axeSource+"\n;true")); err != nil {
		t.Fatalf("%s: inject axe-core: %v", what, err)
	}
	type result struct {
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
	}
	res, err := chromedp.Run(ctx, chromedp.Evaluate[result](
		`axe.run(document, {iframes: false}).then(r => ({violations: r.violations, passes: r.passes.length}))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: run axe-core: %v", what, err)
	}
	if res.Passes == 0 {
		t.Fatalf("%s: axe-core passed no rule; it did not check anything", what)
	}
	for _, v := range res.Violations {
		if v.Impact != "serious" && v.Impact != "critical" {
			t.Logf("%s: axe %s (%s): %s", what, v.ID, v.Impact, v.Help)
			continue
		}
		b, _ := json.Marshal(v.Nodes)
		t.Errorf("%s: axe %s (%s): %s\n%s", what, v.ID, v.Impact, v.Help, b)
	}
	return res.Passes
}

// emulateMedia sets media features such as prefers-color-scheme.
func emulateMedia(features ...*emulation.MediaFeature) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features})
		return err
	})
}

// screenshot saves a PNG of the context's page as name in the directory
// $SWITCHBOARD_SCREENSHOTS (default: the test's temporary directory) and
// checks that it is a real picture of the given width.
func screenshot(t *testing.T, ctx context.Context, name string, width int) {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s is not a PNG: %v", name, err)
	}
	if got := img.Bounds().Dx(); got != width {
		t.Fatalf("screenshot %s is %d px wide, want %d", name, got, width)
	}
	dir := os.Getenv("SWITCHBOARD_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatalf("save screenshot: %v", err)
	}
	t.Logf("screenshot: %s (%d bytes)", p, len(b))
}

// TestBrowserWidget drives widget.js on a shop's pages (another origin) in
// headless Chromium against the full stack.
func TestBrowserWidget(t *testing.T) {
	host := newHostSite(t)
	s := newStack(t, Config{Branding: Branding{
		Title: "Acme help", BotName: "Acme Bot", PrimaryColor: "#0f766e",
		Welcome:        map[string]string{"en": "Welcome to Acme! Ask me anything."},
		QuickReplies:   map[string][]string{"en": {"Opening hours"}},
		AllowedOrigins: []string{host.origin},
	}})
	host.chat.Store(s.srv.URL)
	chatPrefix := s.srv.URL + "/?embed=1"
	browser := newBrowser(t)
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()

	browserRun(t, ctx, "open the shop's first page",
		chromedp.EmulateViewport(1280, 800),
		chromedp.Navigate(host.origin+"/page1"))
	waitFor(t, ctx, "the launcher", widgetJS(launcherShown))

	t.Run("styles do not leak in", func(t *testing.T) {
		type look struct{ Background, Radius, Font string }
		got := evalJS[look](t, ctx, widgetJS(`(() => { const s = getComputedStyle(W.querySelector('.launcher')); return {Background: s.backgroundColor, Radius: s.borderTopLeftRadius, Font: s.fontFamily}; })()`))
		if got.Background != "rgb(15, 118, 110)" || got.Radius == "0px" || strings.Contains(got.Font, "serif") && !strings.Contains(got.Font, "sans") {
			t.Fatalf("the host page's CSS reached the launcher: %+v", got)
		}
		if n := evalJS[int](t, ctx, `document.querySelectorAll('style').length`); n != 1 {
			t.Fatalf("the widget added %d style elements to the host page, want only the page's own", n-1)
		}
	})

	var fctx context.Context
	var frameID target.ID
	t.Run("the launcher opens the chat by keyboard", func(t *testing.T) {
		fctx, frameID = attachFrame(t, ctx, chatPrefix)
		waitFor(t, fctx, "the chat page", `document.readyState === 'complete'`)
		if tok := evalJS[string](t, fctx, tokenJS); tok != "" {
			t.Fatalf("the closed widget started a session (%q); a visitor who never opens the chat should cost none", tok)
		}
		browserRun(t, ctx, "focus the launcher", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](widgetJS(`W.querySelector('.launcher').focus()`))(ctx, tg)
			return err
		}), chromedp.KeyEvent(kb.Enter))
		waitFor(t, ctx, "the panel", widgetJS(panelOpen))
		if got := evalJS[string](t, ctx, widgetJS(`W.querySelector('.launcher').getAttribute('aria-expanded')`)); got != "true" {
			t.Fatalf("aria-expanded = %q after opening", got)
		}
		waitFor(t, fctx, "the chat online", `document.getElementById('status').classList.contains('online')`)
		waitFor(t, fctx, "the welcome", `document.querySelector('#welcome .bubble').textContent === 'Welcome to Acme! Ask me anything.'`)
		waitFor(t, fctx, "the welcome's quick reply", `document.querySelector('#quick button') && document.querySelector('#quick button').textContent === 'Opening hours'`)
		waitFor(t, fctx, "focus in the message box", `document.activeElement && document.activeElement.id === 'input'`)
	})

	t.Run("a question is answered", func(t *testing.T) {
		say(t, fctx, "what are your opening hours")
		waitFor(t, fctx, "the bot's answer", hasMessage("bot", "you said: what are your opening hours"))
	})
	token := evalJS[string](t, fctx, tokenJS)
	key := conversationKey(hashToken(token))

	t.Run("screenshots", func(t *testing.T) {
		screenshot(t, ctx, "widget-desktop.png", 1280)
		checkAxe(t, ctx, "host page with the open widget")
		checkAxe(t, fctx, "chat inside the widget")
	})

	t.Run("the conversation survives a page navigation", func(t *testing.T) {
		browserRun(t, ctx, "go to the second page", chromedp.Navigate(host.origin+"/page2"))
		waitFor(t, ctx, "the launcher", widgetJS(launcherShown))
		waitFor(t, ctx, "the panel to stay open", widgetJS(panelOpen))
		fctx, frameID = attachFrame(t, ctx, chatPrefix, frameID)
		waitFor(t, fctx, "the earlier answer", hasMessage("bot", "you said: what are your opening hours"))
		if got := evalJS[string](t, fctx, tokenJS); got != token {
			t.Fatalf("the second page has another session: %q, want %q", got, token)
		}
	})

	t.Run("Escape closes the panel and focus returns to the launcher", func(t *testing.T) {
		browserRun(t, fctx, "focus the message box and press Escape",
			chromedp.Focus(chromedp.CSS("#input")), chromedp.KeyEvent(kb.Escape))
		waitFor(t, ctx, "the panel to close", widgetJS("!"+panelOpen))
		waitFor(t, ctx, "focus on the launcher", widgetJS(`W.activeElement === W.querySelector('.launcher')`))
	})

	link := host.origin + "/landing?x=1&y=2"
	t.Run("the unread badge counts an agent message", func(t *testing.T) {
		r := core.Reply{ID: "agent-1", Key: key, From: core.AuthorAgent, AgentName: "Dana",
			Text: "Hi, Dana here. See " + link + ". <script>window.pwned = 1</script>"}
		if err := s.a.Send(ctx, r); err != nil {
			t.Fatalf("Send: %v", err)
		}
		waitFor(t, ctx, "the badge", widgetJS(`!W.querySelector('.badge').hidden && W.querySelector('.badge').textContent === '1'`))
		if label := evalJS[string](t, ctx, widgetJS(`W.querySelector('.launcher').getAttribute('aria-label')`)); label != "Open chat (1 unread)" {
			t.Fatalf("launcher label = %q", label)
		}
	})

	t.Run("the agent's link is clickable and a script is text", func(t *testing.T) {
		browserRun(t, ctx, "open the panel", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](widgetJS(`W.querySelector('.launcher').click()`))(ctx, tg)
			return err
		}))
		waitFor(t, ctx, "the badge to clear", widgetJS(`W.querySelector('.badge').hidden`))
		waitFor(t, fctx, "the agent joined line", `Array.from(document.querySelectorAll('#log .sys')).some(e => e.textContent === 'Dana joined the conversation')`)
		type anchor struct{ Href, Rel, Target, Text string }
		a := evalJS[anchor](t, fctx, `(() => { const a = document.querySelector('#log .msg.agent .bubble a'); return a ? {Href: a.href, Rel: a.rel, Target: a.target, Text: a.textContent} : {}; })()`)
		if a.Href != link || a.Rel != "noopener noreferrer" || a.Target != "_blank" || a.Text != link {
			t.Fatalf("link = %+v, want %s with rel=noopener noreferrer", a, link)
		}
		text := evalJS[string](t, fctx, `document.querySelector('#log .msg.agent .bubble').textContent`)
		if !strings.HasSuffix(text, "<script>window.pwned = 1</script>") {
			t.Fatalf("agent message text = %q", text)
		}
		if n := evalJS[int](t, fctx, `document.querySelectorAll('#log script').length + (window.pwned ? 100 : 0)`); n != 0 {
			t.Fatal("a <script> in a message became an element or ran")
		}
		opened := chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return strings.HasPrefix(i.URL, host.origin+"/landing") })
		browserRun(t, fctx, "click the link", chromedp.Click(chromedp.CSS("#log .msg.agent .bubble a")))
		select {
		case <-opened:
		case <-time.After(10 * time.Second):
			t.Fatal("clicking the link opened no tab")
		}
	})

	t.Run("phone width", func(t *testing.T) {
		browserRun(t, ctx, "narrow the window", chromedp.EmulateViewport(375, 812))
		type box struct{ W, H float64 }
		b := evalJS[box](t, ctx, widgetJS(`(() => { const r = W.querySelector('.panel').getBoundingClientRect(); return {W: r.width, H: r.height}; })()`))
		if b.W != 375 || b.H != 812 {
			t.Fatalf("panel at 375 px is %v×%v, want the whole screen", b.W, b.H)
		}
		screenshot(t, ctx, "widget-375.png", 375)
	})

	t.Run("Escape on the launcher closes the panel", func(t *testing.T) {
		browserRun(t, ctx, "focus the launcher and press Escape", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](widgetJS(`W.querySelector('.launcher').focus()`))(ctx, tg)
			return err
		}), chromedp.KeyEvent(kb.Escape))
		waitFor(t, ctx, "the panel to close", widgetJS("!"+panelOpen))
	})

	t.Run("widget.js is small", func(t *testing.T) {
		status, h, body := s.do(t, http.MethodGet, "/widget.js", "", "", "")
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
			t.Fatalf("GET /widget.js = %d %s", status, h.Get("Content-Type"))
		}
		if n := gzipSize(t, body); n >= 15<<10 {
			t.Fatalf("widget.js is %d bytes gzipped, want < 15 KiB", n)
		} else {
			t.Logf("widget.js: %d bytes, %d gzipped", len(body), n)
		}
	})
}

// TestBrowserWidgetOriginNotAllowed checks that a site that is not in
// web.allowed_origins cannot frame the chat: the browser refuses the frame
// (CSP frame-ancestors), so the chat never loads and no launcher appears.
func TestBrowserWidgetOriginNotAllowed(t *testing.T) {
	host := newHostSite(t)
	s := newStack(t, Config{Branding: Branding{AllowedOrigins: []string{host.origin}}})
	host.chat.Store(s.srv.URL)
	browser := newBrowser(t)
	ctx, cancel := context.WithTimeout(browser, time.Minute)
	defer cancel()

	// The same page from the allowed origin loads the chat: the control.
	browserRun(t, ctx, "open the allowed page", chromedp.Navigate(host.origin+"/framer"))
	waitFor(t, ctx, "the frame", `window.frameLoaded === true`)
	waitFor(t, ctx, "the launcher on the allowed site", widgetJS(launcherShown))

	browserRun(t, ctx, "open the page of another origin", chromedp.Navigate(host.other+"/framer"))
	waitFor(t, ctx, "the frame's load event", `window.frameLoaded === true`)
	time.Sleep(500 * time.Millisecond) // a chat that loaded would have said "ready" by now
	if shown := evalJS[bool](t, ctx, widgetJS(launcherShown)); shown {
		t.Fatal("the launcher appeared on a site that is not allowed")
	}
	// The chat's origin is the same site as this page (127.0.0.1), so the
	// frame is in the page's process and in its frame tree.
	loaded, blocked := chatFrames(t, ctx, s.srv.URL)
	if loaded != 0 || blocked == 0 {
		t.Fatalf("frames of the chat on %s: %d loaded, %d blocked; want 0 loaded", host.other, loaded, blocked)
	}
}

// chatFrames counts the frames of the page whose document is from prefix
// (loaded) and those the browser refused to load from it (blocked).
func chatFrames(t *testing.T, ctx context.Context, prefix string) (loaded, blocked int) {
	t.Helper()
	tree, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (cdppage.GetFrameTreeResult, error) {
		return cdp.Call(ctx, tg, cdppage.GetFrameTree, cdp.Empty{})
	})
	if err != nil {
		t.Fatalf("frame tree: %v", err)
	}
	var walk func(*cdppage.FrameTree)
	walk = func(ft *cdppage.FrameTree) {
		if strings.HasPrefix(ft.Frame.URL, prefix) {
			loaded++
		}
		if strings.HasPrefix(ft.Frame.UnreachableURL, prefix) {
			blocked++
		}
		for _, c := range ft.ChildFrames {
			walk(c)
		}
	}
	walk(tree.FrameTree)
	return loaded, blocked
}

// TestBrowserPage checks the full page at "/": branding, the switch to
// Chinese UI strings, system lines, keyboard use, transcript download,
// ending a conversation, dark mode, reduced motion and axe-core.
func TestBrowserPage(t *testing.T) {
	host := newHostSite(t)
	avatar := filepath.Join(t.TempDir(), "bot.png")
	if err := os.WriteFile(avatar, testPNG(t, color.RGBA{37, 99, 235, 255}), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, Config{Branding: Branding{
		Title: "Acme help", BotName: "Acme Bot", PrimaryColor: "#0f766e", AvatarFile: avatar,
		LogoURL: host.origin + "/logo.png",
		Welcome: map[string]string{"en": "Welcome to Acme!", "zh": "欢迎光临 Acme！"},
		QuickReplies: map[string][]string{"en": {"Opening hours", "Track my order"},
			"zh": {"营业时间"}},
		Strings: map[string]map[string]string{"zh": {"send": "发出"}},
	}})
	browser := newBrowser(t)
	ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
	defer cancel()
	dl := t.TempDir()
	browserRun(t, ctx, "open the page",
		chromedp.EmulateViewport(375, 812),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
				Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dl})
			return err
		}),
		chromedp.Navigate(s.srv.URL+"/"))
	waitFor(t, ctx, "the event stream", `document.getElementById('status').classList.contains('online')`)

	t.Run("branding shows", func(t *testing.T) {
		type brand struct {
			Title, H1, Header, Send, Who, Welcome, Quick string
			Avatar, Logo                                 int
		}
		waitFor(t, ctx, "the images", `document.querySelector('#welcome img.avatar').naturalWidth > 0 && document.getElementById('logo').naturalWidth > 0`)
		got := evalJS[brand](t, ctx, `({Title: document.title, H1: document.querySelector('h1').textContent,
			Header: getComputedStyle(document.querySelector('header')).backgroundColor,
			Send: getComputedStyle(document.getElementById('send')).backgroundColor,
			Who: document.querySelector('#welcome .who').textContent,
			Welcome: document.querySelector('#welcome .bubble').textContent,
			Quick: Array.from(document.querySelectorAll('#quick button')).map(b => b.textContent).join('|'),
			Avatar: document.querySelector('#welcome img.avatar').naturalWidth,
			Logo: document.getElementById('logo').naturalWidth})`)
		want := brand{Title: "Acme help", H1: "Acme help", Header: "rgb(15, 118, 110)", Send: "rgb(15, 118, 110)",
			Who: "Acme Bot", Welcome: "Welcome to Acme!", Quick: "Opening hours|Track my order", Avatar: 64, Logo: 64}
		if got != want {
			t.Fatalf("branding:\n got %+v\nwant %+v", got, want)
		}
		screenshot(t, ctx, "page-375.png", 375)
	})

	t.Run("axe-core light and dark", func(t *testing.T) {
		checkAxe(t, ctx, "page (light)")
		browserRun(t, ctx, "dark mode", emulateMedia(&emulation.MediaFeature{Name: "prefers-color-scheme", Value: "dark"}))
		if bg := evalJS[string](t, ctx, `getComputedStyle(document.querySelector('.app')).backgroundColor`); bg != "rgb(26, 29, 36)" {
			t.Fatalf("dark mode panel background = %s", bg)
		}
		checkAxe(t, ctx, "page (dark)")
		browserRun(t, ctx, "light mode", emulateMedia())
	})

	t.Run("keyboard only", func(t *testing.T) {
		browserRun(t, ctx, "start from the top", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`document.activeElement && document.activeElement.blur()`)(ctx, tg)
			return err
		}))
		var order []string
		for range 12 {
			browserRun(t, ctx, "Tab", chromedp.KeyEvent(kb.Tab))
			id := evalJS[string](t, ctx, `document.activeElement.id || document.activeElement.textContent`)
			order = append(order, id)
			if id == "input" {
				break
			}
		}
		if order[len(order)-1] != "input" {
			t.Fatalf("Tab never reached the message box: %q", order)
		}
		for _, want := range []string{"sound", "download", "end", "scroller", "Opening hours"} {
			if !strings.Contains(strings.Join(order, " "), want) {
				t.Errorf("Tab order %q misses %s", order, want)
			}
		}
		browserRun(t, ctx, "type and press Enter", chromedp.KeyEvent("hello by keyboard"), chromedp.KeyEvent(kb.Enter))
		waitFor(t, ctx, "the answer", hasMessage("bot", "you said: hello by keyboard"))
	})

	t.Run("a script in a message is text", func(t *testing.T) {
		say(t, ctx, `<img src=x onerror="window.pwned=1"><script>window.pwned=1</script>`)
		waitFor(t, ctx, "the echo", hasMessage("bot", `you said: <img src=x onerror="window.pwned=1"><script>window.pwned=1</script>`))
		if n := evalJS[int](t, ctx, `document.querySelectorAll('#log script, #log img:not(.avatar)').length + (window.pwned ? 100 : 0)`); n != 0 {
			t.Fatalf("markup in a message became elements or ran (%d)", n)
		}
	})

	t.Run("a 1 to 5 rating shows as stars", func(t *testing.T) {
		say(t, ctx, "rate us")
		waitFor(t, ctx, "five stars", `document.querySelectorAll('#quick .star').length === 5`)
		if got := evalJS[string](t, ctx, `document.querySelectorAll('#quick .star')[2].getAttribute('aria-label')`); got != "3 of 5 stars" {
			t.Fatalf("third star's label = %q", got)
		}
		checkAxe(t, ctx, "page with the rating")
		browserRun(t, ctx, "choose three stars", chromedp.Click(chromedp.CSS("#quick .star:nth-child(3)")))
		waitFor(t, ctx, "the rating sent", hasMessage("bot", "you said: 3"))
		waitFor(t, ctx, "the stars to go", `document.querySelectorAll('#quick .star').length === 0`)
	})

	token := evalJS[string](t, ctx, tokenJS)
	key := conversationKey(hashToken(token))
	t.Run("Chinese conversation switches the UI to Chinese", func(t *testing.T) {
		say(t, ctx, "你好，请问营业时间？")
		waitFor(t, ctx, "the answer", hasMessage("bot", "you said: 你好，请问营业时间？"))
		waitFor(t, ctx, "Chinese UI", `document.documentElement.lang === 'zh'`)
		type ui struct{ Send, Placeholder, Status, Welcome, Label string }
		got := evalJS[ui](t, ctx, `({Send: document.getElementById('send').textContent, Placeholder: document.getElementById('input').placeholder,
			Status: document.getElementById('status').textContent, Welcome: document.querySelector('#welcome .bubble').textContent,
			Label: document.getElementById('download').getAttribute('aria-label')})`)
		want := ui{Send: "发出", Placeholder: "请输入消息…", Status: "在线", Welcome: "欢迎光临 Acme！", Label: "下载聊天记录"}
		if got != want {
			t.Fatalf("UI strings:\n got %+v\nwant %+v", got, want)
		}
	})

	t.Run("agent joined and back with the bot", func(t *testing.T) {
		for _, r := range []core.Reply{
			{ID: "agent-1", Key: key, From: core.AuthorAgent, AgentName: "Dana", Text: "您好，我是 Dana。"},
			{ID: "bot-back", Key: key, From: core.AuthorBot, Text: "您现在由机器人继续为您服务。"},
		} {
			if err := s.a.Send(ctx, r); err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
		waitFor(t, ctx, "the system lines", `Array.from(document.querySelectorAll('#log .sys')).map(e => e.textContent).join('|') === 'Dana 已加入对话|现在由 Acme Bot 继续为您服务'`)
	})

	t.Run("reduced motion", func(t *testing.T) {
		browserRun(t, ctx, "prefer reduced motion", emulateMedia(&emulation.MediaFeature{Name: "prefers-reduced-motion", Value: "reduce"}))
		if got := evalJS[string](t, ctx, `getComputedStyle(document.querySelector('#typing .dot')).animationName`); got != "none" {
			t.Fatalf("typing animation = %q with reduced motion", got)
		}
		browserRun(t, ctx, "reset", emulateMedia())
	})

	t.Run("transcript download", func(t *testing.T) {
		browserRun(t, ctx, "click download", chromedp.Click(chromedp.CSS("#download")))
		var text string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && text == ""; time.Sleep(50 * time.Millisecond) {
			files, _ := filepath.Glob(filepath.Join(dl, "conversation-*.txt"))
			if len(files) == 1 {
				b, _ := os.ReadFile(files[0])
				text = string(b)
			}
		}
		for _, want := range []string{"Acme help\n", "] 我: hello by keyboard\n", "] Acme Bot: you said: hello by keyboard\n", "] Dana: 您好，我是 Dana。\n", "— Dana 已加入对话 —"} {
			if !strings.Contains(text, want) {
				t.Fatalf("transcript misses %q:\n%s", want, text)
			}
		}
	})

	t.Run("sound is opt-in", func(t *testing.T) {
		if got := evalJS[string](t, ctx, `document.getElementById('sound').getAttribute('aria-pressed')`); got != "false" {
			t.Fatalf("sound is %s before the customer asked", got)
		}
		browserRun(t, ctx, "turn the sound on", chromedp.Click(chromedp.CSS("#sound")))
		if got := evalJS[string](t, ctx, `document.getElementById('sound').getAttribute('aria-pressed') + localStorage.getItem('switchboard.web.sound')`); got != "true1" {
			t.Fatalf("sound toggle = %s", got)
		}
	})

	t.Run("conversation ended, start a new one", func(t *testing.T) {
		browserRun(t, ctx, "end", chromedp.Click(chromedp.CSS("#end")))
		waitFor(t, ctx, "the ended notice", `!document.getElementById('ended').hidden && document.getElementById('ended-text').textContent === '对话已结束。'`)
		waitFor(t, ctx, "focus on the restart button", `document.activeElement.id === 'restart'`)
		if n := evalJS[int](t, ctx, `document.querySelectorAll('#log .msg').length`); n != 0 {
			t.Fatalf("%d messages still shown after ending", n)
		}
		browserRun(t, ctx, "start again", chromedp.Click(chromedp.CSS("#restart")))
		waitFor(t, ctx, "a new session", tokenJS+` !== '' && `+tokenJS+` !== `+jsString(token))
		waitFor(t, ctx, "the browser's language again", `document.documentElement.lang === 'en' && document.querySelector('#welcome .bubble').textContent === 'Welcome to Acme!'`)
		waitFor(t, ctx, "the event stream", `document.getElementById('status').classList.contains('online')`)
		say(t, ctx, "new start")
		waitFor(t, ctx, "the answer", hasMessage("bot", "you said: new start"))
		if n := evalJS[int](t, ctx, `document.querySelectorAll('#log .msg').length`); n != 2 {
			t.Fatalf("the new conversation shows %d messages, want 2", n)
		}
	})
}

// TestBrowserPrechat checks the pre-chat form in a browser set to Chinese:
// the UI starts in the browser's language, the fields are required, the name
// and e-mail reach the conversation (what the agent's case shows), and the UI
// switches to English when the conversation turns out to be English.
func TestBrowserPrechat(t *testing.T) {
	s := newStack(t, Config{Branding: Branding{Prechat: []string{"name", "email"}}})
	browser := newBrowser(t)
	ctx, cancel := context.WithTimeout(browser, time.Minute)
	defer cancel()
	browserRun(t, ctx, "open the page in a Chinese browser",
		chromedp.EmulateViewport(375, 812),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			ua, err := chromedp.Evaluate[string](`navigator.userAgent`)(ctx, tg)
			if err != nil {
				return err
			}
			_, err = cdp.Call(ctx, tg, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua, AcceptLanguage: "zh-CN,zh"})
			return err
		}),
		chromedp.Navigate(s.srv.URL+"/"))
	waitFor(t, ctx, "the pre-chat form", `!document.getElementById('prechat').hidden && document.getElementById('form').hidden`)
	type ui struct{ Lang, Intro, Name, Welcome string }
	got := evalJS[ui](t, ctx, `({Lang: document.documentElement.lang, Intro: document.getElementById('prechat-intro').textContent,
		Name: document.getElementById('prechat-name-label').textContent, Welcome: document.querySelector('#welcome .bubble').textContent})`)
	if want := (ui{"zh", "开始之前，请告诉我们您的称呼。", "您的姓名", "您好！请问有什么可以帮您？"}); got != want {
		t.Fatalf("UI in a Chinese browser:\n got %+v\nwant %+v", got, want)
	}
	browserRun(t, ctx, "submit it empty", chromedp.Click(chromedp.CSS("#prechat-start")))
	waitFor(t, ctx, "the error", `document.getElementById('prechat-error').textContent === '请填写所有字段。' && document.getElementById('form').hidden`)
	checkAxe(t, ctx, "pre-chat form")
	browserRun(t, ctx, "fill it in",
		chromedp.SendKeys(chromedp.CSS("#prechat-name"), "Ana Li"),
		chromedp.SendKeys(chromedp.CSS("#prechat-email"), "ana@example.com"),
		chromedp.Click(chromedp.CSS("#prechat-start")))
	waitFor(t, ctx, "the message box", `!document.getElementById('form').hidden && document.activeElement.id === 'input'`)
	say(t, ctx, "hello")
	waitFor(t, ctx, "the answer", hasMessage("bot", "you said: hello"))
	waitFor(t, ctx, "English UI for an English conversation", `document.documentElement.lang === 'en' && document.getElementById('send').textContent === 'Send'`)
	key := conversationKey(hashToken(evalJS[string](t, ctx, tokenJS)))
	st, _, err := s.st.Load(ctx, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.UserName != "Ana Li <ana@example.com>" {
		t.Fatalf("conversation user name = %q", st.UserName)
	}
}
