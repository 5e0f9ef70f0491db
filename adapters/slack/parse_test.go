package slack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/core"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
)

// The ids of the workspace in testdata/.
var tdSelf = identity{userID: "U07BOTUSER", botID: "B07BOTBOT1"}

const tdSupport = "C07SUPPORT"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRealPayloads(t *testing.T) {
	cases := []struct {
		file      string
		kind      requestKind
		route     route
		why       string
		challenge string
		want      core.Message // for customers
		agentText string       // for agents
	}{
		{file: "url_verification.json", kind: kindChallenge, challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"},
		{file: "event_message_im.json", kind: kindMessage, route: routeCustomer, want: core.Message{
			Key: core.ConversationKey{Platform: "slack", Chat: "D07DMCHANL", User: "U07CUSTOMR"}, ID: "D07DMCHANL/1732530000.000100",
			DedupeKeys: []string{"slack:event:Ev07R4MX2Q1B", "slack:msg:D07DMCHANL:1732530000.000100"},
			Text:       "what are your opening hours & days?",
		}},
		{file: "event_app_mention.json", kind: kindMessage, route: routeCustomer, want: core.Message{
			Key: core.ConversationKey{Platform: "slack", Chat: "C07GENERAL", User: "U07CUSTOMR"}, ID: "C07GENERAL/1732530100.000200",
			DedupeKeys: []string{"slack:event:Ev07R4MX9Z2C", "slack:msg:C07GENERAL:1732530100.000200"},
			Text:       "where is my order? see order 42", ReplyTo: "1732530100.000200",
		}},
		{file: "event_thread_reply.json", kind: kindMessage, route: routeAgent, agentText: "Hi, Ana here. Your parcel left our warehouse today <3"},
		{file: "event_bot_echo.json", kind: kindMessage, route: routeIgnore, why: "message from a bot"},
		{file: "event_message_changed.json", kind: kindMessage, route: routeIgnore, why: "message subtype message_changed"},
		{file: "event_message_deleted.json", kind: kindMessage, route: routeIgnore, why: "message subtype message_deleted"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			req, err := parseRequest(readTestdata(t, c.file))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if req.kind != c.kind || req.challenge != c.challenge {
				t.Fatalf("kind %v challenge %q, want %v %q", req.kind, req.challenge, c.kind, c.challenge)
			}
			if c.kind != kindMessage {
				return
			}
			rt, why := classify(req.msg, tdSelf, tdSupport)
			if rt != c.route || why != c.why {
				t.Fatalf("classify = %v %q, want %v %q", rt, why, c.route, c.why)
			}
			switch rt {
			case routeCustomer:
				if got := customerMessage(req.eventID, req.msg, tdSelf); !reflect.DeepEqual(got, c.want) {
					t.Fatalf("message:\n got %+v\nwant %+v", got, c.want)
				}
			case routeAgent:
				if got := agentText(req.msg, tdSelf, func(id string) string { return id }); got != c.agentText {
					t.Fatalf("agent text %q, want %q", got, c.agentText)
				}
				if req.msg.threadTS != "1732530200.000300" || req.msg.user != "U07AGENTAN" {
					t.Fatalf("agent reply read as %+v", req.msg)
				}
			}
		})
	}
}

func TestClassify(t *testing.T) {
	base := slackMessage{eventType: "message", channel: "C1", channelType: "channel", user: "U1", text: "hi", ts: "2.0"}
	with := func(f func(*slackMessage)) slackMessage { m := base; f(&m); return m }
	cases := []struct {
		name  string
		m     slackMessage
		route route
	}{
		{"channel message without mention", base, routeIgnore},
		{"channel message with mention", with(func(m *slackMessage) { m.text = "<@U07BOTUSER> hi" }), routeCustomer},
		{"app_mention", with(func(m *slackMessage) { m.eventType = "app_mention"; m.channelType = "" }), routeCustomer},
		{"direct message", with(func(m *slackMessage) { m.channel, m.channelType = "D1", "im" }), routeCustomer},
		{"direct message without channel_type", with(func(m *slackMessage) { m.channel, m.channelType = "D1", "" }), routeCustomer},
		{"thread_broadcast", with(func(m *slackMessage) { m.channelType, m.subtype = "im", "thread_broadcast" }), routeCustomer},
		{"file_share", with(func(m *slackMessage) { m.channelType, m.subtype = "im", "file_share" }), routeCustomer},
		{"channel_join", with(func(m *slackMessage) { m.channelType, m.subtype = "im", "channel_join" }), routeIgnore},
		{"bot_message", with(func(m *slackMessage) { m.channelType, m.subtype = "im", "bot_message" }), routeIgnore},
		{"another bot", with(func(m *slackMessage) { m.channelType, m.botID = "im", "B2" }), routeIgnore},
		{"our own user", with(func(m *slackMessage) { m.channelType, m.user = "im", "U07BOTUSER" }), routeIgnore},
		{"no user", with(func(m *slackMessage) { m.channelType, m.user = "im", "" }), routeIgnore},
		{"support channel top level", with(func(m *slackMessage) { m.channel = tdSupport }), routeIgnore},
		{"support channel mention top level", with(func(m *slackMessage) { m.channel, m.eventType = tdSupport, "app_mention" }), routeIgnore},
		{"support channel thread reply", with(func(m *slackMessage) { m.channel, m.threadTS = tdSupport, "1.0" }), routeAgent},
		{"support channel thread root (ts = thread_ts)", with(func(m *slackMessage) { m.channel, m.threadTS = tdSupport, "2.0" }), routeIgnore},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got, why := classify(c.m, tdSelf, tdSupport); got != c.route {
				t.Fatalf("classify = %v (%s), want %v", got, why, c.route)
			}
		})
	}
}

func TestCustomerMessageThreads(t *testing.T) {
	cases := []struct {
		name, channelType, channel, thread, want string
	}{
		{"direct message: no thread", "im", "D1", "", ""},
		{"direct message in a thread", "im", "D1", "1.0", "1.0"},
		{"channel: under the message", "channel", "C1", "", "2.0"},
		{"channel thread: under the thread", "channel", "C1", "1.0", "1.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := customerMessage("Ev1", slackMessage{channel: c.channel, channelType: c.channelType, user: "U1", ts: "2.0", threadTS: c.thread, text: "x"}, tdSelf)
			if m.ReplyTo != c.want {
				t.Fatalf("ReplyTo = %q, want %q", m.ReplyTo, c.want)
			}
		})
	}
}

func TestParseRequestErrorsAndOthers(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		wantErr bool
		kind    requestKind
	}{
		{"not JSON", "token=x", true, 0},
		{"callback without event", `{"type":"event_callback","event_id":"Ev1"}`, true, 0},
		{"url_verification without challenge", `{"type":"url_verification"}`, true, 0},
		{"rate limited", `{"token":"x","type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`, false, kindRateLimited},
		{"reaction event", `{"type":"event_callback","event_id":"Ev1","event":{"type":"reaction_added","user":"U1"}}`, false, kindOther},
		{"unknown outer type", `{"type":"something_new"}`, false, kindOther},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := parseRequest([]byte(c.body))
			if (err != nil) != c.wantErr || (err == nil && r.kind != c.kind) {
				t.Fatalf("parse = %+v, %v", r, err)
			}
		})
	}
}

// TestFakeBuildsRealShapes checks that the fake's payload builders produce
// the same JSON structure (the same keys at every level) as the real
// payloads kept in testdata/, so that tests and bench exercise what Slack
// sends.
func TestFakeBuildsRealShapes(t *testing.T) {
	env := slackfake.Envelope{EventID: "Ev1", BotUserID: "U07BOTUSER"}
	cases := []struct {
		file  string
		built []byte
	}{
		{"event_message_im.json", slackfake.MessageEvent(env, slackfake.Msg{Channel: "D1", ChannelType: "im", User: "U1", Text: "hi", TS: "1.000100"})},
		{"event_app_mention.json", slackfake.AppMentionEvent(env, slackfake.Msg{Channel: "C1", User: "U1", Text: "<@U07BOTUSER> hi", TS: "1.000100"})},
		{"event_thread_reply.json", slackfake.MessageEvent(env, slackfake.Msg{Channel: "C1", ChannelType: "channel", User: "U1", Text: "hi", TS: "2.0", ThreadTS: "1.0", ParentUserID: "U07BOTUSER"})},
		{"url_verification.json", slackfake.URLVerification("abc")},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			want, got := shape(t, readTestdata(t, c.file)), shape(t, c.built)
			if !slices.Equal(got, want) {
				t.Fatalf("keys differ:\n got %v\nwant %v", got, want)
			}
		})
	}
	t.Run("block_actions.json", func(t *testing.T) {
		built, _ := json.Marshal(slackfake.BlockActionsPayload(slackfake.Action{ActionID: "switchboard_take", Value: "v",
			UserID: "U1", UserName: "ana", Channel: "C1", MessageTS: "1.0", ActionTS: "2.0"}))
		real := shape(t, readTestdata(t, "block_actions.json"))
		// The fake's message carries no blocks and its button no style.
		var want []string
		for _, k := range real {
			if !strings.HasPrefix(k, "message.blocks") && k != "actions[].style" {
				want = append(want, k)
			}
		}
		if got := shape(t, built); !slices.Equal(got, want) {
			t.Fatalf("keys differ:\n got %v\nwant %v", got, want)
		}
	})
}

// shape lists the key paths of a JSON document ("event.blocks[].type").
// Objects with user-chosen keys (state.values) are kept as a single path.
func shape(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(string, any)
	walk = func(p string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				q := strings.TrimPrefix(p+"."+k, ".")
				seen[q] = true
				if k != "values" && k != "icons" && k != "style" {
					walk(q, e)
				}
			}
		case []any:
			for _, e := range x {
				walk(p+"[]", e)
			}
		}
	}
	walk("", v)
	out := make([]string, 0, len(seen))
	for k := range seen {
		// Rich-text leaves differ by kind (text, user, link); compare the blocks' frame only.
		if strings.Contains(k, "elements[].elements[].") {
			continue
		}
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
