package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/fakeclock"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

// TestServeHandoffFromOutside drives a handoff the way its users do, only
// through serve's HTTP routes: a customer on the web chat, agents in Slack
// (signed Events API requests against the fake Slack Web API), and the one
// clock of the process moved by the test (idle return, its warning and the
// reminder are decided by it, at a date years from today).
func TestServeHandoffFromOutside(t *testing.T) {
	const (
		slackToken = "xoxb-test-token"
		signing    = "slack-signing-secret"
		support    = "C_SUPPORT"
		ana, bo    = "U_ANA", "U_BO"
	)
	clk := fakeclock.New(fakeclock.Bases()[2])
	sl := slackfake.New(slackfake.Options{Token: slackToken, Users: map[string]string{ana: "Ana", bo: "Bo"}, Now: clk.Now})
	defer sl.Close()
	cfg := testConfig(t)
	cfg.Slack.Enabled, cfg.Slack.BotToken, cfg.Slack.SigningSecret, cfg.Slack.SupportChannel, cfg.Slack.APIURL =
		true, slackToken, signing, support, sl.APIURL()
	cfg.Handoff.IdleReturn, cfg.Handoff.IdleWarning, cfg.Handoff.UnassignedAlert = 30*time.Minute, 5*time.Minute, 10*time.Minute
	cfg.Handoff.Notify = "<!subteam^S0SUPPORT>"
	cfg.Server.PublicURL = "https://bot.example"
	base, _ := startServeWith(t, cfg, serveOptions{now: clk.Now, sweepEvery: 20 * time.Millisecond})

	h := &outside{t: t, base: base}
	var seq atomic.Int64
	// Agents' messages get ts values apart from the fake's own posts.
	ts := func() string { return fmt.Sprintf("%d.%06d", clk.Now().Unix(), 500000+seq.Add(1)) }
	agentSays := func(user, thread, text string) string {
		t.Helper()
		at := ts()
		body := slackfake.MessageEvent(slackfake.Envelope{EventID: "Ev" + strings.ReplaceAll(at, ".", "")},
			slackfake.Msg{Channel: support, ChannelType: "channel", User: user, Text: text, TS: at, ThreadTS: thread, ParentUserID: slackfake.DefaultBotUserID})
		h.slackDelivers(signing, clk.Now, body)
		return at
	}
	waitPost := func(what string, cond func(slackfake.Post) bool) slackfake.Post {
		t.Helper()
		return h.waitSlackPost(sl, what, cond)
	}
	waitUpdate := func(what, ts string) {
		t.Helper()
		h.eventually(what, func() bool {
			for _, u := range sl.Updates() {
				if u.TS == ts && strings.Contains(string(u.Blocks), what) {
					return true
				}
			}
			return false
		})
	}

	// A web customer asks for a person: a case appears in the channel.
	cust := h.webSession()
	h.webSays(cust, "where is my order AB123456")
	h.webSays(cust, "I want to talk to a person")
	h.waitWeb(cust, "bot", "passing you")
	casePost := waitPost("the case", func(p slackfake.Post) bool { return p.Channel == support && p.ThreadTS == "" && p.Blocks != nil })
	for _, want := range []string{"*Web visitor ", "order_id: AB123456", "talk_to_human", "Full transcript", "switchboard_close"} {
		if !strings.Contains(string(casePost.Blocks), want) {
			t.Errorf("case message lacks %q: %s", want, casePost.Blocks)
		}
	}
	caseTS := casePost.TS

	// Ana answers with a link, a mention-free emoji and Slack formatting.
	first := agentSays(ana, caseTS, "Hi, Ana here. Your parcel: <https://track.example/p?id=1&amp;x=2|tracking link> *today*")
	h.waitWeb(cust, "agent", "tracking link")
	waitUpdate("Assigned to *Ana*", caseTS)

	// She corrects it a minute later: the customer's chat shows the new text.
	clk.Add(time.Minute)
	edit := slackfake.MessageChangedEvent(slackfake.Envelope{EventID: "EvEdit1"},
		slackfake.Msg{Channel: support, ChannelType: "channel", User: ana, Text: "Hi, Ana here. Your parcel arrives *tomorrow*", TS: first, ThreadTS: caseTS, ParentUserID: slackfake.DefaultBotUserID},
		slackfake.Msg{Channel: support, ChannelType: "channel", User: ana, Text: "Hi, Ana here. Your parcel: <https://track.example/p?id=1&amp;x=2|tracking link> *today*", TS: first, ThreadTS: caseTS},
		ts())
	h.slackDelivers(signing, clk.Now, edit)
	h.waitWeb(cust, "agent", "Your parcel arrives tomorrow")
	if n := h.countWeb(cust, "agent", "tracking link"); n != 0 {
		t.Errorf("the corrected message still shows in the chat history (%d)", n)
	}

	// The customer answers: relayed into the thread.
	h.webSays(cust, "thanks, that helps")
	waitPost("the relay", func(p slackfake.Post) bool {
		return p.ThreadTS == caseTS && strings.HasSuffix(p.Text, "*: thanks, that helps")
	})

	// Bo talks to Ana in the thread: not relayed; Bo gets a hint.
	agentSays(bo, caseTS, "Ana, the warehouse says it left yesterday")
	h.eventually("the hint to Bo", func() bool {
		for _, e := range sl.Ephemerals() {
			if e.User == bo && strings.Contains(e.Text, "Ana is handling this case") {
				return true
			}
		}
		return false
	})
	if h.countWeb(cust, "agent", "warehouse") != 0 {
		t.Fatal("a second agent's chatter reached the customer")
	}

	// Nothing happens for 26 minutes: the thread is warned; 5 more: the
	// conversation returns to the bot and the customer is told.
	clk.Add(26 * time.Minute)
	waitPost("the idle warning", func(p slackfake.Post) bool {
		return p.ThreadTS == caseTS && strings.Contains(p.Text, "returns to the bot in 4m0s unless someone replies")
	})
	clk.Add(5 * time.Minute)
	h.waitWeb(cust, "bot", "chatting with our bot again")
	waitUpdate("Back with the bot", caseTS)

	// Ana's late reply is not lost: the case re-opens and it is delivered.
	agentSays(ana, caseTS, "Sorry for the wait: it arrives tomorrow.")
	h.waitWeb(cust, "agent", "it arrives tomorrow")
	waitUpdate("Assigned to *Ana*", caseTS)

	// A third customer waits 10 minutes without an agent: the reminder is
	// shown to the whole channel, mentioning the support group.
	third := h.webSession()
	h.webSays(third, "I want to talk to a person")
	h.waitWeb(third, "bot", "passing you")
	thirdCase := waitPost("the third case", func(p slackfake.Post) bool {
		return p.Channel == support && p.ThreadTS == "" && p.Blocks != nil && p.TS != caseTS
	})
	clk.Add(10 * time.Minute)
	waitPost("the reminder", func(p slackfake.Post) bool {
		return p.ThreadTS == thirdCase.TS && p.Broadcast && strings.HasPrefix(p.Text, "<!subteam^S0SUPPORT> ") && strings.Contains(p.Text, "waited 10m0s")
	})

	// A second customer's case cannot be posted (the bot was removed from
	// the channel): the customer is told nobody is available, not left
	// waiting, and operators see it in /metrics.
	sl.Fail("chat.postMessage", "not_in_channel", 1)
	other := h.webSession()
	h.webSays(other, "I want to talk to a person")
	h.waitWeb(other, "bot", "can't join this chat right now")
	h.webSays(other, "what are your opening hours")
	h.waitWeb(other, "bot", "We're open Monday to Friday")
	_, metrics := h.do("GET", "/metrics", "", "")
	if !strings.Contains(metrics, `switchboard_handoff_case_failures_total{platform="slack"} 1`) {
		t.Errorf("/metrics does not count the failed case:\n%s", grepLines(metrics, "switchboard_handoff"))
	}
}

// slackDelivers posts a signed Events API request like Slack: an answer
// other than 200 is retried (up to 3 times, with X-Slack-Retry-Num).
func (o *outside) slackDelivers(signing string, now func() time.Time, body []byte) {
	o.t.Helper()
	for try := 0; ; try++ {
		req, err := slackfake.NewRequest(o.base+"/webhooks/slack", signing, now(), body)
		if err != nil {
			o.t.Fatal(err)
		}
		if try > 0 {
			req.Header.Set("X-Slack-Retry-Num", fmt.Sprint(try))
			req.Header.Set("X-Slack-Retry-Reason", "http_error")
		}
		code, b := o.send(req)
		if code == 200 {
			return
		}
		if try == 3 {
			o.t.Fatalf("slack event answered %d %s after %d retries", code, b, try)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitSlackPost waits for a post to the fake Slack that satisfies cond and
// returns it; on timeout it fails the test listing every post.
func (o *outside) waitSlackPost(sl *slackfake.Server, what string, cond func(slackfake.Post) bool) slackfake.Post {
	o.t.Helper()
	var found slackfake.Post
	if _, ok := sl.WaitPosts(10*time.Second, func(ps []slackfake.Post) bool {
		for _, p := range ps {
			if cond(p) {
				found = p
				return true
			}
		}
		return false
	}); !ok {
		var texts []string
		for _, p := range sl.Posts() {
			texts = append(texts, fmt.Sprintf("[%s %s thread=%s broadcast=%v] %s", p.Channel, p.TS, p.ThreadTS, p.Broadcast, p.Text))
		}
		o.t.Fatalf("timed out waiting for %s; posts:\n%s", what, strings.Join(texts, "\n"))
	}
	return found
}

// outside is a client of serve's public routes.
type outside struct {
	t    *testing.T
	base string
}

func (o *outside) send(req *http.Request) (int, string) {
	o.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		o.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (o *outside) do(method, path, token, body string) (int, string) {
	o.t.Helper()
	req, err := http.NewRequest(method, o.base+path, strings.NewReader(body))
	if err != nil {
		o.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return o.send(req)
}

func (o *outside) webSession() string {
	o.t.Helper()
	code, body := o.do("POST", "/api/web/session", "", "")
	var s struct{ Token string }
	if code != 201 || json.Unmarshal([]byte(body), &s) != nil || s.Token == "" {
		o.t.Fatalf("web session = %d %s", code, body)
	}
	return s.Token
}

func (o *outside) webSays(token, text string) {
	o.t.Helper()
	b, _ := json.Marshal(map[string]string{"text": text, "client_id": fmt.Sprintf("c%d", time.Now().UnixNano())})
	if code, body := o.do("POST", "/api/web/messages", token, string(b)); code != 202 {
		o.t.Fatalf("web message = %d %s", code, body)
	}
}

type webMessage struct{ From, Text, AgentName string }

func (o *outside) webMessages(token string) []webMessage {
	o.t.Helper()
	_, body := o.do("GET", "/api/web/messages", token, "")
	var got struct{ Messages []webMessage }
	_ = json.Unmarshal([]byte(body), &got)
	return got.Messages
}

func (o *outside) countWeb(token, from, substr string) int {
	n := 0
	for _, m := range o.webMessages(token) {
		if m.From == from && strings.Contains(m.Text, substr) {
			n++
		}
	}
	return n
}

func (o *outside) waitWeb(token, from, substr string) {
	o.t.Helper()
	o.eventually(fmt.Sprintf("%s saying %q in the web chat", from, substr), func() bool { return o.countWeb(token, from, substr) > 0 })
}

func (o *outside) eventually(what string, cond func() bool) {
	o.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	o.t.Fatalf("timed out waiting for %s", what)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
