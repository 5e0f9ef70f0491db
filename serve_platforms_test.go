package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	discordfake "github.com/switchboard-gw/switchboard/internal/fakes/discord"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
	wechatfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
)

// TestServeAllPlatforms runs serve with every platform enabled, each
// pointed at its fake API through api_url, and checks the wiring: a customer
// on each platform asks the sample bot a question through the real webhook
// route and gets the answer once, through the platform's official client
// library.
func TestServeAllPlatforms(t *testing.T) {
	const (
		tgToken    = "123456:TEST-telegram-token"
		slackToken = "xoxb-test-token"
		signing    = "slack-signing-secret"
		wxToken    = "wechatServerToken1"
		aesKey     = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	)
	tg := telegramfake.Start(tgToken)
	defer tg.Close()
	dc := discordfake.Start("discord-bot-token", "111111111111111111")
	defer dc.Close()
	sl := slackfake.New(slackfake.Options{Token: slackToken, Users: map[string]string{"U_CUST": "Carla", "U_ANA": "Ana"}})
	defer sl.Close()
	wx := wechatfake.NewServer(wechatfake.Options{AppID: "wxappid0001", AppSecret: "wx-secret"})
	defer wx.Close()
	signer := discordfake.NewSigner()

	cfg := testConfig(t)
	cfg.Telegram.Enabled, cfg.Telegram.Token, cfg.Telegram.SecretToken, cfg.Telegram.APIURL = true, tgToken, "tg-secret", tg.URL
	cfg.Discord.Enabled, cfg.Discord.Token, cfg.Discord.ApplicationID, cfg.Discord.PublicKey, cfg.Discord.APIURL =
		true, "discord-bot-token", "111111111111111111", signer.PublicKeyHex(), dc.URL+"/"
	cfg.Slack.Enabled, cfg.Slack.BotToken, cfg.Slack.SigningSecret, cfg.Slack.SupportChannel, cfg.Slack.APIURL =
		true, slackToken, signing, "C_SUPPORT", sl.APIURL()
	cfg.WeChat.Enabled, cfg.WeChat.AppID, cfg.WeChat.AppSecret, cfg.WeChat.Token, cfg.WeChat.EncodingAESKey, cfg.WeChat.APIURL =
		true, "wxappid0001", "wx-secret", wxToken, aesKey, wx.URL
	if err := errors.Join(cfg.Validate(), validatePlatforms(cfg)); err != nil {
		t.Fatal(err)
	}

	base, stop := startServe(t, cfg)
	ctx := context.Background()
	const question = "what are your opening hours"
	const answer = "We're open Monday to Friday"
	waitFor := func(what string, cond func() bool) {
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if cond() {
				return
			}
		}
		panic("timed out waiting for " + what) // fails the test with a stack
	}
	post := func(req *http.Request, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	t.Run("telegram", func(t *testing.T) {
		user := telegramfake.User{ID: 4242, FirstName: "Tom"}
		upd := telegramfake.TextUpdate(1001, 7, telegramfake.Private(user), user, question)
		for range 2 { // Telegram redelivers until acknowledged: answered once
			if code, body := post(telegramfake.NewWebhookRequest(ctx, base+"/webhooks/telegram", "tg-secret", upd)); code != 200 {
				t.Fatalf("webhook = %d %s", code, body)
			}
		}
		if code, _ := post(telegramfake.NewWebhookRequest(ctx, base+"/webhooks/telegram", "wrong", upd)); code != 401 {
			t.Fatalf("wrong secret token = %d, want 401", code)
		}
		waitFor("telegram answer", func() bool { return len(tg.Sent()) == 1 })
		time.Sleep(100 * time.Millisecond)
		if s := tg.Sent(); len(s) != 1 || !strings.Contains(s[0].Text, answer) || s[0].ChatID != 4242 {
			t.Fatalf("telegram sent %+v", s)
		}
	})
	t.Run("slack", func(t *testing.T) {
		body := slackfake.MessageEvent(slackfake.Envelope{EventID: "Ev1"},
			slackfake.Msg{Channel: "D_CUST", ChannelType: "im", User: "U_CUST", Text: question, TS: "1700000000.000100"})
		for range 2 {
			if code, b := post(slackfake.NewRequest(base+"/webhooks/slack", signing, time.Now(), body)); code != 200 {
				t.Fatalf("slack webhook = %d %s", code, b)
			}
		}
		if code, _ := post(slackfake.NewRequest(base+"/webhooks/slack", "wrong-secret", time.Now(), body)); code != 401 {
			t.Fatalf("bad signature = %d, want 401", code)
		}
		var got []slackfake.Post
		waitFor("slack answer", func() bool { got = sl.Posts(); return len(got) == 1 })
		if !strings.Contains(got[0].Text, answer) || got[0].Channel != "D_CUST" {
			t.Fatalf("slack posts %+v", got)
		}
	})
	t.Run("discord", func(t *testing.T) {
		it := dc.Ask(discordfake.Where{ChannelID: "222222222222222222", GuildID: "333333333333333333"},
			discordfake.User{ID: "444444444444444444", Username: "dora"}, question)
		resp, err := dc.Deliver(ctx, http.DefaultClient, base+"/webhooks/discord", signer, it)
		if err != nil || resp.Status != 200 || resp.Type != 5 {
			t.Fatalf("interaction: %+v %v (want a deferred response, type 5)", resp, err)
		}
		var got []discordfake.Sent
		waitFor("discord follow-up", func() bool { got = dc.Sent(); return len(got) == 1 })
		if !strings.Contains(got[0].Content, answer) || got[0].Kind != "followup" {
			t.Fatalf("discord sent %+v", got)
		}
	})
	t.Run("wechat", func(t *testing.T) {
		p := wechatfake.Pusher{Token: wxToken, AppID: "wxappid0001", EncodingAESKey: aesKey, Mode: wechatfake.Safe}
		req, err := p.Push(ctx, base+"/webhooks/wechat", wechatfake.Text("oCustomer", 9001, question))
		code, body := post(req, err)
		if code != 200 {
			t.Fatalf("wechat push = %d %s", code, body)
		}
		var text string
		if body != "" {
			r, err := p.DecodeReply([]byte(body))
			if err != nil {
				t.Fatalf("passive reply: %v", err)
			}
			text = r.Content
		} else { // answered by the customer-service API (slow machine)
			waitFor("wechat custom message", func() bool { return len(wx.SentTo("oCustomer")) == 1 })
			text = wx.SentTo("oCustomer")[0].Text
		}
		if !strings.Contains(text, "We're open") {
			t.Fatalf("wechat answer %q", text)
		}
	})

	// Handoff across platforms: a Telegram customer asks for a person, the
	// case appears in the Slack support channel, an agent answers in its
	// thread, and the customer gets the answer on Telegram with her name.
	// The rejected requests above are counted per platform in /metrics.
	t.Run("rejections in metrics", func(t *testing.T) {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{
			`switchboard_http_requests_total{code="401",route="/webhooks/slack"} 1`,
			`switchboard_http_requests_total{code="401",route="/webhooks/telegram"} 1`,
			`switchboard_http_requests_total{code="200",route="/webhooks/telegram"} 2`,
		} {
			if !strings.Contains(string(b), want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
	t.Run("telegram customer handed to a Slack agent", func(t *testing.T) {
		user := telegramfake.User{ID: 5151, FirstName: "Tina"}
		upd := telegramfake.TextUpdate(2001, 9, telegramfake.Private(user), user, "I want to talk to a person")
		if code, body := post(telegramfake.NewWebhookRequest(ctx, base+"/webhooks/telegram", "tg-secret", upd)); code != 200 {
			t.Fatalf("webhook = %d %s", code, body)
		}
		var cs slackfake.Post
		waitFor("the case in C_SUPPORT", func() bool {
			for _, p := range sl.Posts() {
				if p.Channel == "C_SUPPORT" && p.ThreadTS == "" {
					cs = p
					return true
				}
			}
			return false
		})
		if !strings.Contains(cs.Text, "telegram") {
			t.Fatalf("case text %q does not say where the customer is", cs.Text)
		}
		reply := slackfake.MessageEvent(slackfake.Envelope{EventID: "EvAgent1"}, slackfake.Msg{Channel: "C_SUPPORT",
			ChannelType: "channel", User: "U_ANA", Text: "Hi Tina, I'm checking your order.", TS: "1700000100.000200", ThreadTS: cs.TS, ParentUserID: sl.BotUserID()})
		// Like Slack, redeliver until acknowledged: the case's thread is
		// mapped just after chat.postMessage returns, and an event that
		// races ahead of that gets a 500 so that it is retried.
		for i := 0; ; i++ {
			code, b := post(slackfake.NewRequest(base+"/webhooks/slack", signing, time.Now(), reply))
			if code == 200 {
				break
			}
			if i == 20 {
				t.Fatalf("agent event = %d %s", code, b)
			}
			time.Sleep(50 * time.Millisecond)
		}
		waitFor("the agent's reply on Telegram", func() bool {
			for _, m := range tg.Sent() {
				if m.ChatID == 5151 && m.Text == "Ana: Hi Tina, I'm checking your order." {
					return true
				}
			}
			return false
		})
	})

	// /start on Telegram is the welcome, not the return flow.
	t.Run("telegram /start", func(t *testing.T) {
		user := telegramfake.User{ID: 6161, FirstName: "Uma", LanguageCode: "en"}
		before := len(tg.Sent())
		upd := telegramfake.TextUpdate(1101, 9, telegramfake.Private(user), user, "/start")
		if code, body := post(telegramfake.NewWebhookRequest(ctx, base+"/webhooks/telegram", "tg-secret", upd)); code != 200 {
			t.Fatalf("webhook = %d %s", code, body)
		}
		waitFor("the welcome", func() bool { return len(tg.Sent()) > before })
		if got := tg.Sent()[before]; got.ChatID != 6161 || !strings.Contains(got.Text, "Welcome to Example Shop, Uma!") {
			t.Fatalf("answer to /start: %+v", got)
		}
	})
	// Slack says the app was uninstalled: /readyz says so.
	t.Run("slack app_uninstalled", func(t *testing.T) {
		readyz := func() (int, string) {
			resp, err := http.Get(base + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if code, body := readyz(); code != 200 {
			t.Fatalf("readyz before = %d %s", code, body)
		}
		ev := []byte(`{"token":"x","team_id":"T1","api_app_id":"A1","event":{"type":"app_uninstalled","event_ts":"1700000200.000100"},` +
			`"type":"event_callback","event_id":"EvUninstalled","event_time":1700000200}`)
		if code, b := post(slackfake.NewRequest(base+"/webhooks/slack", signing, time.Now(), ev)); code != 200 {
			t.Fatalf("app_uninstalled = %d %s", code, b)
		}
		if code, body := readyz(); code != 503 || !strings.Contains(body, "uninstalled") {
			t.Fatalf("readyz after app_uninstalled = %d %s", code, body)
		}
	})

	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}
