package slack

import (
	"strings"
	"testing"
	"time"

	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

const openingHours = "We're open Monday to Friday"

// TestHandoffWebToSlack is the whole life cycle of a handoff of a web chat
// customer to an agent in Slack, on the real engine, store, sample bot and
// dispatcher.
func TestHandoffWebToSlack(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	tok := g.webSession()
	g.webSays(tok, "I want to talk to a person")
	caseTS := waitCase(t, g, 1)
	handoffContinues(t, g, tok, caseTS)
}

// TestHandoffSurvivesCrash crashes the gateway after the case was committed
// and before Slack accepted it (the first post failed, the retry was not
// due yet), reopens the store with a new dispatcher, and checks that the
// case is posted exactly once and the handoff goes on.
func TestHandoffSurvivesCrash(t *testing.T) {
	fake := newFake(t)
	path := dbPath(t)
	fake.Fail("chat.postMessage", "internal_error", 1)
	g := newGateway(t, fake, path, gatewayOptions{backoff: 1500 * time.Millisecond})
	tok := g.webSession()
	g.webSays(tok, "I want to talk to a person")
	eventually(t, "the first, failing, case post", func() bool { return fake.Calls("chat.postMessage") >= 1 })
	g.stop()
	if n := len(fake.Posts()); n != 0 {
		t.Fatalf("%d posts before the crash, want none", n)
	}

	g = newGateway(t, fake, path, gatewayOptions{})
	caseTS := waitCase(t, g, 1)
	time.Sleep(300 * time.Millisecond) // a second post would come now
	if n := len(casePosts(fake.Posts())); n != 1 {
		t.Fatalf("case posted %d times, want once", n)
	}
	if n := countFrom(g.webMessages(tok), "bot", "passing you"); n != 1 {
		t.Fatalf("handoff notice in the web chat %d times, want once", n)
	}
	handoffContinues(t, g, tok, caseTS)
}

// waitCase waits for the n-th case in the support channel and checks its
// shape; it returns the case's ts.
func waitCase(t *testing.T, g *gateway, n int) string {
	t.Helper()
	posts := g.waitPosts("the case", func(ps []slackfake.Post) bool { return len(casePosts(ps)) >= n })
	c := casePosts(posts)[n-1]
	eventually(t, "the case to be stored", func() bool {
		_, ok, err := g.slack.caseOf(t.Context(), testSupport, c.TS)
		return ok && err == nil
	})
	blocks := string(c.Blocks)
	for _, want := range []string{"*Web visitor ", "* on web", "customer asked for a person", "I want to talk to a person",
		"Waiting since:* \\u003c!date^", `"action_id":"switchboard_take"`, `"action_id":"switchboard_bot"`, `"action_id":"switchboard_close"`,
		"Waiting for an agent"} {
		if !strings.Contains(blocks, want) && !strings.Contains(c.Text, want) {
			t.Errorf("case lacks %q:\ntext %s\nblocks %s", want, c.Text, blocks)
		}
	}
	return c.TS
}

// handoffContinues drives a handed-off web conversation from the agent's
// first reply to the bot answering again.
func handoffContinues(t *testing.T, g *gateway, tok, caseTS string) {
	t.Helper()
	fake := g.fake

	// The agent answers in the thread: the customer gets it from "agent",
	// and the case shows the assignee.
	reply := g.agentSays(agentAna, caseTS, "Hi, Ana here &amp; happy to help")
	defer func() {
		if t.Failed() {
			t.Logf("web: %+v\nlogs:\n%s", g.webMessages(tok), g.logs.String())
		}
	}()
	eventually(t, "the agent's reply in the web chat", func() bool {
		for _, m := range g.webMessages(tok) {
			if m.From == "agent" && m.Text == "Hi, Ana here & happy to help" && m.AgentName == "Ana" {
				return true
			}
		}
		return false
	})
	eventually(t, "the case showing its assignee", func() bool {
		for _, u := range fake.Updates() {
			if u.TS == caseTS && strings.Contains(string(u.Blocks), "Assigned to *Ana*") {
				return true
			}
		}
		return false
	})

	// Slack retries the delivery: it is acknowledged, not relayed again.
	g.event(reply, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout")
	if n := countFrom(g.webMessages(tok), "agent", ""); n != 1 {
		t.Fatalf("agent reply in the web chat %d times after a retry, want once", n)
	}

	// The customer's next message is relayed into the thread, not answered.
	g.webSays(tok, "thanks <b>Ana</b>!")
	posts := g.waitPosts("the relay", func(ps []slackfake.Post) bool { return len(threadPosts(ps, caseTS)) >= 1 })
	relay := threadPosts(posts, caseTS)[0]
	if relay.Channel != testSupport || !strings.HasPrefix(relay.Text, "*Web visitor ") || !strings.HasSuffix(relay.Text, "*: thanks &lt;b&gt;Ana&lt;/b&gt;!") {
		t.Fatalf("relay = %+v", relay)
	}
	// Our own relay echoes back as an event with bot_id: ignored.
	g.event(fake.BotEcho(slackfake.Envelope{EventID: "EvEcho1"}, relay, "channel"))
	if n := countFrom(g.webMessages(tok), "agent", ""); n != 1 {
		t.Fatalf("the echo of the relay reached the customer")
	}

	// !bot gives the conversation back: the customer is told, the thread
	// gets a note, the case shows it.
	g.agentSays(agentAna, caseTS, "!bot")
	eventually(t, "the return notice in the web chat", func() bool {
		return countFrom(g.webMessages(tok), "bot", "bot again") == 1
	})
	g.waitPosts("the note in the thread", func(ps []slackfake.Post) bool {
		for _, p := range threadPosts(ps, caseTS) {
			if strings.Contains(p.Text, "Ana gave the conversation back to the bot.") {
				return true
			}
		}
		return false
	})
	eventually(t, "the case showing the return", func() bool {
		for _, u := range fake.Updates() {
			if u.TS == caseTS && strings.Contains(string(u.Blocks), "Back with the bot") {
				return true
			}
		}
		return false
	})

	// The bot answers again; an agent who writes in the thread now is not
	// lost: the case re-opens with Bo as its assignee.
	g.webSays(tok, "what are your opening hours")
	eventually(t, "the bot's answer", func() bool { return countFrom(g.webMessages(tok), "bot", openingHours) == 1 })
	g.agentSays(agentBo, caseTS, "hello? Bo here, I have news about your order")
	eventually(t, "Bo's reply after the return", func() bool {
		return countFrom(g.webMessages(tok), "agent", "Bo here, I have news") == 1
	})
	eventually(t, "the case showing Bo", func() bool {
		for _, u := range fake.Updates() {
			if u.TS == caseTS && strings.Contains(string(u.Blocks), "Assigned to *Bo*") {
				return true
			}
		}
		return false
	})
	// Ana chatting in Bo's case does not reach the customer; she is told.
	g.agentSays(agentAna, caseTS, "Bo, ping me if you need the refund form")
	eventually(t, "the hint to Ana", func() bool {
		for _, e := range fake.Ephemerals() {
			if e.User == agentAna && e.Channel == testSupport && e.ThreadTS == caseTS && strings.Contains(e.Text, "Bo is handling this case") {
				return true
			}
		}
		return false
	})
	if n := countFrom(g.webMessages(tok), "agent", "refund form"); n != 0 {
		t.Fatalf("a second agent's chatter reached the customer")
	}
}

// TestTakeButtonAndSecondCase: the Take button takes a conversation from
// the bot; a later handoff posts a new case and both threads reach the
// customer.
func TestTakeButtonAndSecondCase(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	tok := g.webSession()
	g.webSays(tok, "I want to talk to a person")
	first := waitCase(t, g, 1)
	g.agentSays(agentAna, first, "!bot")
	eventually(t, "the return notice", func() bool { return countFrom(g.webMessages(tok), "bot", "bot again") == 1 })

	// Bo presses Take on the old case: he owns the conversation again.
	press := slackfake.BlockActions(slackfake.Action{ActionID: actionTake, BlockID: "switchboard_case", ButtonText: "Take",
		Value: valueOfButton(t, g, first), UserID: agentBo, UserName: "bo", Channel: testSupport, MessageTS: first, ActionTS: g.nextTS()})
	if status, body := g.deliver("/webhooks/slack/interactive", press); status != 200 {
		t.Fatalf("Take answered %d %s", status, body)
	}
	if status, _ := g.deliver("/webhooks/slack/interactive", press); status != 200 {
		t.Fatalf("repeated Take answered %d", status)
	}
	eventually(t, "the case showing Bo", func() bool {
		for _, u := range g.fake.Updates() {
			if strings.Contains(string(u.Blocks), "Assigned to *Bo*") {
				return true
			}
		}
		return false
	})
	g.agentSays(agentBo, first, "Bo here")
	eventually(t, "Bo's reply", func() bool { return countFrom(g.webMessages(tok), "agent", "Bo here") == 1 })

	// Give back by button, then a second handoff opens a second case.
	back := slackfake.BlockActions(slackfake.Action{ActionID: actionGiveBack, ButtonText: "Give back to bot",
		Value: valueOfButton(t, g, first), UserID: agentBo, UserName: "bo", Channel: testSupport, MessageTS: first, ActionTS: g.nextTS()})
	if status, _ := g.deliver("/webhooks/slack/interactive", back); status != 200 {
		t.Fatalf("Give back answered %d", status)
	}
	eventually(t, "the second return notice", func() bool { return countFrom(g.webMessages(tok), "bot", "bot again") == 2 })
	g.webSays(tok, "I want to talk to a person")
	second := waitCase(t, g, 2)
	if second == first {
		t.Fatal("the second case reused the first message")
	}
	g.agentSays(agentAna, second, "Ana again")
	eventually(t, "the reply in the second case", func() bool { return countFrom(g.webMessages(tok), "agent", "Ana again") == 1 })
	g.agentSays(agentAna, first, "and from the old thread")
	eventually(t, "the reply in the first case", func() bool { return countFrom(g.webMessages(tok), "agent", "old thread") == 1 })
}

// valueOfButton returns the conversation a case message's buttons carry.
func valueOfButton(t *testing.T, g *gateway, caseTS string) string {
	t.Helper()
	for _, p := range g.fake.Posts() {
		if p.TS != caseTS {
			continue
		}
		b := string(p.Blocks)
		i := strings.Index(b, `"action_id":"switchboard_take"`)
		if i < 0 {
			break
		}
		rest := b[i:]
		j := strings.Index(rest, `"value":"`)
		if j < 0 {
			break
		}
		v := rest[j+len(`"value":"`):]
		return v[:strings.IndexByte(v, '"')]
	}
	t.Fatalf("no Take button on %s", caseTS)
	return ""
}
