package slack

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

// dm returns a direct message event from customer U_CUST in channel ch.
func (g *gateway) dm(ch, eventID, text string) ([]byte, string) {
	ts := g.nextTS()
	return slackfake.MessageEvent(slackfake.Envelope{EventID: eventID},
		slackfake.Msg{Channel: ch, ChannelType: "im", User: "U_CUST", Text: text, TS: ts}), ts
}

func TestSlackCustomerDirectMessage(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	body, _ := g.dm("D_CUST", "EvDM1", "what are your opening hours")
	g.event(body)
	posts := g.waitPosts("the answer", func(ps []slackfake.Post) bool { return len(ps) >= 1 })
	answer := posts[0]
	if answer.Channel != "D_CUST" || answer.ThreadTS != "" || !strings.Contains(answer.Text, openingHours) {
		t.Fatalf("answer = %+v", answer)
	}
	// Slack sends our answer back as a message event with bot_id, and
	// retries the customer's event: neither is answered.
	g.event(g.fake.BotEcho(slackfake.Envelope{EventID: "EvEcho"}, answer, "im"))
	g.event(body, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_error")
	time.Sleep(200 * time.Millisecond)
	if n := len(g.fake.Posts()); n != 1 {
		t.Fatalf("%d posts, want the one answer", n)
	}
	key := core.ConversationKey{Platform: "slack", Chat: "D_CUST", User: "U_CUST"}
	turns, err := g.st.Transcript(context.Background(), key, 10)
	if err != nil || len(turns) != 2 || turns[0].From != core.AuthorUser || turns[1].From != core.AuthorBot {
		t.Fatalf("transcript = %+v, %v", turns, err)
	}
	st, _, err := g.st.Load(context.Background(), key, nil)
	if err != nil || st.UserName != "Carla" {
		t.Fatalf("customer name = %q, %v; want Carla from users.info", st.UserName, err)
	}
}

// TestSlackCustomerMentionArrivesTwice: a mention in a channel comes as a
// message event and an app_mention event with different event ids; it is
// answered once, in the message's thread.
func TestSlackCustomerMentionArrivesTwice(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	ts := g.nextTS()
	m := slackfake.Msg{Channel: "C_GENERAL", ChannelType: "channel", User: "U_CUST", Text: "<@" + g.fake.BotUserID() + "> what are your opening hours", TS: ts}
	g.event(slackfake.AppMentionEvent(slackfake.Envelope{EventID: "EvMention"}, m))
	g.event(slackfake.MessageEvent(slackfake.Envelope{EventID: "EvMessage"}, m))
	g.waitPosts("the answer", func(ps []slackfake.Post) bool { return len(ps) >= 1 })
	time.Sleep(200 * time.Millisecond)
	posts := g.fake.Posts()
	if len(posts) != 1 {
		t.Fatalf("%d answers, want one: %+v", len(posts), posts)
	}
	if posts[0].Channel != "C_GENERAL" || posts[0].ThreadTS != ts || !strings.Contains(posts[0].Text, openingHours) {
		t.Fatalf("answer = %+v", posts[0])
	}
	// A channel message that does not mention the bot is not for it.
	g.event(slackfake.MessageEvent(slackfake.Envelope{EventID: "EvChatter"},
		slackfake.Msg{Channel: "C_GENERAL", ChannelType: "channel", User: "U_CUST", Text: "lunch?", TS: g.nextTS()}))
	time.Sleep(200 * time.Millisecond)
	if n := len(g.fake.Posts()); n != 1 {
		t.Fatalf("the bot answered channel chatter")
	}
}

// TestSlackCustomerQuickReplies: quick replies are buttons; pressing one
// sends its text as the customer's message.
func TestSlackCustomerQuickReplies(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	body, _ := g.dm("D_CUST", "EvHello", "hello")
	g.event(body)
	posts := g.waitPosts("the greeting", func(ps []slackfake.Post) bool { return len(ps) >= 1 })
	blocks := string(posts[0].Blocks)
	if !strings.Contains(blocks, `"action_id":"switchboard_reply_0"`) || !strings.Contains(blocks, `"value":"Opening hours"`) {
		t.Fatalf("greeting without quick-reply buttons: %s", blocks)
	}
	press := slackfake.BlockActions(slackfake.Action{ActionID: "switchboard_reply_0", BlockID: "switchboard_quick_replies",
		ButtonText: "Opening hours", Value: "Opening hours", UserID: "U_CUST", UserName: "carla", Channel: "D_CUST",
		MessageTS: posts[0].TS, ActionTS: g.nextTS()})
	for range 2 { // a repeated delivery is answered once
		if status, resp := g.deliver("/webhooks/slack/interactive", press); status != http.StatusOK {
			t.Fatalf("button press answered %d %s", status, resp)
		}
	}
	g.waitPosts("the answer", func(ps []slackfake.Post) bool { return len(ps) >= 2 })
	time.Sleep(200 * time.Millisecond)
	if posts = g.fake.Posts(); len(posts) != 2 || !strings.Contains(posts[1].Text, openingHours) || posts[1].Channel != "D_CUST" {
		t.Fatalf("posts after the press = %+v", posts)
	}
}

// TestSlackCustomerHandoff: a Slack customer handed to an agent gets the
// agent's reply with the agent's name.
func TestSlackCustomerHandoff(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	body, _ := g.dm("D_CUST", "EvHuman", "I want to talk to a person")
	g.event(body)
	posts := g.waitPosts("the case", func(ps []slackfake.Post) bool { return len(casePosts(ps)) == 1 })
	caseTS := casePosts(posts)[0].TS
	if !strings.Contains(string(casePosts(posts)[0].Blocks), "*Carla* on slack") {
		t.Fatalf("case = %s", casePosts(posts)[0].Blocks)
	}
	eventually(t, "the case to be stored", func() bool { _, ok, _ := g.slack.caseOf(context.Background(), testSupport, caseTS); return ok })
	g.agentSays(agentAna, caseTS, "Hello Carla, *Ana* here")
	g.waitPosts("the agent's reply", func(ps []slackfake.Post) bool {
		for _, p := range ps {
			if p.Channel == "D_CUST" && p.Text == "*Ana*: Hello Carla, Ana here" /* formatting becomes plain text on every platform */ {
				return true
			}
		}
		return false
	})
	body, _ = g.dm("D_CUST", "EvThanks", "thanks <3")
	g.event(body)
	g.waitPosts("the relay", func(ps []slackfake.Post) bool {
		for _, p := range threadPosts(ps, caseTS) {
			if p.Text == "*Carla*: thanks &lt;3" {
				return true
			}
		}
		return false
	})
}

// TestSendRateLimitedThenDelivered: a 429 with Retry-After delays the
// reply, which is then delivered once.
func TestSendRateLimitedThenDelivered(t *testing.T) {
	fake := newFake(t)
	fake.RateLimit("chat.postMessage", time.Second, 1)
	g := newGateway(t, fake, dbPath(t), gatewayOptions{})
	start := time.Now()
	body, _ := g.dm("D_CUST", "EvRL", "what are your opening hours")
	g.event(body)
	g.waitPosts("the answer", func(ps []slackfake.Post) bool { return len(ps) >= 1 })
	if waited := time.Since(start); waited < 900*time.Millisecond {
		t.Fatalf("delivered after %s, before Retry-After", waited)
	}
	time.Sleep(200 * time.Millisecond)
	if posts := fake.Posts(); len(posts) != 1 || fake.Calls("chat.postMessage") != 2 {
		t.Fatalf("posts %d, calls %d; want 1 and 2", len(posts), fake.Calls("chat.postMessage"))
	}
}

// TestSendChannelNotFoundIsDeadLetter: a permanent error moves the reply to
// the dead letters without retrying.
func TestSendChannelNotFoundIsDeadLetter(t *testing.T) {
	fake := newFake(t)
	fake.RemoveChannel("D_GONE")
	g := newGateway(t, fake, dbPath(t), gatewayOptions{})
	body, _ := g.dm("D_GONE", "EvGone", "what are your opening hours")
	g.event(body)
	var dl []core.DeadLetter
	eventually(t, "the dead letter", func() bool {
		dl, _ = g.st.DeadLetters(context.Background(), 10)
		return len(dl) == 1
	})
	if !strings.Contains(dl[0].Reason, "channel_not_found") || dl[0].Entry.Reply.Key.Chat != "D_GONE" {
		t.Fatalf("dead letter = %+v", dl[0])
	}
	if n := fake.Calls("chat.postMessage"); n != 1 {
		t.Fatalf("%d attempts, want 1", n)
	}
}

func TestWebhookRefusals(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	body, _ := g.dm("D_CUST", "EvSig", "what are your opening hours")
	post := func(mod func(*http.Request)) int {
		req, _ := slackfake.NewRequest(g.srv.URL+"/webhooks/slack", testSecret, time.Now(), body)
		mod(req)
		resp, err := g.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		name string
		mod  func(*http.Request)
		want int
	}{
		{"bad signature", func(r *http.Request) { r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32)) }, 401},
		{"signed with another secret", func(r *http.Request) {
			ts, sig := slackfake.Sign("not the secret", time.Now(), body)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", sig)
		}, 401},
		{"old timestamp", func(r *http.Request) {
			ts, sig := slackfake.Sign(testSecret, time.Now().Add(-6*time.Minute), body)
			r.Header.Set("X-Slack-Request-Timestamp", ts)
			r.Header.Set("X-Slack-Signature", sig)
		}, 401},
		{"unsigned", func(r *http.Request) { r.Header.Del("X-Slack-Signature") }, 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := post(c.mod); got != c.want {
				t.Fatalf("status %d, want %d", got, c.want)
			}
		})
	}
	status, resp := g.deliver("/webhooks/slack", []byte(`{"type":"url_verification","token":"x","challenge":"ch4ll3nge"}`))
	if status != http.StatusOK || !strings.Contains(resp, `"challenge":"ch4ll3nge"`) {
		t.Fatalf("url_verification: %d %s", status, resp)
	}
	if status, _ := g.deliver("/webhooks/slack", []byte("not json")); status != http.StatusBadRequest {
		t.Fatalf("garbage: %d", status)
	}
	// A replayed event within the window is answered once.
	g.event(body)
	g.event(body)
	g.waitPosts("the answer", func(ps []slackfake.Post) bool { return len(ps) >= 1 })
	time.Sleep(200 * time.Millisecond)
	if n := len(g.fake.Posts()); n != 1 {
		t.Fatalf("replayed event answered %d times", n)
	}
}
