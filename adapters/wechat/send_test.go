package wechat

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/core"
	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

func reply(openID, text string) core.Reply {
	return core.Reply{ID: core.NewID(), Key: core.ConversationKey{Platform: Platform, Chat: openID, User: openID},
		From: core.AuthorBot, Text: text, InReplyTo: "not-waiting"}
}

// TestSendErrors: WeChat's answers become the right *core.SendError, and the
// access token is refreshed once on 40001, 40014 and 42001.
func TestSendErrors(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(f *wechatfake.Server)
		wantErr    bool
		permanent  bool
		code       string
		status     int
		retryAfter time.Duration
		reason     string
		sent       int // messages the fake accepted
		tokens     int // stable_token calls in total
	}{
		{name: "ok", setup: func(*wechatfake.Server) {}, sent: 1, tokens: 1},
		{name: "40001 once: refresh and retry", setup: func(f *wechatfake.Server) { f.FailNext(1, 40001, "invalid credential") }, sent: 1, tokens: 2},
		{name: "40014 once", setup: func(f *wechatfake.Server) { f.FailNext(1, 40014, "invalid access_token") }, sent: 1, tokens: 2},
		{name: "token invalidated by WeChat", setup: func(f *wechatfake.Server) { f.InvalidateTokens() }, sent: 1, tokens: 2},
		{name: "token expired (42001)", setup: func(f *wechatfake.Server) { f.ExpireTokens() }, sent: 1, tokens: 2},
		{name: "40001 twice", setup: func(f *wechatfake.Server) { f.FailNext(2, 40001, "invalid credential") },
			wantErr: true, code: "40001", tokens: 2},
		{name: "48-hour window", setup: func(f *wechatfake.Server) {
			f.FailNext(1, 45015, "response out of time limit or subscription is canceled")
		},
			wantErr: true, permanent: true, code: "45015", reason: "48 hours", tokens: 1},
		{name: "quota", setup: func(f *wechatfake.Server) { f.FailNext(1, 45047, "out of response count limit") },
			wantErr: true, permanent: true, code: "45047", reason: "quota", tokens: 1},
		{name: "unfollowed", setup: func(f *wechatfake.Server) { f.FailNext(1, 43004, "require subscribe") },
			wantErr: true, permanent: true, code: "43004", tokens: 1},
		{name: "daily API quota", setup: func(f *wechatfake.Server) { f.FailNext(1, 45009, "reach max api daily quota limit") },
			wantErr: true, code: "45009", retryAfter: time.Hour, tokens: 1},
		{name: "system busy", setup: func(f *wechatfake.Server) { f.FailNext(1, -1, "system error") },
			wantErr: true, code: "-1", tokens: 1},
		{name: "HTTP 502", setup: func(f *wechatfake.Server) { f.FailNextHTTP(1, http.StatusBadGateway) },
			wantErr: true, status: 502, tokens: 1},
		{name: "HTTP 404", setup: func(f *wechatfake.Server) { f.FailNextHTTP(1, http.StatusNotFound) },
			wantErr: true, permanent: true, status: 404, tokens: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOpts{noDispatcher: true})
			ctx := context.Background()
			// Fetch a token first, so that setups acting on tokens find one.
			if err := h.adapter.Send(ctx, reply("oWarm", "warm up")); err != nil {
				t.Fatal(err)
			}
			tt.setup(h.fake)
			err := h.adapter.Send(ctx, reply("oE", "hello"))
			if got := len(h.fake.SentTo("oE")); got != tt.sent {
				t.Errorf("fake accepted %d messages, want %d", got, tt.sent)
			}
			if got := h.fake.Calls(wechatfake.EndpointStableToken); got != tt.tokens {
				t.Errorf("stable_token called %d times, want %d", got, tt.tokens)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Send: %v", err)
				}
				return
			}
			var se *core.SendError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *core.SendError", err, err)
			}
			if se.Permanent != tt.permanent || se.Code != tt.code || se.Status != tt.status || se.RetryAfter != tt.retryAfter {
				t.Errorf("SendError{Permanent:%v Code:%q Status:%d RetryAfter:%s}, want {%v %q %d %s}",
					se.Permanent, se.Code, se.Status, se.RetryAfter, tt.permanent, tt.code, tt.status, tt.retryAfter)
			}
			if tt.reason != "" {
				mustContain(t, err.Error(), tt.reason)
			}
		})
	}
}

// TestSendOutsideWindowDeadLetters: through the Dispatcher, 45015 becomes a
// dead letter with a clear reason, after one attempt.
func TestSendOutsideWindowDeadLetters(t *testing.T) {
	h := newHarness(t, harnessOpts{noDispatcher: true})
	ctx := context.Background()
	h.fake.FailNext(1, 45015, "response out of time limit or subscription is canceled")
	err := h.store.Commit(ctx, core.Commit{Key: core.ConversationKey{Platform: Platform, Chat: "oOld", User: "oOld"},
		Outbox: []core.OutboxEntry{{Reply: reply("oOld", "a late agent answer"), NextAttempt: time.Now(), Created: time.Now()}}})
	if err != nil {
		t.Fatal(err)
	}
	h.dispatch()
	h.drain()
	dls := h.deadLetters()
	if len(dls) != 1 {
		t.Fatalf("dead letters %q, want 1", dls)
	}
	mustContain(t, dls[0], "45015")
	mustContain(t, dls[0], "48 hours")
	if n := h.fake.Calls(wechatfake.EndpointCustomSend); n != 1 {
		t.Errorf("custom/send called %d times, want 1 (no retry of a permanent failure)", n)
	}
}

// TestSendLongText: a long answer goes as parts of at most MaxTextBytes on
// rune boundaries; a failure after the first part resends only the rest.
func TestSendLongText(t *testing.T) {
	h := newHarness(t, harnessOpts{noDispatcher: true})
	ctx := context.Background()
	long := strings.Repeat("这是一个很长的回答。", 200) // 6,000 bytes, no spaces or newlines
	r := reply("oLong", long)
	h.fake.PassNext(1)
	h.fake.FailNext(1, -1, "system error")
	if err := h.adapter.Send(ctx, r); err == nil {
		t.Fatal("Send succeeded although the second part failed")
	}
	if err := h.adapter.Send(ctx, r); err != nil { // the Dispatcher's retry
		t.Fatal(err)
	}
	sent := h.fake.SentTo("oLong")
	var joined strings.Builder
	for _, s := range sent {
		if len(s.Text) > MaxTextBytes || !utf8.ValidString(s.Text) {
			t.Errorf("part of %d bytes, valid UTF-8 %v", len(s.Text), utf8.ValidString(s.Text))
		}
		joined.WriteString(s.Text)
	}
	if len(sent) != 3 || joined.String() != long {
		t.Errorf("%d parts, rejoined equal %v; want 3 parts that rejoin to the text, none repeated", len(sent), joined.String() == long)
	}
}

// TestTokenSharedAndSingleFlight: concurrent Sends fetch one token; a second
// adapter on the same store (a restart, another replica) reuses it.
func TestTokenSharedAndSingleFlight(t *testing.T) {
	h := newHarness(t, harnessOpts{noDispatcher: true})
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() {
			if err := h.adapter.Send(ctx, reply("oC"+string(rune('a'+i)), "hi")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := h.fake.Calls(wechatfake.EndpointStableToken); n != 1 {
		t.Errorf("stable_token called %d times by 10 concurrent sends, want 1", n)
	}
	again, err := New(Config{AppID: testAppID, AppSecret: testSecret, Token: testToken, APIURL: h.fake.URL},
		h.engine, h.store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Send(ctx, reply("oRestart", "hi")); err != nil {
		t.Fatal(err)
	}
	if n := h.fake.Calls(wechatfake.EndpointStableToken); n != 1 {
		t.Errorf("stable_token called %d times after a restart, want 1 (token from the store)", n)
	}
	if n := h.fake.Calls(wechatfake.EndpointToken); n != 0 {
		t.Errorf("/cgi-bin/token called %d times, want 0 (stable_token only)", n)
	}
}

func TestSendRefusesOtherPlatforms(t *testing.T) {
	h := newHarness(t, harnessOpts{noDispatcher: true})
	r := reply("oX", "hi")
	r.Key.Platform = "slack"
	var se *core.SendError
	if err := h.adapter.Send(context.Background(), r); !errors.As(err, &se) || !se.Permanent {
		t.Errorf("err = %v, want a permanent SendError", err)
	}
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		limit int
		want  []string
	}{
		{"short", "hello", 10, []string{"hello"}},
		{"empty", "", 10, nil},
		{"only newlines", "\n\n", 10, nil},
		{"at a newline", "aaaa\nbbbbbb", 8, []string{"aaaa", "bbbbbb"}},
		{"at a space", "aaaaa bbbbbb", 8, []string{"aaaaa ", "bbbbbb"}},
		{"hard cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"rune boundary", "中文中文", 7, []string{"中文", "中文"}},
		{"newline too early", "a\nbbbbbbbbbb", 8, []string{"a\nbbbbbb", "bbbb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitText(tt.in, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("splitText(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
		})
	}
}

func TestRenderText(t *testing.T) {
	tests := []struct {
		r    core.Reply
		want string
	}{
		{core.Reply{Text: "Hi\r\nthere "}, "Hi\nthere"},
		{core.Reply{Text: "Pick one", QuickReplies: []string{"A", "B"}}, "Pick one\n\n1. A\n2. B"},
		{core.Reply{QuickReplies: []string{"A"}}, "1. A"},
	}
	for _, tt := range tests {
		if got := renderText(tt.r); got != tt.want {
			t.Errorf("renderText(%+v) = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestRateLimits(t *testing.T) {
	h := newHarness(t, harnessOpts{noDispatcher: true})
	var _ core.RateLimited = h.adapter
	l := h.adapter.RateLimits()
	if l.PerChat != 2 || l.PerChatBurst != 5 || l.PerPlatform != 0 {
		t.Errorf("RateLimits = %+v", l)
	}
}
