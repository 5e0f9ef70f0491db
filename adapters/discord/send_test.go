package discord

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	fakedc "github.com/switchboard-gw/switchboard/internal/fakes/discord"
)

func channelReply(id, text string) core.Reply {
	return core.Reply{ID: id, Key: core.ConversationKey{Platform: Platform, Chat: guild.ChannelID, User: customer.ID},
		From: core.AuthorBot, Text: text, Created: time.Now()}
}

func TestSendSplitsRepliesAndAddsButtons(t *testing.T) {
	e := newEnv(t, nil)
	line := strings.Repeat("word ", 300) // 1,500 characters
	text := line + "\n" + line + "\n" + line + "🙂 @everyone"
	r := channelReply("1257300000000000010.r0", text)
	r.ReplyTo = "1257300000000000010"
	r.QuickReplies = []string{"Opening hours", "Where is my order?", "Returns", "a", "b", "c", strings.Repeat("long ", 30)}
	if err := e.a.Send(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	sent := e.fake.Sent()
	if len(sent) != 3 {
		t.Fatalf("sent %d parts, want 3", len(sent))
	}
	var parts []string
	nonces := map[string]bool{}
	for i, s := range sent {
		parts = append(parts, s.Content)
		nonces[s.Nonce] = true
		if (i == 0) != (s.ReplyTo == r.ReplyTo) {
			t.Errorf("part %d replies to %q", i, s.ReplyTo)
		}
		if (i == 2) != (len(s.Buttons) == 2) {
			t.Errorf("part %d has %d button rows", i, len(s.Buttons))
		}
		if s.AllowedParse == nil || len(s.AllowedParse) != 0 {
			t.Errorf("part %d may ping: allowed_mentions.parse = %v", i, s.AllowedParse)
		}
	}
	if strings.Join(parts, "\n") != text {
		t.Error("parts do not rebuild the text")
	}
	if len(nonces) != 3 {
		t.Error("parts share a nonce")
	}
	b := sent[2].Buttons
	if len(b[0]) != 5 || len(b[1]) != 2 || b[0][0].Label != "Opening hours" || b[0][0].CustomID != "qr:0:Opening hours" ||
		len([]rune(b[1][1].Label)) > 80 {
		t.Errorf("buttons %+v", b)
	}
}

// A resend of the same reply (as after a crash between Discord's answer and
// the outbox delete) is dropped by Discord thanks to the nonce.
func TestResendIsDeduplicatedByNonce(t *testing.T) {
	e := newEnv(t, nil)
	r := channelReply("1257300000000000011.r0", "hello")
	for range 2 {
		e.a.progress.Forget(r.ID) // a restarted process remembers nothing
		if err := e.a.Send(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(e.fake.Sent()); got != 1 || e.fake.NonceHits() != 1 {
		t.Fatalf("sent %d (nonce hits %d), want 1 (1)", got, e.fake.NonceHits())
	}
}

func TestSendErrors(t *testing.T) {
	tests := []struct {
		name       string
		fail       fakedc.Failure
		status     int
		permanent  bool
		retryAfter time.Duration
	}{
		{"rate limited", fakedc.Failure{Status: 429, RetryAfter: 1.5}, 429, false, 1500 * time.Millisecond},
		{"missing access", fakedc.Failure{Status: 403, Code: 50001, Message: "Missing Access"}, 403, true, 0},
		{"unknown channel", fakedc.Failure{Status: 404, Code: 10003, Message: "Unknown Channel"}, 404, true, 0},
		{"invalid body", fakedc.Failure{Status: 400, Code: 50035}, 400, true, 0},
		{"server error", fakedc.Failure{Status: 500}, 500, false, 0},
		{"bad token", fakedc.Failure{Status: 401}, 401, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.fake.Fail(fakedc.RouteMessages, 1, tt.fail)
			err := e.a.Send(t.Context(), channelReply("e.r0", "hello"))
			var se *core.SendError
			if !errors.As(err, &se) {
				t.Fatalf("Send = %v", err)
			}
			if se.Status != tt.status || se.Permanent != tt.permanent || se.RetryAfter != tt.retryAfter {
				t.Fatalf("SendError %+v", se)
			}
		})
	}
}

func TestSendRejectsBadReplies(t *testing.T) {
	e := newEnv(t, nil)
	for _, r := range []core.Reply{
		channelReply("b1", " \n "),
		{ID: "b2", Key: core.ConversationKey{Platform: "telegram", Chat: "1"}, Text: "x"},
		{ID: "b3", Key: core.ConversationKey{Platform: Platform, Chat: "general"}, Text: "x"},
	} {
		var se *core.SendError
		if err := e.a.Send(t.Context(), r); !errors.As(err, &se) || !se.Permanent {
			t.Errorf("Send(%s) = %v, want permanent", r.ID, err)
		}
	}
}

// handleGatewayMessage normalizes a MESSAGE_CREATE from testdata and hands
// it to the engine, as Run does.
func handleGatewayMessage(t *testing.T, h *harness, file string) {
	t.Helper()
	mc, err := decodeMessageCreate(readTestdata(t, file))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := normalize(mc, testBotID, testChannels)
	if !ok {
		t.Fatalf("%s not answered", file)
	}
	if _, err := h.Engine.Handle(t.Context(), m); err != nil {
		t.Fatal(err)
	}
}

// 429: the Dispatcher waits retry_after and the answer is delivered once.
func TestRateLimitedAnswerDeliveredOnce(t *testing.T) {
	h := newHarness(t)
	e := newEnv(t, h.Engine)
	e.fake.Fail(fakedc.RouteMessages, 1, fakedc.Failure{Status: 429, RetryAfter: 1})
	h.Start(t, e.a)
	start := time.Now()
	handleGatewayMessage(t, h, "message_dm.json")
	waitFor(t, 10*time.Second, "the answer", func() bool { return len(e.fake.Sent()) == 1 })
	if d := time.Since(start); d < time.Second {
		t.Errorf("delivered after %s, before retry_after", d)
	}
	time.Sleep(200 * time.Millisecond)
	if got := e.fake.Sent(); len(got) != 1 || got[0].Content != openingHours || e.fake.Calls(fakedc.RouteMessages) != 2 {
		t.Fatalf("sent %+v, calls %d", got, e.fake.Calls(fakedc.RouteMessages))
	}
}

// 403: the answer becomes a dead letter.
func TestForbiddenChannelGoesToDeadLetters(t *testing.T) {
	h := newHarness(t)
	e := newEnv(t, h.Engine)
	e.fake.FailChannel(testChannel, fakedc.Failure{Status: 403, Code: 50001, Message: "Missing Access"})
	h.Start(t, e.a)
	handleGatewayMessage(t, h, "message_support_channel.json")
	var dls []core.DeadLetter
	waitFor(t, 5*time.Second, "the dead letter", func() bool {
		var err error
		dls, err = h.Store.DeadLetters(t.Context(), 10)
		return err == nil && len(dls) == 1
	})
	if !strings.Contains(dls[0].Reason, "Missing Access") || e.fake.Calls(fakedc.RouteMessages) != 1 {
		t.Fatalf("dead letter %+v, calls %d", dls[0], e.fake.Calls(fakedc.RouteMessages))
	}
}

func TestNonceIsStableAndShort(t *testing.T) {
	a, b := nonce("x.r0", 0), nonce("x.r0", 0)
	if a != b || len(a) != 25 || nonce("x.r0", 1) == a || nonce("x.r1", 0) == a {
		t.Fatalf("nonces %q %q", a, b)
	}
}

// An agent's correction edits the channel message it corrects; one this
// process did not send goes out as a new message marked "(correction)".
func TestCorrectionEditsInPlace(t *testing.T) {
	e := newEnv(t, nil)
	orig := channelReply("agent.1", "Your refund is 50 EUR.")
	orig.From, orig.AgentName = core.AuthorAgent, "Ana"
	if err := e.a.Send(t.Context(), orig); err != nil {
		t.Fatal(err)
	}
	fix := channelReply("agent.1e", "Your refund is 55 EUR.")
	fix.From, fix.AgentName, fix.Corrects = core.AuthorAgent, "Ana", "agent.1"
	if err := e.a.Send(t.Context(), fix); err != nil {
		t.Fatal(err)
	}
	sent, edits := e.fake.Sent(), e.fake.Edits()
	if len(sent) != 1 || len(edits) != 1 || edits[0].ID != sent[0].ID || edits[0].Content != "Ana: Your refund is 55 EUR." {
		t.Fatalf("sent %+v, edits %+v", sent, edits)
	}
	unknown := channelReply("agent.9e", "Tomorrow, not today.")
	unknown.From, unknown.AgentName, unknown.Corrects = core.AuthorAgent, "Ana", "agent.9"
	if err := e.a.Send(t.Context(), unknown); err != nil {
		t.Fatal(err)
	}
	if sent := e.fake.Sent(); len(sent) != 2 || sent[1].Content != "(correction) Ana: Tomorrow, not today." {
		t.Fatalf("correction of an unknown message: %+v", sent)
	}
}
