package telegram

import (
	"strings"
	"testing"
	"time"

	faketg "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
)

func TestCommand(t *testing.T) {
	tests := []struct{ text, want string }{
		{"/start", "start"},
		{"/Start@Switchboard_Test_Bot ref-1", "start"},
		{"/order_status AB123456", "order_status"},
		{"/", ""},
		{"/ hello", ""},
		{"/start-now", ""},
		{"/путь", ""},
		{"start", ""},
		{"/" + strings.Repeat("a", 33), ""},
	}
	for _, tt := range tests {
		if got := command(tt.text); got != tt.want {
			t.Errorf("command(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

// /start, the deep link and /start@bot in a group get the welcome (the
// sample bot's greeting), not the return flow; /help the help text; a
// command naming an intent its answer; another command a short "unknown
// command". Through the webhook, the engine and the outbox.
func TestWebhookCommands(t *testing.T) {
	tests := []struct {
		file string
		want string // substring of the one reply
	}{
		{"private_start.json", "Welcome to Example Shop, Ana!"},
		{"private_start_deeplink.json", "欢迎光临 Example Shop，Wei Zhang！"},
		{"group_start_botname.json", "Welcome to Example Shop, Bo!"},
		{"private_help.json", "/help shows this text"},
		{"private_command_intent.json", openingHours},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h := newHarness(t)
			a, fake := newAdapter(t, ModeWebhook, h.Engine)
			h.Start(t, a)
			if got := post(t, a, testSecret, readTestdata(t, tt.file)); got != 200 {
				t.Fatalf("status %d", got)
			}
			waitFor(t, 5*time.Second, "the answer", func() bool { return len(fake.Sent()) >= 1 })
			sent := fake.Sent()
			if len(sent) != 1 || !strings.Contains(sent[0].Text, tt.want) {
				t.Fatalf("sent %+v, want one message containing %q", sent, tt.want)
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		h := newHarness(t)
		a, fake := newAdapter(t, ModeWebhook, h.Engine)
		h.Start(t, a)
		post(t, a, testSecret, faketg.TextUpdate(900, 50, faketg.Private(customer), customer, "/settings"))
		waitFor(t, 5*time.Second, "the answer", func() bool { return len(fake.Sent()) >= 1 })
		if got := fake.Sent()[0].Text; !strings.Contains(got, "don't know that command") {
			t.Errorf("answer %q", got)
		}
	})
}

// Two stickers in a row get "I can only read text" twice and no handoff.
func TestWebhookStickersDoNotHandOff(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModeWebhook, h.Engine)
	h.Start(t, a)
	body := readTestdata(t, "sticker.json")
	second := strings.Replace(strings.Replace(string(body), "851793518", "851793519", 1), `"message_id": 1371`, `"message_id": 1375`, 1)
	if second == string(body) {
		t.Fatal("second sticker not made")
	}
	for _, b := range [][]byte{body, []byte(second)} {
		if got := post(t, a, testSecret, b); got != 200 {
			t.Fatalf("status %d", got)
		}
	}
	waitFor(t, 5*time.Second, "two answers", func() bool { return len(fake.Sent()) >= 2 })
	time.Sleep(100 * time.Millisecond)
	for _, s := range fake.Sent() {
		if !strings.Contains(s.Text, "only read text") {
			t.Errorf("sent %q, want the no-text answer", s.Text)
		}
	}
	if n := len(fake.Sent()); n != 2 {
		t.Errorf("sent %d messages, want 2", n)
	}
}

// A redelivered button press (Telegram retries when the first 200 was
// lost) is neither answered again in the chat nor with answerCallbackQuery.
func TestWebhookRedeliveredCallbackAnsweredOnce(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModeWebhook, h.Engine)
	h.Start(t, a)
	body := readTestdata(t, "callback_query.json")
	for i := range 2 {
		if got := post(t, a, testSecret, body); got != 200 {
			t.Fatalf("delivery %d: status %d", i+1, got)
		}
	}
	waitFor(t, 5*time.Second, "the answer", func() bool { return len(fake.Sent()) >= 1 })
	time.Sleep(100 * time.Millisecond)
	if n := len(fake.Sent()); n != 1 {
		t.Errorf("sent %d messages, want 1", n)
	}
	if got := fake.AnsweredCallbacks(); len(got) != 1 {
		t.Errorf("answerCallbackQuery called %d times (%v), want once", len(got), got)
	}
}

// A button under a channel post stops the spinner and says nothing in the
// channel.
func TestWebhookChannelCallbackNotAnswered(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModeWebhook, h.Engine)
	h.Start(t, a)
	if got := post(t, a, testSecret, readTestdata(t, "callback_channel_post.json")); got != 200 {
		t.Fatalf("status %d", got)
	}
	waitFor(t, 5*time.Second, "the callback answer", func() bool { return len(fake.AnsweredCallbacks()) == 1 })
	time.Sleep(100 * time.Millisecond)
	if n := len(fake.Sent()); n != 0 {
		t.Errorf("sent %d messages into the channel, want none: %+v", n, fake.Sent())
	}
}
