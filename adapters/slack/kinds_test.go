package slack

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

// The event kinds a first deployment meets, from recorded payloads.
func TestParseEventKinds(t *testing.T) {
	key := func(ch string) core.ConversationKey {
		return core.ConversationKey{Platform: "slack", Chat: ch, User: "U07CUSTOMR"}
	}
	cases := []struct {
		file  string
		route route
		why   string
		want  core.Message // customers
	}{
		// A photo with a caption: the text is the question, the file a note.
		{file: "event_file_share.json", route: routeCustomer, want: core.Message{Key: key("D07DMCHANL"),
			ID: "D07DMCHANL/1732530400.000500", DedupeKeys: []string{"slack:event:Ev07R4N00001", "slack:msg:D07DMCHANL:1732530400.000500"},
			Text: "the parcel arrived damaged, can I return it?", Note: "(sent a file: IMG_2041.jpg)"}},
		{file: "event_thread_broadcast.json", route: routeAgent},
		{file: "event_other_app_bot.json", route: routeIgnore, why: "message subtype bot_message"},
		{file: "event_other_app_bot_user.json", route: routeIgnore, why: "message from a bot"},
		// Another app posting as a user: bot_profile without bot_id.
		{file: "event_other_app_profile_only.json", route: routeIgnore, why: "message from a bot"},
		// The message copy of event_app_mention.json: the same dedupe key
		// slack:msg:<channel>:<ts>, so the mention is answered once.
		{file: "event_mention_message_copy.json", route: routeCustomer, want: core.Message{Key: key("C07GENERAL"),
			ID: "C07GENERAL/1732530100.000200", DedupeKeys: []string{"slack:event:Ev07R4MX9Z2D", "slack:msg:C07GENERAL:1732530100.000200"},
			Text: "where is my order? see order 42", ReplyTo: "1732530100.000200"}},
		// A group DM the bot is in: answered without a mention, not threaded.
		{file: "event_mpim.json", route: routeCustomer, want: core.Message{Key: key("C07MPIMGRP1"),
			ID: "C07MPIMGRP1/1732530700.000800", DedupeKeys: []string{"slack:event:Ev07R4N00005", "slack:msg:C07MPIMGRP1:1732530700.000800"},
			Text: "how much is shipping to france?"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			req, err := parseRequest(readTestdata(t, c.file))
			if err != nil || req.kind != kindMessage {
				t.Fatalf("parse: kind %v, %v", req.kind, err)
			}
			rt, why := classify(req.msg, tdSelf, tdSupport)
			if rt != c.route || why != c.why {
				t.Fatalf("classify = %v %q, want %v %q", rt, why, c.route, c.why)
			}
			if rt == routeCustomer {
				if got := customerMessage(req.eventID, req.msg, tdSelf); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("message:\n got %+v\nwant %+v", got, c.want)
				}
			}
			if rt == routeAgent && (req.msg.parentUser != "U07BOTUSER" || req.msg.threadTS != "1732530200.000300") {
				// parent_user_id decides whether an unknown thread is a
				// case still being stored; thread_broadcast has it in root.
				t.Fatalf("thread_broadcast read as %+v", req.msg)
			}
		})
	}
	for _, c := range []struct {
		file string
		kind requestKind
		bots []string
	}{
		{"event_app_uninstalled.json", kindRevoked, nil},
		{"event_tokens_revoked.json", kindRevoked, []string{"U07BOTUSER"}},
		{"app_rate_limited.json", kindRateLimited, nil},
	} {
		req, err := parseRequest(readTestdata(t, c.file))
		if err != nil || req.kind != c.kind || !reflect.DeepEqual(req.revokedBots, c.bots) {
			t.Errorf("%s: kind %v bots %v, %v; want %v %v", c.file, req.kind, req.revokedBots, err, c.kind, c.bots)
		}
		if c.kind == kindRateLimited && req.rateLimitedMinute != 1732531020 {
			t.Errorf("minute_rate_limited = %d", req.rateLimitedMinute)
		}
	}
	// Only users' tokens revoked: not ours.
	req, err := parseRequest([]byte(`{"type":"event_callback","event_id":"Ev1","event":{"type":"tokens_revoked","tokens":{"oauth":["U1"]}}}`))
	if err != nil || req.kind != kindOther {
		t.Errorf("oauth-only tokens_revoked: kind %v, %v", req.kind, err)
	}
}

func TestSlackGroupDMAnswered(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	ts := g.nextTS()
	g.event(slackfake.MessageEvent(slackfake.Envelope{EventID: "EvMpim"},
		slackfake.Msg{Channel: "C_MPIM", ChannelType: "mpim", User: "U_CUST", Text: "what are your opening hours", TS: ts}))
	posts := g.waitPosts("the answer", func(ps []slackfake.Post) bool { return len(ps) >= 1 })
	if p := posts[0]; p.Channel != "C_MPIM" || p.ThreadTS != "" || !strings.Contains(p.Text, openingHours) {
		t.Fatalf("answer = %+v", p)
	}
}

// After tokens_revoked (or app_uninstalled) nothing more is sent: replies
// go to the dead letters at once, an ERROR is logged, Health reports it.
func TestSlackTokensRevokedStopsSending(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	body := strings.ReplaceAll(string(readTestdata(t, "event_tokens_revoked.json")), "U07BOTUSER", g.fake.BotUserID())
	if err := g.slack.Health(); err != nil {
		t.Fatalf("Health before: %v", err)
	}
	g.event([]byte(body))
	if err := g.slack.Health(); !errors.Is(err, ErrRevoked) || !strings.Contains(err.Error(), "tokens_revoked") {
		t.Fatalf("Health = %v, want ErrRevoked", err)
	}
	if !strings.Contains(g.logs.String(), "level=ERROR") {
		t.Errorf("no ERROR logged:\n%s", g.logs.String())
	}
	dm, _ := g.dm("D_CUST", "EvAfter", "what are your opening hours")
	g.event(dm)
	eventually(t, "the dead letter", func() bool {
		dl, _ := g.st.DeadLetters(context.Background(), 10)
		return len(dl) == 1 && strings.Contains(dl[0].Reason, "revoked")
	})
	time.Sleep(100 * time.Millisecond)
	if n := g.fake.Calls("chat.postMessage"); n != 0 {
		t.Fatalf("%d chat.postMessage calls after the token was revoked", n)
	}
}

func TestSlackOtherBotsTokenRevokedIgnored(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	g.event(readTestdata(t, "event_tokens_revoked.json")) // names U07BOTUSER, not the fake's bot
	if err := g.slack.Health(); err != nil {
		t.Fatalf("Health = %v", err)
	}
}

func TestSlackAppRateLimitedAcknowledged(t *testing.T) {
	g := newGateway(t, newFake(t), dbPath(t), gatewayOptions{})
	g.event(readTestdata(t, "app_rate_limited.json"))
	if !strings.Contains(g.logs.String(), "app_rate_limited") || !strings.Contains(g.logs.String(), "2024-11-25T10:37:00Z") {
		t.Errorf("no warning naming the minute:\n%s", g.logs.String())
	}
	if err := g.slack.Health(); err != nil {
		t.Errorf("Health = %v", err)
	}
}
