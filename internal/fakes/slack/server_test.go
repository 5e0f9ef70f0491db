package slack

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// These tests point slack-go at the fake, as the adapter does.

func TestFakeWithSlackGo(t *testing.T) {
	ctx := context.Background()
	s := New(Options{Token: "xoxb-good", Users: map[string]string{"U1": "Ana Lima"}})
	defer s.Close()
	api := slack.New("xoxb-good", slack.OptionAPIURL(s.APIURL()))

	auth, err := api.AuthTestContext(ctx)
	if err != nil || auth.UserID != DefaultBotUserID || auth.BotID != DefaultBotID || auth.TeamID != DefaultTeamID {
		t.Fatalf("auth.test = %+v, %v", auth, err)
	}
	_, ts1, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("hello", false))
	if err != nil {
		t.Fatal(err)
	}
	_, ts2, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("in thread", false), slack.MsgOptionTS(ts1),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*b*", false, false), nil, nil)))
	if err != nil || ts2 <= ts1 {
		t.Fatalf("second post: ts %q after %q, %v", ts2, ts1, err)
	}
	posts := s.Posts()
	if len(posts) != 2 || posts[1].ThreadTS != ts1 || posts[1].Text != "in thread" || !strings.Contains(string(posts[1].Blocks), `"*b*"`) {
		t.Fatalf("posts = %+v", posts)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts1, slack.MsgOptionText("edited", false)); err != nil {
		t.Fatal(err)
	}
	if u := s.Updates(); len(u) != 1 || u[0].TS != ts1 || u[0].Text != "edited" {
		t.Fatalf("updates = %+v", u)
	}
	if _, err := api.PostEphemeralContext(ctx, "C1", "U1", slack.MsgOptionText("psst", false), slack.MsgOptionTS(ts1)); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals(); len(e) != 1 || e[0].User != "U1" || e[0].ThreadTS != ts1 {
		t.Fatalf("ephemerals = %+v", e)
	}
	u, err := api.GetUserInfoContext(ctx, "U1")
	if err != nil || u.Profile.DisplayName != "Ana Lima" {
		t.Fatalf("users.info = %+v, %v", u, err)
	}

	cases := []struct {
		name  string
		setup func()
		call  func() error
		check func(error) bool
	}{
		{"unknown user", func() {}, func() error { _, err := api.GetUserInfoContext(ctx, "U9"); return err }, isCode("user_not_found")},
		{"update of a missing message", func() {}, func() error {
			_, _, _, err := api.UpdateMessageContext(ctx, "C1", "1.0", slack.MsgOptionText("x", false))
			return err
		}, isCode("message_not_found")},
		{"no text", func() {}, func() error { _, _, err := api.PostMessageContext(ctx, "C1"); return err }, isCode("no_text")},
		{"removed channel", func() { s.RemoveChannel("C_GONE") }, func() error {
			_, _, err := api.PostMessageContext(ctx, "C_GONE", slack.MsgOptionText("x", false))
			return err
		}, isCode("channel_not_found")},
		{"API error on demand", func() { s.Fail("chat.postMessage", "is_archived", 1) }, post(api), isCode("is_archived")},
		{"rate limited", func() { s.RateLimit("chat.postMessage", 1500*time.Millisecond, 1) }, post(api), func(err error) bool {
			var rl *slack.RateLimitedError
			return errors.As(err, &rl) && rl.RetryAfter == 2*time.Second
		}},
		{"server error", func() { s.ServerError("chat.postMessage", 503, 1) }, post(api), func(err error) bool {
			var sc slack.StatusCodeError
			return errors.As(err, &sc) && sc.Code == 503
		}},
		{"second call fails", func() { s.FailAt("chat.postMessage", "internal_error", 2) }, func() error {
			if err := post(api)(); err != nil {
				return err
			}
			return post(api)()
		}, isCode("internal_error")},
		{"faults are used up", func() {}, post(api), func(err error) bool { return err == nil }},
		{"wrong token", func() {}, func() error {
			_, err := slack.New("xoxb-bad", slack.OptionAPIURL(s.APIURL())).AuthTestContext(ctx)
			return err
		}, isCode("invalid_auth")},
		{"no token", func() {}, func() error {
			_, err := slack.New("", slack.OptionAPIURL(s.APIURL())).AuthTestContext(ctx)
			return err
		}, isCode("not_authed")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.setup()
			if err := c.call(); !c.check(err) {
				t.Fatalf("error %T %v", err, err)
			}
		})
	}
	resp, err := http.Post(s.APIURL()+"chat.nope", "application/x-www-form-urlencoded", strings.NewReader("token=xoxb-good"))
	if err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown method: %v %v", resp, err)
	}
	resp.Body.Close()
	s.Reset()
	if len(s.Posts()) != 0 || s.Calls("chat.postMessage") != 0 {
		t.Fatal("Reset kept records")
	}
}

func post(api *slack.Client) func() error {
	return func() error {
		_, _, err := api.PostMessageContext(context.Background(), "C1", slack.MsgOptionText("x", false))
		return err
	}
}

func isCode(code string) func(error) bool {
	return func(err error) bool {
		var e slack.SlackErrorResponse
		return errors.As(err, &e) && e.Err == code
	}
}

func TestSignMatchesSlackGo(t *testing.T) {
	body := MessageEvent(Envelope{EventID: "Ev1"}, Msg{Channel: "D1", ChannelType: "im", User: "U1", Text: "hi", TS: "1.0"})
	req, err := NewRequest("http://example.invalid/webhooks/slack", "s3cret", time.Now(), body)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := slack.NewSecretsVerifier(req.Header, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	sv.Write(body)
	if err := sv.Ensure(); err != nil {
		t.Fatalf("slack-go refuses the fake's signature: %v", err)
	}
	if req.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("content type %q", req.Header.Get("Content-Type"))
	}
	form, _ := NewRequest("http://example.invalid/", "s3cret", time.Now(), BlockActions(Action{ActionID: "a", ActionTS: "1.0"}))
	if form.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		t.Fatalf("form content type %q", form.Header.Get("Content-Type"))
	}
}
