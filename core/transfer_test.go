package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// TestTransfer: "!transfer billing <note>" redraws the old case as
// transferred with a note in its thread, posts a new case with the note in
// billing's channel (in that order, under the same outbox key), assigns it
// by billing's mode and tells the customer; an unknown team changes
// nothing.
func TestTransfer(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[1])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	e := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
		DeskPlatform: "slack", DeskChat: "C0SUPPORT",
		Routing: core.Routing{Teams: []core.Team{{Name: "support", Channel: "C0SUPPORT"},
			{Name: "billing", Channel: "C0BILLING", Assign: core.AssignRoundRobin}}},
	}})
	if _, err := e.SetDuty(ctx, []string{"billing"}, "U_BEA", "Bea", true); err != nil {
		t.Fatal(err)
	}
	key := openCaseKey(t, e, st, clk)
	ana := func(id, text string) core.AgentResult {
		t.Helper()
		res, err := e.HandleAgent(ctx, core.AgentMessage{About: key, ID: id, Agent: "Ana", AgentID: "U_ANA", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	ana("a1", "Hi, let me check")
	drain(t, st)
	if res := ana("a2", "!transfer sales"); res.Action != core.AgentTransferUnknown || len(allOutbox(t, st)) != 0 {
		t.Fatalf("unknown team: %+v, outbox %+v", res, allOutbox(t, st))
	}
	if res := ana("a3", "!transfer billing refund of order AB123456, already approved"); res.Action != core.AgentTransferred {
		t.Fatalf("transfer: %+v", res)
	}
	all := allOutbox(t, st)
	var kinds []string
	for _, r := range all {
		kinds = append(kinds, string(r.Kind)+"/"+r.Key.Chat)
	}
	// status of the old case, note in its thread, the new case, the
	// customer's notice, then billing's assignment (status and mention).
	if got := strings.Join(kinds, " "); got != "status/C0SUPPORT note/C0SUPPORT case/C0SUPPORT /v status/C0SUPPORT note/C0SUPPORT" {
		t.Fatalf("outbox: %s", got)
	}
	if c := all[0].Case; c.Status != core.CaseTransferred || !strings.Contains(all[0].Text, "Transferred") || !strings.Contains(all[0].Text, "to billing by Ana") {
		t.Errorf("old case status: %+v %q", c, all[0].Text)
	}
	if !strings.Contains(all[1].Text, "Ana transferred this case to team billing. Note: refund of order AB123456, already approved") {
		t.Errorf("note in the old thread: %q", all[1].Text)
	}
	nc := all[2]
	if nc.Channel != "C0BILLING" || nc.Case.Team != "billing" || nc.Case.Note != "refund of order AB123456, already approved" ||
		!strings.Contains(nc.Text, "Transferred from support (by Ana): refund of order AB123456") || !strings.Contains(nc.Text, "Hi, let me check") {
		t.Errorf("new case: channel %s card %+v\n%s", nc.Channel, nc.Case, nc.Text)
	}
	if all[3].Text != "I've passed your conversation to our billing team. They will answer here." {
		t.Errorf("customer told %q", all[3].Text)
	}
	if all[5].Mention != "<@U_BEA>" {
		t.Errorf("billing's agent not mentioned: %+v", all[5])
	}
	state, _, _ := st.Load(ctx, key, nil)
	if h := state.Handoff; h == nil || h.Team != "billing" || h.Channel != "C0BILLING" || h.AgentID != "U_BEA" {
		t.Fatalf("handoff after the transfer: %+v", h)
	}
	// Ana is no longer the assignee: her next message stays in the thread.
	if res := ana("a4", "bye"); res.Action != core.AgentNotAssignee {
		t.Errorf("old assignee's message: %+v", res)
	}
}

func openCaseKey(t *testing.T, e *core.Engine, st core.Store, clk *fakeclock.Clock) core.ConversationKey {
	t.Helper()
	key := core.ConversationKey{Platform: "web", Chat: "v", User: "v"}
	if _, err := e.Handle(context.Background(), core.Message{Key: key, ID: "m1", Text: "human"}); err != nil {
		t.Fatal(err)
	}
	drain(t, st)
	return key
}

// TestReopenKeepsTheChannelsTeam: an agent's reply in a team channel's
// thread after the bot took the conversation back re-opens the case for
// that team.
func TestReopenKeepsTheChannelsTeam(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[2])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	e := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
		DeskPlatform: "slack", DeskChat: "C0SUPPORT",
		Routing: core.Routing{Teams: []core.Team{{Name: "support", Channel: "C0SUPPORT"}, {Name: "billing", Channel: "C0BILLING"}},
			Routes: []core.Route{{Platforms: []string{"web"}, Team: "billing"}}},
	}})
	key := openCaseKey(t, e, st, clk)
	for i, text := range []string{"!bot", "one more thing: your refund is done"} {
		if _, err := e.HandleAgent(ctx, core.AgentMessage{About: key, ID: fmt.Sprint("b", i), Agent: "Bea", AgentID: "U_BEA", Text: text, Channel: "C0BILLING"}); err != nil {
			t.Fatal(err)
		}
	}
	state, _, _ := st.Load(ctx, key, nil)
	if h := state.Handoff; h == nil || h.Team != "billing" || h.Channel != "C0BILLING" || h.AgentID != "U_BEA" {
		t.Fatalf("re-opened handoff %+v, want billing's, assigned to Bea", h)
	}
}
