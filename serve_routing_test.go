package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
)

// TestServeRoutingFromOutside runs the README's two-team shop through
// serve's HTTP routes only: agents go on duty with the signed slash command
// and "!on", customers write on the web chat and Telegram, cases are routed
// (a payment question to billing), assigned (round robin, least busy),
// queued beyond max_open_cases, transferred, and out of hours answered in
// English and Chinese; /metrics shows the teams. One clock, moved by the
// test, decides everything, at a fixed date in December 2026.
func TestServeRoutingFromOutside(t *testing.T) {
	const (
		slackToken = "xoxb-test-token"
		signing    = "slack-signing-secret"
		tgToken    = "123456:TEST-telegram-token"
		support    = "C_SUPPORT"
		billing    = "C_BILLING"
		ana, bo    = "U_ANA", "U_BO"
		cy         = "U_CY" // on duty in support, but away in Slack
	)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	clk := fakeclock.New(time.Date(2026, 12, 10, 10, 0, 0, 0, berlin)) // a Thursday, open
	sl := slackfake.New(slackfake.Options{Token: slackToken, Users: map[string]string{ana: "Ana", bo: "Bo", cy: "Cy"}, Now: clk.Now})
	defer sl.Close()
	sl.SetPresence(cy, true)
	tg := telegramfake.Start(tgToken)
	defer tg.Close()
	cfg := testConfig(t)
	cfg.Slack.Enabled, cfg.Slack.BotToken, cfg.Slack.SigningSecret, cfg.Slack.SupportChannel, cfg.Slack.APIURL =
		true, slackToken, signing, support, sl.APIURL()
	cfg.Telegram.Enabled, cfg.Telegram.Token, cfg.Telegram.SecretToken, cfg.Telegram.APIURL = true, tgToken, "tg-secret", tg.URL
	cfg.Handoff.IdleReturn, cfg.Handoff.UnassignedAlert = 0, 0
	cfg.Server.AdminToken = "admin-token-for-tests-0123456789abcdef"
	cfg.Handoff.Teams = []config.Team{
		{Name: "support", Channel: support, Assign: "round_robin", MaxOpenCases: 1, FollowPresence: true,
			Hours: &config.Hours{TimeZone: "Europe/Berlin", Weekly: map[string]string{"mon-fri": "09:00-18:00"}, Holidays: []string{"2026-12-24"}}},
		{Name: "billing", Channel: billing, Assign: "least_busy"},
	}
	cfg.Handoff.Routes = []config.Route{{When: config.RouteWhen{Intent: []string{"payment_methods"}}, Team: "billing"}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	base, _ := startServeWith(t, cfg, serveOptions{now: clk.Now, sweepEvery: 20 * time.Millisecond})
	h := &outside{t: t, base: base}
	var seq atomic.Int64
	ts := func() string { return fmt.Sprintf("%d.%06d", clk.Now().Unix(), 500000+seq.Add(1)) }
	slackSays := func(user, channel, thread, text string) {
		t.Helper()
		at := ts()
		body := slackfake.MessageEvent(slackfake.Envelope{EventID: "Ev" + strings.ReplaceAll(at, ".", "")},
			slackfake.Msg{Channel: channel, ChannelType: "channel", User: user, Text: text, TS: at, ThreadTS: thread, ParentUserID: slackfake.DefaultBotUserID})
		h.slackDelivers(signing, clk.Now, body)
	}
	waitPost := func(what string, cond func(slackfake.Post) bool) slackfake.Post {
		t.Helper()
		return h.waitSlackPost(sl, what, cond)
	}
	newCase := func(what, channel string, seen map[string]bool) slackfake.Post {
		t.Helper()
		p := waitPost(what, func(p slackfake.Post) bool {
			return p.Channel == channel && p.ThreadTS == "" && p.Blocks != nil && !seen[p.TS]
		})
		seen[p.TS] = true
		return p
	}
	mentioned := func(what, thread, user string) {
		t.Helper()
		waitPost(what, func(p slackfake.Post) bool { return p.ThreadTS == thread && strings.Contains(p.Text, "<@"+user+">") })
	}
	tgUser := telegramfake.User{ID: 4242, FirstName: "Tom", LanguageCode: "en"}
	tgUpdate := 5000
	tgSays := func(user telegramfake.User, text string) {
		t.Helper()
		tgUpdate++
		upd := telegramfake.TextUpdate(tgUpdate, tgUpdate, telegramfake.Private(user), user, text)
		code, body := h.send(mustReq(t)(telegramfake.NewWebhookRequest(context.Background(), base+"/webhooks/telegram", "tg-secret", upd)))
		if code != 200 {
			t.Fatalf("telegram webhook = %d %s", code, body)
		}
	}
	tgGot := func(chat int64, substr string) {
		t.Helper()
		h.eventually(fmt.Sprintf("telegram %d receiving %q", chat, substr), func() bool {
			for _, s := range tg.Sent() {
				if s.ChatID == chat && strings.Contains(s.Text, substr) {
					return true
				}
			}
			return false
		})
	}
	seen := map[string]bool{}

	// Ana goes on duty with the slash command, Bo with !on in #billing.
	req, err := slackfake.NewRequest(base+"/webhooks/slack/commands", signing, clk.Now(),
		slackfake.SlashCommandBody(slackfake.SlashCommand{Text: "on", UserID: ana, UserName: "ana", ChannelID: support}))
	if err != nil {
		t.Fatal(err)
	}
	code, body := h.send(req)
	var answer struct {
		Text string `json:"text"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &answer) != nil || !strings.Contains(answer.Text, "on duty for support") {
		t.Fatalf("slash command = %d %s", code, body)
	}
	forged, _ := slackfake.NewRequest(base+"/webhooks/slack/commands", "not-the-secret", clk.Now(),
		slackfake.SlashCommandBody(slackfake.SlashCommand{Text: "on", UserID: bo, ChannelID: support}))
	if code, _ := h.send(forged); code != 401 {
		t.Fatalf("forged slash command = %d, want 401", code)
	}
	slackSays(bo, billing, "", "!on")
	slackSays(cy, support, "", "!on")
	h.eventually("Bo's duty confirmation", func() bool {
		for _, e := range sl.Ephemerals() {
			if e.User == bo && strings.Contains(e.Text, "on duty for billing") {
				return true
			}
		}
		return false
	})

	// A web customer asks for a person: support, round robin → Ana.
	web1 := h.webSession()
	h.webSays(web1, "I want to talk to a person")
	h.waitWeb(web1, "bot", "passing you")
	case1 := newCase("the first web case", support, seen)
	mentioned("Ana's mention", case1.TS, ana)

	// A Telegram customer asks about payment, then for a person: billing → Bo.
	tgSays(tgUser, "what payment methods do you accept")
	tgGot(4242, "")
	tgSays(tgUser, "I want to talk to a person")
	tgGot(4242, "passing you")
	tgCase := newCase("the Telegram case in #billing", billing, seen)
	if !strings.Contains(string(tgCase.Blocks), "payment_methods") || !strings.Contains(string(tgCase.Blocks), "*Team:* billing") {
		t.Errorf("billing case: %s", tgCase.Blocks)
	}
	mentioned("Bo's mention", tgCase.TS, bo)
	slackSays(bo, billing, tgCase.TS, "Hi Tom, we take cards and PayPal.")
	tgGot(4242, "we take cards and PayPal")

	// Ana has max_open_cases (1) and Cy is away: the next web customer is
	// queued.
	web2 := h.webSession()
	h.webSays(web2, "I want to talk to a person")
	h.waitWeb(web2, "bot", "You are number 1 in the queue; the estimated wait is about 10 minutes.")
	case2 := newCase("the second web case", support, seen)

	// Ana transfers the first case to billing with a note: a new case
	// there linking the old thread, assigned to Bo; the customer is told.
	slackSays(ana, support, case1.TS, "!transfer billing wants a refund for order AB123456")
	moved := newCase("the transferred case in #billing", billing, seen)
	for _, want := range []string{"Transferred from* support (by Ana): wants a refund for order AB123456", "Previous case thread", "/archives/" + support + "/p"} {
		if !strings.Contains(string(moved.Blocks), want) {
			t.Errorf("transferred case lacks %q: %s", want, moved.Blocks)
		}
	}
	waitPost("the note in the old thread", func(p slackfake.Post) bool {
		return p.ThreadTS == case1.TS && strings.Contains(p.Text, "Ana transferred this case to team billing")
	})
	h.waitWeb(web1, "bot", "passed your conversation to our billing team")
	mentioned("Bo's mention in the transferred case", moved.TS, bo)
	// Ana is free again: the queued customer is offered to her.
	mentioned("Ana's mention in the queued case", case2.TS, ana)
	slackSays(bo, billing, moved.TS, "Refund is on its way.")
	h.waitWeb(web1, "agent", "Refund is on its way.")

	_, metrics := h.do("GET", "/metrics", "", "")
	for _, want := range []string{
		`switchboard_team_open_cases{team="billing"} 2`, `switchboard_team_open_cases{team="support"} 1`,
		`switchboard_team_agent_open_cases{agent="Bo",team="billing"} 2`, `switchboard_team_agent_open_cases{agent="Ana",team="support"} 1`,
		`switchboard_team_agents_on_duty{team="billing"} 1`, `switchboard_team_first_reply_seconds{quantile="0.5",team="billing"}`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(metrics, "switchboard_team"))
		}
	}

	cfgTeams := func() string {
		t.Helper()
		code, body := h.do("GET", "/admin/teams", "admin-token-for-tests-0123456789abcdef", "")
		if code != 200 {
			t.Fatalf("/admin/teams = %d %s", code, body)
		}
		return body
	}
	if body := cfgTeams(); !strings.Contains(body, `"name":"billing","channel":"C_BILLING","assign":"least_busy","open_cases":2`) ||
		!strings.Contains(body, `"agent_open_cases":{"Bo":2}`) || !strings.Contains(body, `"open_now":true`) {
		t.Errorf("/admin/teams: %s", body)
	}

	// Saturday: support is closed. The customer is told when it opens, in
	// English on the web and in Chinese on Telegram; the case is flagged.
	clk.Set(time.Date(2026, 12, 12, 11, 0, 0, 0, berlin))
	web3 := h.webSession()
	h.webSays(web3, "I want to talk to a person")
	h.waitWeb(web3, "bot", "Our team is away right now. We open again Monday 14 December, 09:00 (Europe/Berlin time)")
	late := newCase("the after-hours case", support, seen)
	if !strings.Contains(string(late.Blocks), "After hours") {
		t.Errorf("after-hours case not flagged: %s", late.Blocks)
	}
	li := telegramfake.User{ID: 8686, FirstName: "李", LanguageCode: "zh-hans"}
	tgSays(li, "我要人工客服")
	tgGot(8686, "我们将于12月14日（星期一）09:00（Europe/Berlin 时间）恢复服务")
}

func mustReq(t *testing.T) func(r *http.Request, err error) *http.Request {
	return func(r *http.Request, err error) *http.Request {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}
