package telegram

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/core"
	faketg "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
	"github.com/switchboard-gw/switchboard/internal/textsplit"
)

func reply(id, text string) core.Reply {
	return core.Reply{ID: id, Key: core.ConversationKey{Platform: Platform, Chat: "1111111", User: "1111111"},
		From: core.AuthorBot, Text: text, Created: time.Now()}
}

func TestSendSplitsThreadsAndAddsButtons(t *testing.T) {
	a, fake := newAdapter(t, ModeWebhook, nil)
	para := strings.Repeat("Ünïcödé wörds and 🙂 emoji. ", 100) // ~2,800 units
	text := para + "\n" + para + "\n" + para                   // ~8,400 units
	r := reply("m1.r0", text)
	r.ReplyTo = "77"
	r.QuickReplies = []string{"Opening hours", strings.Repeat("a very long quick reply ", 5), "", "Returns"}
	if err := a.Send(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent()
	if len(sent) != 3 {
		t.Fatalf("sent %d parts, want 3", len(sent))
	}
	var got []string
	for i, s := range sent {
		if textsplit.UTF16Len(s.Text) > MaxTextLen || s.ParseMode != "" || s.ChatID != 1111111 {
			t.Errorf("part %d: %d units, parse mode %q, chat %d", i, textsplit.UTF16Len(s.Text), s.ParseMode, s.ChatID)
		}
		if (i == 0) != (s.ReplyToMessageID == 77) {
			t.Errorf("part %d replies to %d", i, s.ReplyToMessageID)
		}
		if (i == 2) != (len(s.Buttons) == 3) {
			t.Errorf("part %d has %d button rows", i, len(s.Buttons))
		}
		got = append(got, s.Text)
	}
	if strings.Join(got, "\n") != text {
		t.Error("parts do not rebuild the text")
	}
	b := sent[2].Buttons
	if b[0][0].Text != "Opening hours" || b[0][0].CallbackData != "Opening hours" ||
		len(b[1][0].CallbackData) > MaxCallbackData || !utf8.ValidString(b[1][0].CallbackData) || b[2][0].Text != "Returns" {
		t.Errorf("buttons = %+v", b)
	}
}

// A split reply that fails part-way is resumed, not restarted, when the
// Dispatcher retries it.
func TestSendResumesPartlySentReply(t *testing.T) {
	a, fake := newAdapter(t, ModeWebhook, nil)
	text := strings.Repeat("x", MaxTextLen) + " " + strings.Repeat("y", 10)
	fake.Fail("sendMessage", 1, faketg.Failure{})
	fake.Fail("sendMessage", 1, faketg.Failure{Status: 502, RawBody: "<html>502 Bad Gateway</html>"})
	err := a.Send(t.Context(), reply("m2.r0", text))
	var se *core.SendError
	if !errors.As(err, &se) || se.Permanent || se.RetryAfter != 0 {
		t.Fatalf("first Send = %v, want a temporary SendError", err)
	}
	if err := a.Send(t.Context(), reply("m2.r0", text)); err != nil {
		t.Fatal(err)
	}
	sent := fake.Sent()
	if len(sent) != 2 || !strings.HasPrefix(sent[0].Text, "x") || sent[1].Text != strings.Repeat("y", 10) {
		t.Fatalf("sent %d parts: %+v", len(sent), sent)
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name       string
		fail       faketg.Failure
		status     int
		permanent  bool
		retryAfter time.Duration
	}{
		{"rate limited", faketg.Failure{Status: 429, RetryAfter: 7}, 429, false, 7 * time.Second},
		{"rate limited without parameters", faketg.Failure{Status: 429, Description: "Too Many Requests"}, 429, false, time.Second},
		{"blocked", faketg.Failure{Status: 403}, 403, true, 0},
		{"kicked", faketg.Failure{Status: 403, Description: "Forbidden: bot was kicked from the supergroup chat"}, 403, true, 0},
		{"chat not found", faketg.Failure{Status: 400}, 400, true, 0},
		{"server error", faketg.Failure{Status: 500}, 500, false, 0},
		{"proxy page", faketg.Failure{Status: 502, RawBody: "<html>Bad Gateway</html>"}, 0, false, 0},
		{"token revoked", faketg.Failure{Status: 401}, 401, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, fake := newAdapter(t, ModeWebhook, nil)
			fake.Fail("sendMessage", 1, tt.fail)
			err := a.Send(t.Context(), reply("e.r0", "hello"))
			var se *core.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v, want *core.SendError", err)
			}
			if se.Status != tt.status || se.Permanent != tt.permanent || se.RetryAfter != tt.retryAfter {
				t.Fatalf("SendError = %+v", se)
			}
			if len(fake.Sent()) != 0 {
				t.Fatal("a failed send was recorded")
			}
		})
	}
}

func TestSendRejectsBadReplies(t *testing.T) {
	a, _ := newAdapter(t, ModeWebhook, nil)
	bad := []core.Reply{
		reply("b1", "   "),
		{ID: "b2", Key: core.ConversationKey{Platform: "discord", Chat: "1"}, Text: "hi"},
		{ID: "b3", Key: core.ConversationKey{Platform: Platform, Chat: "abc"}, Text: "hi"},
	}
	for _, r := range bad {
		var se *core.SendError
		if err := a.Send(t.Context(), r); !errors.As(err, &se) || !se.Permanent {
			t.Errorf("Send(%s) = %v, want a permanent SendError", r.ID, err)
		}
	}
}

// 429: the Dispatcher waits retry_after and the reply is delivered once.
func TestRateLimitedReplyDeliveredOnceAfterRetryAfter(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModeWebhook, h.Engine)
	fake.Fail("sendMessage", 1, faketg.Failure{Status: 429, RetryAfter: 1})
	h.Start(t, a)
	start := time.Now()
	if got := post(t, a, testSecret, faketg.TextUpdate(900, 60, faketg.Private(customer), customer,
		"what are your opening hours")); got != 200 {
		t.Fatalf("status %d", got)
	}
	waitFor(t, 10*time.Second, "the answer", func() bool { return len(fake.Sent()) == 1 })
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("delivered after %s, before retry_after", elapsed)
	}
	time.Sleep(200 * time.Millisecond)
	if got := len(fake.Sent()); got != 1 || fake.Calls("sendMessage") != 2 {
		t.Fatalf("sent %d, sendMessage calls %d; want 1 and 2", got, fake.Calls("sendMessage"))
	}
}

// 403: the reply becomes a dead letter and is not retried.
func TestBlockedChatGoesToDeadLetters(t *testing.T) {
	h := newHarness(t)
	a, fake := newAdapter(t, ModeWebhook, h.Engine)
	fake.FailChat(customer.ID, faketg.Failure{Status: 403})
	h.Start(t, a)
	if got := post(t, a, testSecret, faketg.TextUpdate(901, 61, faketg.Private(customer), customer,
		"what are your opening hours")); got != 200 {
		t.Fatalf("status %d", got)
	}
	var dls []core.DeadLetter
	waitFor(t, 5*time.Second, "the dead letter", func() bool {
		var err error
		dls, err = h.Store.DeadLetters(t.Context(), 10)
		return err == nil && len(dls) == 1
	})
	if !strings.Contains(dls[0].Reason, "403") || dls[0].Entry.Reply.Text != openingHours {
		t.Errorf("dead letter = %+v", dls[0])
	}
	if fake.Calls("sendMessage") != 1 || len(fake.Sent()) != 0 {
		t.Errorf("sendMessage calls %d, sent %d", fake.Calls("sendMessage"), len(fake.Sent()))
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"fits", "hello", 10, []string{"hello"}},
		{"blank", " \n ", 10, nil},
		{"prefers newline", "aaaa bbbb\ncc dd", 12, []string{"aaaa bbbb", "cc dd"}},
		{"then space", "aaaa bbbb cccc", 12, []string{"aaaa bbbb", "cccc"}},
		{"hard cut", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"rune boundary", "ééééé", 2, []string{"éé", "éé", "é"}},
		{"surrogate pairs count twice", "🙂🙂🙂", 4, []string{"🙂🙂", "🙂"}},
		{"early separator ignored", "a bcdefghijk", 8, []string{"a bcdefg", "hijk"}},
		{"blank parts dropped", "abc\n\n\n\n\n\n\n\n\n\n", 4, []string{"abc\n"}},
		{"separator right after the prefix", "abcd efgh", 4, []string{"abcd", "efgh"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := textsplit.Split(tt.text, tt.max, textsplit.UTF16Len)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Fatalf("split(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
		})
	}
}

func FuzzSplit(f *testing.F) {
	f.Add("hello world", 5)
	f.Add("🙂🙂 é\n\nx", 3)
	f.Fuzz(func(t *testing.T, text string, max int) {
		if max < 2 || max > 5000 {
			return
		}
		parts := textsplit.Split(text, max, textsplit.UTF16Len)
		for _, p := range parts {
			if textsplit.UTF16Len(p) > max || strings.TrimSpace(p) == "" {
				t.Fatalf("bad part %q (max %d)", p, max)
			}
			if utf8.ValidString(text) && !utf8.ValidString(p) {
				t.Fatalf("part %q cuts a rune", p)
			}
		}
		if strings.TrimSpace(text) != "" && len(parts) == 0 {
			t.Fatal("text lost")
		}
	})
}

// An agent's correction edits the message it corrects (editMessageText);
// a correction of a message this process did not send goes out as a new
// message marked "(correction)".
func TestCorrectionEditsInPlace(t *testing.T) {
	a, fake := newAdapter(t, ModeWebhook, nil)
	orig := reply("agent.1", "Your refund is 50 EUR.")
	orig.From, orig.AgentName = core.AuthorAgent, "Ana"
	if err := a.Send(t.Context(), orig); err != nil {
		t.Fatal(err)
	}
	fix := reply("agent.1e", "Your refund is 55 EUR.")
	fix.From, fix.AgentName, fix.Corrects = core.AuthorAgent, "Ana", "agent.1"
	if err := a.Send(t.Context(), fix); err != nil {
		t.Fatal(err)
	}
	if err := a.Send(t.Context(), fix); err != nil { // a retry: "not modified" is success
		t.Fatal(err)
	}
	sent, edits := fake.Sent(), fake.Edits()
	if len(sent) != 1 || len(edits) != 1 || edits[0].MessageID != sent[0].MessageID || edits[0].Text != "Ana: Your refund is 55 EUR." {
		t.Fatalf("sent %+v, edits %+v", sent, edits)
	}
	unknown := reply("agent.9e", "Sorry, tomorrow, not today.")
	unknown.From, unknown.AgentName, unknown.Corrects = core.AuthorAgent, "Ana", "agent.9"
	if err := a.Send(t.Context(), unknown); err != nil {
		t.Fatal(err)
	}
	if sent := fake.Sent(); len(sent) != 2 || sent[1].Text != "(correction) Ana: Sorry, tomorrow, not today." {
		t.Fatalf("correction of an unknown message: %+v", sent)
	}
}
