package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// TestTeamMetrics: open and waiting cases, waiting p50/p90, first reply
// times and open cases per agent, per team, from the store.
func TestTeamMetrics(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[0])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	e := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
		DeskPlatform: "slack", DeskChat: "C0SUPPORT",
		Routing: core.Routing{Teams: []core.Team{{Name: "support", Channel: "C0SUPPORT"}, {Name: "cn", Channel: "C0CHINA", Assign: core.AssignRoundRobin}},
			Routes: []core.Route{{Languages: []string{"zh"}, Team: "cn"}}},
	}})
	if _, err := e.SetDuty(ctx, []string{"cn"}, "U_LI", "Li", true); err != nil {
		t.Fatal(err)
	}
	// Four support cases a minute apart, one Chinese case (assigned to Li).
	for i := 1; i <= 4; i++ {
		openCaseFor(t, e, st, clk, i)
		clk.Add(time.Minute - time.Second)
	}
	zh := core.ConversationKey{Platform: "web", Chat: "zh", User: "zh"}
	for _, text := range []string{"lang:zh", "human"} {
		if _, err := e.Handle(ctx, core.Message{Key: zh, ID: "z" + text, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	// Ana answers case 1 after 4 minutes, Li the Chinese case at once.
	reply := func(key core.ConversationKey, id, agent, agentID string) {
		t.Helper()
		if _, err := e.HandleAgent(ctx, core.AgentMessage{About: key, ID: id, Agent: agent, AgentID: agentID, Text: "hello"}); err != nil {
			t.Fatal(err)
		}
	}
	reply(zh, "li1", "Li", "U_LI")
	reply(custKey(1), "ana1", "Ana", "U_ANA")
	reply(custKey(1), "ana2", "Ana", "U_ANA") // not a first reply
	reg := prometheus.NewRegistry()
	reg.MustRegister(core.NewTeamCollector(e))
	want := `
# HELP switchboard_team_agent_open_cases Open cases per assignee of a team.
# TYPE switchboard_team_agent_open_cases gauge
switchboard_team_agent_open_cases{agent="Ana",team="support"} 1
switchboard_team_agent_open_cases{agent="Li",team="cn"} 1
# HELP switchboard_team_agents_on_duty Agents on duty in a team.
# TYPE switchboard_team_agents_on_duty gauge
switchboard_team_agents_on_duty{team="cn"} 1
switchboard_team_agents_on_duty{team="support"} 0
# HELP switchboard_team_first_reply_seconds Time from handoff to the first agent reply, over a team's last 100 cases of the past week, by quantile.
# TYPE switchboard_team_first_reply_seconds gauge
switchboard_team_first_reply_seconds{quantile="0.5",team="cn"} 0
switchboard_team_first_reply_seconds{quantile="0.5",team="support"} 239
switchboard_team_first_reply_seconds{quantile="0.9",team="cn"} 0
switchboard_team_first_reply_seconds{quantile="0.9",team="support"} 239
# HELP switchboard_team_open_cases Open cases of a team (assigned or waiting).
# TYPE switchboard_team_open_cases gauge
switchboard_team_open_cases{team="cn"} 1
switchboard_team_open_cases{team="support"} 4
# HELP switchboard_team_waiting_cases Open cases of a team without an assignee.
# TYPE switchboard_team_waiting_cases gauge
switchboard_team_waiting_cases{team="cn"} 0
switchboard_team_waiting_cases{team="support"} 3
# HELP switchboard_team_waiting_seconds How long a team's waiting cases have waited so far, by quantile.
# TYPE switchboard_team_waiting_seconds gauge
switchboard_team_waiting_seconds{quantile="0.5",team="cn"} 0
switchboard_team_waiting_seconds{quantile="0.5",team="support"} 119
switchboard_team_waiting_seconds{quantile="0.9",team="cn"} 0
switchboard_team_waiting_seconds{quantile="0.9",team="support"} 179
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
