package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// router is a scripted bot for routing: "lang:zh" switches the language,
// "slot:k=v" sets a slot, "refund" is the refund_status intent, "human"
// asks for a person, "??" is not understood, "awful" is angry and
// "flowfail" is a flow that gives up and hands off (the last two say
// nothing of their own: the customer gets the engine's notice).
type router struct{}

func (router) Understand(_ context.Context, in core.Input) (core.Decision, error) {
	st := in.State
	d := core.Decision{State: st, Language: st.Language, Replies: []core.ReplyText{{Text: "ok"}}}
	switch t := in.Text; {
	case strings.HasPrefix(t, "lang:"):
		d.State.Language = strings.TrimPrefix(t, "lang:")
		d.Language = d.State.Language
	case strings.HasPrefix(t, "slot:"):
		k, v, _ := strings.Cut(strings.TrimPrefix(t, "slot:"), "=")
		if d.State.Slots == nil {
			d.State.Slots = map[string]string{}
		}
		d.State.Slots[k] = v
	case t == "refund":
		d.Intent = "refund_status"
	case t == "faq":
		d.Intent = "faq:payment_problem"
	case t == "human":
		d.Intent, d.Handoff, d.Replies = "talk_to_human", true, nil
	case t == "??":
		d.Fallback = true
		d.State.Fallbacks++
	case t == "awful":
		d.Intent, d.Sentiment = "complaint", -0.9
	case t == "flowfail":
		d.Handoff, d.HandoffReason, d.Replies = true, "flow order_status: no valid order_id after 3 attempts", nil
	}
	return d, nil
}

// twoTeamRouting is the routing of the rules table test: one rule of each
// kind, each to its own team.
func rulesRouting() core.Routing {
	team := func(name, ch string) core.Team { return core.Team{Name: name, Channel: ch} }
	return core.Routing{
		Teams: []core.Team{team("support", "C0SUPPORT"), team("cn", "C0CHINA"), team("billing", "C0BILLING"),
			team("escalations", "C0ESC"), team("bots", "C0BOTS"), team("flows", "C0FLOWS"), team("tg", "C0TG"),
			team("big", "C0BIG"), team("corp", "C0CORP")},
		Routes: []core.Route{
			{Languages: []string{"zh"}, Team: "cn"},
			{Intents: []string{"refund_status", "payment_problem"}, Team: "billing"},
			{Reasons: []string{core.ReasonSentiment}, Attributes: map[string]string{"vip": "yes"}, Team: "escalations"},
			{Reasons: []string{core.ReasonFallbacks}, Team: "bots"},
			{Reasons: []string{core.ReasonFlow}, Team: "flows"},
			{Platforms: []string{"telegram"}, Team: "tg"},
			{Slots: map[string]string{"order_value": ">500"}, Team: "big"},
			{Attributes: map[string]string{"email": "*@bigcorp.example"}, Team: "corp"},
		},
	}
}

// TestRoutingRules routes a scripted conversation per rule kind and checks
// the channel its case is posted in and the team the handoff records.
func TestRoutingRules(t *testing.T) {
	cases := []struct {
		name     string
		platform string
		userName string
		script   []string
		channel  string
		team     string
	}{
		{"language", "web", "", []string{"lang:zh-CN", "human"}, "C0CHINA", "cn"},
		{"intent earlier in the conversation", "web", "", []string{"refund", "human"}, "C0BILLING", "billing"},
		{"faq entry", "web", "", []string{"faq", "human"}, "C0BILLING", "billing"},
		{"sentiment of a vip", "web", "", []string{"slot:vip=yes", "awful"}, "C0ESC", "escalations"},
		{"sentiment without the attribute: default", "web", "", []string{"awful"}, "C0SUPPORT", "support"},
		{"fallbacks", "web", "", []string{"??", "??"}, "C0BOTS", "bots"},
		{"flow failure", "web", "", []string{"flowfail"}, "C0FLOWS", "flows"},
		{"platform", "telegram", "", []string{"human"}, "C0TG", "tg"},
		{"slot comparison", "web", "", []string{"slot:Order_Value=$1,200", "human"}, "C0BIG", "big"},
		{"slot below the threshold: default", "web", "", []string{"slot:order_value=120", "human"}, "C0SUPPORT", "support"},
		{"attribute from the pre-chat form", "web", "Ann Lee <ann@BigCorp.example>", []string{"human"}, "C0CORP", "corp"},
		{"no rule: the default team", "web", "", []string{"human"}, "C0SUPPORT", "support"},
		{"first match wins", "telegram", "", []string{"lang:zh", "refund", "human"}, "C0CHINA", "cn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := fakeclock.New(fakeclock.Bases()[1])
			st := openStoreClock(t, t.TempDir(), clk.Now)
			defer st.Close()
			e := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
				DeskPlatform: "slack", DeskChat: "C0SUPPORT", AfterFallbacks: 2, OnNegativeSentiment: true, Routing: rulesRouting(),
			}})
			key := core.ConversationKey{Platform: tc.platform, Chat: "c1", User: "u1"}
			for i, text := range tc.script {
				clk.Add(time.Second)
				m := core.Message{Key: key, ID: "m" + string(rune('a'+i)), Text: text, UserName: tc.userName}
				if _, err := e.Handle(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			var cases []core.Reply
			for _, r := range outbox(t, st) {
				if r.Kind == core.ReplyCase {
					cases = append(cases, r)
				}
			}
			if len(cases) != 1 {
				t.Fatalf("%d cases, want 1", len(cases))
			}
			if cases[0].Channel != tc.channel || cases[0].Case.Team != tc.team {
				t.Errorf("case went to %s (team %q), want %s (team %q)", cases[0].Channel, cases[0].Case.Team, tc.channel, tc.team)
			}
			if cases[0].Key.Chat != "C0SUPPORT" {
				t.Errorf("the case's outbox key changed to %s: its messages would lose their order", cases[0].Key.Chat)
			}
			state, _, err := st.Load(ctx, key, nil)
			if err != nil || state.Handoff == nil {
				t.Fatalf("no handoff recorded: %+v %v", state, err)
			}
			if state.Handoff.Team != tc.team || state.Handoff.Channel != tc.channel {
				t.Errorf("handoff records team %q channel %q, want %q %q", state.Handoff.Team, state.Handoff.Channel, tc.team, tc.channel)
			}
		})
	}
}

// TestRoutingWithoutTeams keeps configs without teams working: every case
// goes to the desk channel, team "support".
func TestRoutingWithoutTeams(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[0])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	e := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{DeskPlatform: "slack", DeskChat: "C0DESK"}})
	if _, err := e.Handle(ctx, core.Message{Key: core.ConversationKey{Platform: "web", Chat: "c", User: "c"}, ID: "m1", Text: "lang:zh"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Handle(ctx, core.Message{Key: core.ConversationKey{Platform: "web", Chat: "c", User: "c"}, ID: "m2", Text: "human"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range outbox(t, st) {
		if r.Kind == core.ReplyCase && (r.Channel != "C0DESK" || r.Case.Team != "support") {
			t.Errorf("case to %q team %q, want C0DESK support", r.Channel, r.Case.Team)
		}
	}
}

func TestSlotMatchesAndCovers(t *testing.T) {
	for _, c := range []struct {
		cond, value string
		want        bool
	}{
		{">500", "900", true}, {">500", "500", false}, {">=500", "500", true}, {"<5", "4.5", true},
		{"<=5", "¥5", true}, {">100", "abc", false}, {"*", "x", true}, {"*", "", false}, {"gold", "Gold", true}, {"gold", "silver", false},
	} {
		if got := core.SlotMatches(c.cond, c.value); got != c.want {
			t.Errorf("SlotMatches(%q, %q) = %v", c.cond, c.value, got)
		}
	}
	zh := core.Route{Languages: []string{"zh"}, Team: "cn"}
	zhRefund := core.Route{Languages: []string{"zh"}, Intents: []string{"refund_status"}, Team: "billing"}
	if !zh.Covers(zhRefund) || zhRefund.Covers(zh) {
		t.Error("a broader rule must cover a narrower one, not the other way round")
	}
	if (core.Route{Team: "x"}).Covers(zh) != true {
		t.Error("a rule without conditions covers every later rule")
	}
	anyVIP := core.Route{Attributes: map[string]string{"email": "*@vip.example"}}
	if !anyVIP.Covers(core.Route{Attributes: map[string]string{"email": "ceo@vip.example"}}) || anyVIP.Covers(core.Route{Attributes: map[string]string{"email": "*@other.example"}}) {
		t.Error("attribute patterns cover the values they match only")
	}
}
