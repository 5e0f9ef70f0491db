package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	faketg "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
)

const (
	testToken  = "123456:TEST-token_abcdefghijklmnopqrstuv"
	testSecret = "s3cr3t-token_1"
)

var customer = faketg.User{ID: 1111111, FirstName: "Ana", LanguageCode: "en"}

// newAdapter starts a fake Bot API and an Adapter pointed at it.
func newAdapter(t *testing.T, mode string, h Handler) (*Adapter, *faketg.Server) {
	t.Helper()
	fake := faketg.Start(testToken)
	t.Cleanup(fake.Close)
	a, err := New(t.Context(), Config{Token: testToken, SecretToken: testSecret, APIURL: fake.URL, Mode: mode,
		PollTimeout: time.Second}, h, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a, fake
}

// post sends body to the adapter's webhook route and returns the status.
func post(t *testing.T, a *Adapter, secret string, body []byte) int {
	t.Helper()
	mux := http.NewServeMux()
	a.Register(mux)
	req, err := faketg.NewWebhookRequest(t.Context(), WebhookPath, secret, body)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec.Code
}

func TestNewReadsBotIdentity(t *testing.T) {
	a, _ := newAdapter(t, ModeWebhook, nil)
	if a.BotID() != 123456 || a.BotUserName() != "switchboard_test_bot" || a.Platform() != "telegram" {
		t.Fatalf("identity = %d %q", a.BotID(), a.BotUserName())
	}
}

func TestWebhookStatus(t *testing.T) {
	good := faketg.TextUpdate(1, 10, faketg.Private(customer), customer, "hi")
	tests := []struct {
		name     string
		secret   string
		body     []byte
		handler  *stubHandler
		want     int
		handled  int
		callback bool
	}{
		{name: "no secret header", body: good, want: 401},
		{name: "wrong secret", secret: "s3cr3t-token_2", body: good, want: 401},
		{name: "secret prefix", secret: "s3cr3t", body: good, want: 401},
		{name: "not an update", secret: testSecret, body: []byte(`{"hello":"world"}`), want: 400},
		{name: "not json", secret: testSecret, body: []byte(`<xml/>`), want: 400},
		{name: "ok", secret: testSecret, body: good, want: 200, handled: 1},
		{name: "skipped update", secret: testSecret, body: readTestdata(t, "edited_message.json"), want: 200},
		{name: "handle fails", secret: testSecret, body: good, want: 500, handled: 1,
			handler: &stubHandler{Fail: 1, Err: errors.New("disk full")}},
		{name: "store closed", secret: testSecret, body: good, want: 503, handled: 1,
			handler: &stubHandler{Fail: 1, Err: core.ErrClosed}},
		{name: "callback answered", secret: testSecret, body: readTestdata(t, "callback_query.json"), want: 200,
			handled: 1, callback: true},
		{name: "callback answered on failure only after retry", secret: testSecret,
			body: readTestdata(t, "callback_query.json"), want: 500, handled: 1,
			handler: &stubHandler{Fail: 1, Err: errors.New("boom")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.handler
			if h == nil {
				h = &stubHandler{}
			}
			a, fake := newAdapter(t, ModeWebhook, h)
			if got := post(t, a, tt.secret, tt.body); got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
			if got := len(h.Messages()); got != tt.handled {
				t.Errorf("handled %d messages, want %d", got, tt.handled)
			}
			if got := len(fake.AnsweredCallbacks()) == 1; got != tt.callback {
				t.Errorf("callback answered = %v, want %v", got, tt.callback)
			}
		})
	}
}

func TestWebhookMethodNotAllowed(t *testing.T) {
	a, _ := newAdapter(t, ModeWebhook, &stubHandler{})
	mux := http.NewServeMux()
	a.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, WebhookPath, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("GET status = %d", rec.Code)
	}
}

func TestPollingModeRegistersNoRoute(t *testing.T) {
	a, _ := newAdapter(t, ModePolling, &stubHandler{})
	mux := http.NewServeMux()
	a.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, WebhookPath, nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", rec.Code)
	}
}

// The same update delivered twice through the webhook is answered once,
// with the sample bot's answer, through the real engine, store and outbox.
func TestWebhookSameUpdateTwiceAnsweredOnce(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModeWebhook, h.Engine)
	h.Start(t, a)
	update := faketg.TextUpdate(500, 42, faketg.Private(customer), customer, "what are your opening hours")
	for i := range 2 {
		if got := post(t, a, testSecret, update); got != 200 {
			t.Fatalf("delivery %d: status %d", i+1, got)
		}
	}
	waitFor(t, 5*time.Second, "the answer", func() bool { return len(fake.Sent()) >= 1 })
	time.Sleep(200 * time.Millisecond) // a second answer would be sent by now
	sent := fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("sent %d messages, want 1: %+v", len(sent), sent)
	}
	if s := sent[0]; s.ChatID != customer.ID || s.Text != openingHours || s.ParseMode != "" || s.ReplyToMessageID != 0 {
		t.Fatalf("sent %+v", s)
	}
}

// A button press is answered (answerCallbackQuery) and its label handled
// as the customer's text.
func TestWebhookCallbackQuery(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModeWebhook, h.Engine)
	h.Start(t, a)
	body := faketg.CallbackUpdate(600, "cb-1", faketg.Private(customer), customer, fake.Bot(), 7, "Opening hours",
		[][]faketg.Button{{{Text: "Opening hours", CallbackData: "Opening hours"}}})
	if got := post(t, a, testSecret, body); got != 200 {
		t.Fatalf("status %d", got)
	}
	waitFor(t, 5*time.Second, "the answer", func() bool { return len(fake.Sent()) == 1 })
	if got := fake.Sent()[0].Text; got != openingHours {
		t.Errorf("answer = %q", got)
	}
	if got := fake.AnsweredCallbacks(); len(got) != 1 || got[0] != "cb-1" {
		t.Errorf("answered callbacks = %v", got)
	}
}

// Polling: the update is answered once even when Telegram delivers it again
// after a crash (the offset was not confirmed), and the offset is confirmed.
func TestPollingAnswersOnceAcrossRestart(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModePolling, h.Engine)
	h.Start(t, a)
	update := faketg.TextUpdate(700, 43, faketg.Private(customer), customer, "what are your opening hours")
	if err := fake.Queue(update); err != nil {
		t.Fatal(err)
	}
	runFor := func(until func() bool) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		waitFor(t, 5*time.Second, "polling progress", until)
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
	}
	runFor(func() bool { return len(fake.Sent()) == 1 })
	if got := fake.Confirmed(); got != 701 {
		t.Fatalf("confirmed offset = %d, want 701", got)
	}
	// Telegram re-delivers the update (as after a crash before the confirm).
	if err := fake.Queue(update); err != nil {
		t.Fatal(err)
	}
	runFor(func() bool { return fake.Confirmed() == 701 && fake.Calls("getUpdates") >= 4 })
	time.Sleep(200 * time.Millisecond)
	sent := fake.Sent()
	if len(sent) != 1 || sent[0].Text != openingHours {
		t.Fatalf("sent %+v, want the answer once", sent)
	}
}

// Polling: a failed Handle is retried for the same update, and the offset
// moves past it only after Handle succeeded.
func TestPollingRetriesFailedHandle(t *testing.T) {
	h := &stubHandler{Fail: 2, Err: errors.New("store unavailable")}
	a, fake := newAdapter(t, ModePolling, h)
	for i, text := range []string{"first", "second"} {
		if err := fake.Queue(faketg.TextUpdate(800+i, 50+i, faketg.Private(customer), customer, text)); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(t, 10*time.Second, "both updates", func() bool { return len(h.Messages()) == 4 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range h.Messages() {
		texts = append(texts, m.Text)
	}
	if got := strings.Join(texts, ","); got != "first,first,first,second" {
		t.Fatalf("handled %s", got)
	}
	if got := fake.Confirmed(); got != 802 {
		t.Fatalf("confirmed = %d, want 802", got)
	}
}

func TestPollingStopsOnRejectedToken(t *testing.T) {
	a, fake := newAdapter(t, ModePolling, &stubHandler{})
	fake.Fail("getUpdates", 1, faketg.Failure{Status: 401})
	err := a.Run(t.Context())
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Fatalf("Run = %v, want a token error without the token", err)
	}
}

func TestPollingReportsWebhookConflictAndKeepsTrying(t *testing.T) {
	a, fake := newAdapter(t, ModePolling, &stubHandler{})
	if err := a.SetWebhook(t.Context(), "https://example.test/webhooks/telegram"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(t, 5*time.Second, "retries", func() bool { return fake.Calls("getUpdates") >= 2 })
	if err := a.DeleteWebhook(t.Context()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestWebhookModeRunReturnsAtOnce(t *testing.T) {
	a, _ := newAdapter(t, ModeWebhook, &stubHandler{})
	if err := a.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestSetWebhook(t *testing.T) {
	a, fake := newAdapter(t, ModeWebhook, nil)
	if err := a.SetWebhook(t.Context(), "https://bot.example.com/webhooks/telegram"); err != nil {
		t.Fatal(err)
	}
	wh := fake.Webhook()
	if wh.URL != "https://bot.example.com/webhooks/telegram" || wh.SecretToken != testSecret ||
		strings.Join(wh.AllowedUpdates, ",") != "message,callback_query" {
		t.Fatalf("webhook = %+v", wh)
	}
	if err := a.SetWebhook(t.Context(), "not a url"); err == nil {
		t.Fatal("SetWebhook accepted a bad URL")
	}
}

func TestNewFailsWithWrongToken(t *testing.T) {
	fake := faketg.Start("999:OTHER")
	defer fake.Close()
	_, err := New(context.Background(), Config{Token: testToken, SecretToken: testSecret, APIURL: fake.URL}, nil, nil)
	if err == nil {
		t.Fatal("New accepted a token the API rejects")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Fatalf("token leaked: %v", err)
	}
}
