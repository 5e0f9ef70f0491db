package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/internal/config"
)

// The end-to-end tests, which run the real serve, are in the repository
// root (benchcmd_test.go): this package cannot import package main.

func TestPercentiles(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	thousand := make([]int, 1000)
	for i := range thousand {
		thousand[i] = 1000 - i // reversed: percentiles sorts
	}
	tests := []struct {
		name string
		in   []time.Duration
		want pcts
	}{
		{"empty", nil, pcts{}},
		{"one", ms(7), pcts{7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond}},
		{"nearest rank", ms(4, 1, 3, 2), pcts{2 * time.Millisecond, 4 * time.Millisecond, 4 * time.Millisecond}},
		{"thousand", ms(thousand...), pcts{500 * time.Millisecond, 990 * time.Millisecond, 999 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentiles(tt.in); got != tt.want {
				t.Fatalf("percentiles = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestTracker checks the matching: by chat for unique chats, by reference
// (also for a reply that arrives before its reference is known), and the
// lost, duplicated and unmatched counts that follow.
func TestTracker(t *testing.T) {
	tr := newTracker()
	t0 := time.Now()
	msg := func(p, conv string, acked bool, unique bool) *message {
		m := &message{platform: p, conv: conv, start: t0, acked: acked, ackAt: t0, attempts: 1}
		tr.add(m, unique)
		return m
	}
	tg := msg(Telegram, "42", true, true)
	lost := msg(Telegram, "43", true, true)
	dup := msg(Slack, "D1", true, true)
	parts := msg(Slack, "D2", true, true)
	web := msg(Web, "session", true, false)
	failed := msg(Web, "session", false, false)

	tr.record(reply{platform: Telegram, conv: "42", text: "a", at: t0.Add(30 * time.Millisecond)})
	tr.record(reply{platform: Slack, conv: "D1", text: "b", at: t0.Add(10 * time.Millisecond)})
	tr.record(reply{platform: Slack, conv: "D1", text: "b", at: t0.Add(20 * time.Millisecond)})
	tr.record(reply{platform: Slack, conv: "D2", text: "part 1", at: t0.Add(10 * time.Millisecond)})
	tr.record(reply{platform: Slack, conv: "D2", text: "part 2", at: t0.Add(10 * time.Millisecond)})
	tr.record(reply{platform: Web, ref: "w1", text: "c", at: t0.Add(5 * time.Millisecond)}) // before its POST was answered
	tr.record(reply{platform: Telegram, conv: "999", text: "nobody's"})
	tr.addRef(web, "w1")

	if n := tr.unanswered(); n != 1 {
		t.Errorf("unanswered = %d, want 1 (the lost one)", n)
	}
	if len(tr.orphans) != 1 {
		t.Errorf("orphans %+v, want only the reply to chat 999", tr.orphans)
	}
	for m, want := range map[*message]bool{tg: false, lost: false, dup: true, parts: false, web: false, failed: false} {
		if got := m.duplicated(); got != want {
			t.Errorf("%s %s duplicated = %v, want %v", m.platform, m.conv, got, want)
		}
	}
	rs := rows([]string{Web, Slack, Telegram}, tr.messages, time.Second)
	want := []struct{ sent, acked, errors, answered, lost, dup int }{
		{2, 1, 1, 1, 0, 0}, // web
		{2, 2, 0, 2, 0, 1}, // slack
		{2, 2, 0, 1, 1, 0}, // telegram
		{6, 5, 1, 4, 1, 1}, // total
	}
	for i, w := range want {
		r := rs[i]
		if got := (struct{ sent, acked, errors, answered, lost, dup int }{r.Sent, r.Acked, r.Errors, r.Answered, r.Lost, r.Duplicated}); got != w {
			t.Errorf("%s row = %+v, want %+v", r.Platform, got, w)
		}
	}
	if rs[2].ReplyP50 != Millis(30*time.Millisecond) || rs[3].PerSec != 5 {
		t.Errorf("telegram reply p50 %v, total %v msgs/s; want 30ms and 5", rs[2].ReplyP50, rs[3].PerSec)
	}
}

func TestScanLog(t *testing.T) {
	token := "123456:" + randomString(35, urlSafe)
	log := strings.Join([]string{
		`{"msg":"bot ready","bot_id":123456}`,
		`{"msg":"send failed","url":"https://api.telegram.org/bot` + token + `/sendMessage"}`,
		`{"msg":"escaped","q":"` + url.QueryEscape(token) + `"}`,
		`{"msg":"short secrets are not searched","v":"abc"}`,
		strings.Repeat("x", 3<<20), // a line longer than the reader's buffer
	}, "\n")
	path := filepath.Join(t.TempDir(), "gateway.log")
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	leaks, lines, err := scanLog(path, []secret{{"telegram.token", token}, {"short", "abc"}, {"absent", randomString(32, alnum)}})
	if err != nil {
		t.Fatal(err)
	}
	if lines != 5 {
		t.Errorf("lines = %d, want 5", lines)
	}
	want := []Leak{{Secret: "telegram.token", Count: 2, Line: 2}}
	if !slices.Equal(leaks, want) {
		t.Errorf("leaks = %+v, want %+v", leaks, want)
	}
}

func TestProbeFsync(t *testing.T) {
	f, err := probeFsync(t.TempDir(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if f.Samples != 10 || f.P50 <= 0 || f.P99 < f.P50 || f.SyncsPerSec <= 0 || f.CommitsPerSec != f.SyncsPerSec/2 {
		t.Fatalf("probe = %+v", f)
	}
	if entries, _ := os.ReadDir(f.Dir); len(entries) != 0 {
		t.Fatalf("the probe left %d files behind", len(entries))
	}
}

// TestSlowEdge checks that the edge delays and fails sends only, at about
// the asked rate.
func TestSlowEdge(t *testing.T) {
	for _, tt := range []struct {
		rate       float64
		min, max   int64
		wantStatus int
	}{
		{0, 0, 0, http.StatusOK},
		{1, 200, 200, http.StatusTooManyRequests},
		{0.5, 60, 140, 0},
	} {
		t.Run(fmt.Sprint(tt.rate), func(t *testing.T) {
			e := newSlowEdge(Options{SlowPlatform: true, SlowRate: tt.rate, SlowLatency: time.Millisecond},
				func(r *http.Request) bool { return r.URL.Path == "/send" },
				func(w http.ResponseWriter, _ *http.Request) bool { write429(w); return true })
			e.next = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			for range 200 {
				w := httptest.NewRecorder()
				start := time.Now()
				e.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/send", nil))
				if time.Since(start) < time.Millisecond {
					t.Fatal("a send was not delayed")
				}
				if tt.wantStatus != 0 && w.Code != tt.wantStatus {
					t.Fatalf("status %d, want %d", w.Code, tt.wantStatus)
				}
				if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") != "1" {
					t.Fatalf("429 without Retry-After: %v", w.Header())
				}
			}
			w := httptest.NewRecorder()
			e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/token", nil))
			if w.Code != http.StatusOK {
				t.Fatalf("a call that is not a send got %d", w.Code)
			}
			sends, injected := e.stats()
			if sends != 200 || injected < tt.min || injected > tt.max {
				t.Fatalf("sends %d, injected %d; want 200 and %d..%d", sends, injected, tt.min, tt.max)
			}
		})
	}
	if newSlowEdge(Options{}, nil, nil) != nil {
		t.Fatal("an edge without --slow-platform")
	}
}

// TestWebStream reads an event stream as the web chat writes it.
func TestWebStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "retry: 2000\n: connected\n\n: heartbeat\n\n")
		fmt.Fprint(w, "event: message\nid: w1.r0\ndata: {\"id\":\"w1.r0\",\"from\":\"bot\",\"text\":\"We're open\"}\n\n")
		fmt.Fprint(w, "event: message\nid: w2.r0.r1\ndata: {\"id\":\"w2.r0.r1\",\"from\":\"bot\",\"text\":\"二\"}\n\n")
	}))
	defer srv.Close()
	d := newWeb(Options{WebSessions: 1})
	d.base = srv.URL
	ready := make(chan error, 1)
	d.read(context.Background(), "tok", ready) // returns when the server ends the stream
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	got := d.poll()
	if len(got) != 2 || got[0].ref != "w1" || got[0].text != "We're open" || got[1].ref != "w2.r0" || got[1].text != "二" {
		t.Fatalf("replies %+v", got)
	}
	bad := make(chan error, 1)
	d.read(context.Background(), "wrong", bad)
	if err := <-bad; err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("stream with a wrong token: %v, want a 401 error", err)
	}
}

// TestQuestions checks that the sample bot's questions mix English and
// Chinese and leave out the ones that start a flow or ask for a person.
func TestQuestions(t *testing.T) {
	bot, err := intents.Load(intents.Sample(), ".")
	if err != nil {
		t.Fatal(err)
	}
	qs := Questions(bot)
	if len(qs) < 50 || qs[0].Lang != "en" || qs[1].Lang != "zh" {
		t.Fatalf("%d questions, first %+v: want many, interleaved en/zh", len(qs), qs[:min(2, len(qs))])
	}
	texts := make(map[string]bool, len(qs))
	for _, q := range qs {
		texts[q.Text] = true
	}
	for _, in := range bot.Intents {
		if in.Name != "talk_to_human" && in.Name != "order_status" {
			continue
		}
		for _, ex := range in.Examples["en"] {
			if texts[ex] {
				t.Errorf("%q (intent %s) is among the questions", ex, in.Name)
			}
		}
	}
	if !texts["how much is shipping"] || !texts["运费多少"] {
		t.Error("FAQ questions are missing")
	}
	if Questions(nil) != nil {
		t.Error("Questions(nil) is not nil")
	}
}

// TestOutboundCaps guards the nil-receiver calls of the adapters'
// RateLimits and the share offered.
func TestOutboundCaps(t *testing.T) {
	caps := outboundCaps()
	for p, want := range map[string]float64{Telegram: 24, Slack: 40, Discord: 40} {
		if got := float64(caps[p]); got != want {
			t.Errorf("%s cap = %g, want %g", p, got, want)
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string // part of the error, "" for none
	}{
		{"in-process", Options{Serve: func(context.Context, *config.Config, *slog.Logger, chan<- string) error { return nil }}, ""},
		{"no serve", Options{}, "no ServeFunc"},
		{"unknown platform", Options{Target: "http://x", Platforms: []string{"irc"}}, `unknown platform "irc"`},
		{"target needs web only", Options{Target: "http://x", Platforms: []string{Web, Slack}}, "drives only the web chat"},
		{"target url", Options{Target: "localhost:8080", Platforms: []string{Web}}, "must be an http(s) URL"},
		{"slow with target", Options{Target: "http://x", Platforms: []string{Web}, SlowPlatform: true}, "need the in-process gateway"},
		{"slow rate", Options{Target: "http://x", Platforms: []string{Web}, SlowRate: 1}, "--slow-rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.withDefaults().validate()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("validate = %v, want %q", err, tt.want)
			}
		})
	}
}
