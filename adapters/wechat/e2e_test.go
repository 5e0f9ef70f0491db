package wechat

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// sampleBot returns the real sample bot's Understander.
func sampleBot(t *testing.T) core.Understander {
	t.Helper()
	ctx := context.Background()
	bot, err := intents.Load(intents.Sample(), ".")
	if err != nil {
		t.Fatal(err)
	}
	u, err := intents.New(ctx, bot, intents.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var modes = []wechatfake.Mode{wechatfake.Plain, wechatfake.Compat, wechatfake.Safe}

// TestE2EPassiveAnswer: with the real engine, bolt store, dispatcher and
// sample bot, a text message gets its answer inside the HTTP response, in
// every encryption mode, and nothing goes by the customer-service API.
func TestE2EPassiveAnswer(t *testing.T) {
	u := sampleBot(t)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			h := newHarness(t, harnessOpts{u: u, mode: mode})
			start := time.Now()
			_, status, body := h.text("oUser1", "你好")
			got := h.passive(status, body)
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("passive answer took %s", el)
			}
			mustContain(t, got, "有什么")     // both Chinese greeting variants
			mustContain(t, got, "1. 营业时间") // quick replies as a numbered list

			// The customer answers with a number: it means that quick reply.
			_, status, body = h.text("oUser1", "1")
			mustContain(t, h.passive(status, body), "营业")
			h.drain()
			if n := len(h.fake.Sent()); n != 0 {
				t.Errorf("%d customer-service messages, want 0 (answers went passively)", n)
			}
			turns, err := h.store.Transcript(context.Background(), core.ConversationKey{Platform: Platform, Chat: "oUser1", User: "oUser1"}, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(turns) != 4 || turns[2].Text != "营业时间" || turns[2].Intent != "opening_hours" {
				t.Errorf("transcript = %+v, want 4 turns with the third '营业时间' (opening_hours)", turns)
			}
		})
	}
}

// TestE2ESlowAnswer: an answer that is not ready within the budget is
// acknowledged with "success" (empty when encrypted) and sent once by the
// customer-service API; WeChat's retries of the same MsgId, during and after,
// get no second answer.
func TestE2ESlowAnswer(t *testing.T) {
	u := sampleBot(t)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			s := &slow{u: u, d: 400 * time.Millisecond}
			h := newHarness(t, harnessOpts{u: s, mode: mode, cfg: func(c *Config) { c.ReplyBudget = 100 * time.Millisecond }})
			m := wechatfake.Text("oSlow", 6054768590064713728, "营业时间")

			var wg sync.WaitGroup
			statuses := make([]int, 2)
			bodies := make([][]byte, 2)
			wg.Go(func() { statuses[0], bodies[0] = h.push(m) })
			time.Sleep(150 * time.Millisecond) // the retry arrives while the first is being handled
			wg.Go(func() { statuses[1], bodies[1] = h.push(m) })
			wg.Wait()
			h.acked(statuses[0], bodies[0])
			h.acked(statuses[1], bodies[1])

			sent := h.waitSent(1)
			if sent[0].OpenID != "oSlow" || !strings.Contains(sent[0].Text, "营业") {
				t.Errorf("sent %+v, want the opening hours to oSlow", sent[0])
			}
			// A retry after the answer went out.
			h.acked(h.push(m))
			h.drain()
			time.Sleep(100 * time.Millisecond)
			if n := len(h.fake.Sent()); n != 1 {
				t.Errorf("%d customer-service messages, want exactly 1: %+v", n, h.fake.Sent())
			}
			if n := s.calls.Load(); n != 1 {
				t.Errorf("the bot was asked %d times, want 1", n)
			}
			if n := h.adapter.passive.waiters(); n != 0 {
				t.Errorf("%d waiters left", n)
			}
		})
	}
}

// TestE2EDispatcherLate: the answer is committed at once but the outbox
// sends it only after the budget: "success" now, one custom message later.
func TestE2EDispatcherLate(t *testing.T) {
	h := newHarness(t, harnessOpts{u: sampleBot(t), mode: wechatfake.Safe, noDispatcher: true,
		cfg: func(c *Config) { c.ReplyBudget = 80 * time.Millisecond }})
	start := time.Now()
	_, status, body := h.text("oLate", "你好")
	h.acked(status, body)
	if el := time.Since(start); el < 80*time.Millisecond || el > time.Second {
		t.Errorf("acknowledged after %s, want just after the 80ms budget", el)
	}
	h.dispatch()
	sent := h.waitSent(1)
	mustContain(t, sent[0].Text, "有什么")
	h.drain()
	if n := len(h.fake.Sent()); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
}

// mediaAck is the engine's answer to a message without words.
const mediaAck = "Thanks, I received it. I can only read text, though: please tell me in words what you need."

// TestE2EOtherTypes: images, voice, locations and links are handled with a
// Note instead of being dropped (acknowledged, not sent to the bot as an
// empty question); subscribe is greeted; other events only acknowledged.
func TestE2EOtherTypes(t *testing.T) {
	h := newHarness(t, harnessOpts{mode: wechatfake.Safe})
	tests := []struct {
		name      string
		in        wechatfake.Inbound
		wantReply string // "" = acknowledged only
	}{
		{"image", wechatfake.Inbound{MsgType: "image", MsgID: 11, PicURL: "http://mmbiz.qpic.cn/x.jpg", MediaID: "m1"}, mediaAck}, // no words: acknowledged (core.NoticeNoText), the note is in the transcript
		{"voice with recognition", wechatfake.Inbound{MsgType: "voice", MsgID: 12, MediaID: "m2", Format: "amr", Recognition: "我的订单在哪"}, "echo: 我的订单在哪"},
		{"voice without", wechatfake.Inbound{MsgType: "voice", MsgID: 13, MediaID: "m3", Format: "amr"}, mediaAck},                                       // no words: acknowledged (core.NoticeNoText), the note is in the transcript
		{"location", wechatfake.Inbound{MsgType: "location", MsgID: 14, LocationX: 23.134521, LocationY: 113.358803, Scale: 20, Label: "广州市"}, mediaAck}, // no words: acknowledged (core.NoticeNoText), the note is in the transcript
		{"link", wechatfake.Inbound{MsgType: "link", MsgID: 15, Title: "Docs", Description: "d", URL: "https://example.com/a"}, mediaAck},                // no words: acknowledged (core.NoticeNoText), the note is in the transcript
		{"shortvideo", wechatfake.Inbound{MsgType: "shortvideo", MsgID: 16, MediaID: "m4"}, mediaAck},                                                    // no words: acknowledged (core.NoticeNoText), the note is in the transcript
		{"subscribe", wechatfake.Event("", "subscribe", 1700000000), "echo: 你好"},
		{"subscribe retried", wechatfake.Event("", "subscribe", 1700000000), ""},
		{"unsubscribe", wechatfake.Event("", "unsubscribe", 1700000001), ""},
		{"menu click", wechatfake.Inbound{MsgType: "event", Event: "CLICK", EventKey: "V1001", CreateTime: 1700000002}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.OpenID = "oTypes"
			status, body := h.push(tt.in)
			if tt.wantReply == "" {
				h.acked(status, body)
				return
			}
			if got := h.passive(status, body); got != tt.wantReply {
				t.Errorf("reply %q, want %q", got, tt.wantReply)
			}
		})
	}
	turns, err := h.store.Transcript(context.Background(), core.ConversationKey{Platform: Platform, Chat: "oTypes", User: "oTypes"}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(turns) != 14 { // 7 handled pushes, each with one answer
		t.Errorf("%d transcript turns, want 14", len(turns))
	}
	var user []string
	for _, turn := range turns {
		if turn.From == core.AuthorUser {
			user = append(user, turn.Text)
		}
	}
	for _, note := range []string{"[image] http://mmbiz.qpic.cn/x.jpg", "[voice message]", "[location] 广州市 (23.134521, 113.358803)", "[link] Docs https://example.com/a", "[video]"} {
		if !slices.Contains(user, note) {
			t.Errorf("transcript lacks the note %q: %q", note, user)
		}
	}
}

// TestE2EMultipleReplies: several replies to one message are joined into
// the one passive message WeChat allows, up to MaxTextBytes; a long reply
// sends its first part passively and the rest by the API, each part once.
func TestE2EMultipleReplies(t *testing.T) {
	long := strings.Repeat("长", 1000) // 3,000 bytes
	u := replyFunc(func(in core.Input) []core.ReplyText {
		switch in.Text {
		case "three":
			return []core.ReplyText{{Text: "one"}, {Text: "two", QuickReplies: []string{"A", "B"}}, {Text: "three"}}
		case "long":
			return []core.ReplyText{{Text: long}, {Text: "after"}}
		case "big":
			return []core.ReplyText{{Text: strings.Repeat("a", 1500)}, {Text: strings.Repeat("b", 1500)}}
		}
		return nil
	})
	h := newHarness(t, harnessOpts{u: u, mode: wechatfake.Compat})

	_, status, body := h.text("oMulti", "three")
	if got, want := h.passive(status, body), "one\n\ntwo\n\n1. A\n2. B"; got != want {
		t.Errorf("passive = %q, want %q", got, want)
	}
	h.drain()
	sent := h.fake.Sent()
	if len(sent) != 1 || sent[0].Text != "three" {
		t.Errorf("custom messages %+v, want only \"three\"", sent)
	}

	_, status, body = h.text("oMulti", "long")
	first := h.passive(status, body)
	h.drain()
	sent = h.fake.Sent()[1:]
	if len(sent) != 2 || first+sent[0].Text != long || sent[1].Text != "after" {
		t.Errorf("passive %d bytes + custom %+v, want the long reply in two parts then \"after\"", len(first), sent)
	}

	_, status, body = h.text("oMulti", "big")
	if got := h.passive(status, body); got != strings.Repeat("a", 1500) {
		t.Errorf("passive has %d bytes, want the first reply only", len(got))
	}
	h.drain()
	if sent := h.fake.Sent(); len(sent) != 4 || sent[3].Text != strings.Repeat("b", 1500) {
		t.Errorf("want the second big reply by the API, got %d messages", len(sent))
	}
}

// TestE2EEngineFailure: when the engine fails, WeChat gets a 500 and retries.
func TestE2EEngineFailure(t *testing.T) {
	h := newHarness(t, harnessOpts{u: failing{}})
	_, status, _ := h.text("oFail", "hi")
	if status != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", status)
	}
	if n := h.adapter.passive.waiters(); n != 0 {
		t.Errorf("%d waiters left", n)
	}
}

type failing struct{}

func (failing) Understand(context.Context, core.Input) (core.Decision, error) {
	return core.Decision{}, context.DeadlineExceeded
}
