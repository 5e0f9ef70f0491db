package core_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

// assignEngine is an engine whose one team assigns by mode.
func assignEngine(st core.Store, clk *fakeclock.Clock, mode string, maxOpen int) *core.Engine {
	return core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
		DeskPlatform: "slack", DeskChat: "C0SUPPORT",
		Routing: core.Routing{Teams: []core.Team{{Name: "support", Channel: "C0SUPPORT", Assign: mode, MaxOpenCases: maxOpen}}},
	}})
}

func custKey(i int) core.ConversationKey {
	return core.ConversationKey{Platform: "web", Chat: fmt.Sprintf("c%02d", i), User: fmt.Sprintf("c%02d", i)}
}

// openCase hands customer i to a person and returns the assignee's id.
func openCaseFor(t *testing.T, e *core.Engine, st core.Store, clk *fakeclock.Clock, i int) string {
	t.Helper()
	clk.Add(time.Second)
	ctx := context.Background()
	if _, err := e.Handle(ctx, core.Message{Key: custKey(i), ID: fmt.Sprintf("m%02d", i), Text: "human"}); err != nil {
		t.Fatal(err)
	}
	state, _, err := st.Load(ctx, custKey(i), nil)
	if err != nil || state.Handoff == nil {
		t.Fatalf("case %d not open: %v", i, err)
	}
	return state.Handoff.AgentID
}

func onDuty(t *testing.T, e *core.Engine, on bool, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := e.SetDuty(context.Background(), nil, id, "Agent "+id, on); err != nil {
			t.Fatal(err)
		}
	}
}

func closeCase(t *testing.T, e *core.Engine, i int, agent string) {
	t.Helper()
	res, err := e.HandleAgent(context.Background(), core.AgentMessage{About: custKey(i), ID: fmt.Sprintf("close%02d", i), Agent: "Agent " + agent, AgentID: agent, Text: "!close"})
	if err != nil || res.Action != core.AgentClosed {
		t.Fatalf("close case %d: %+v %v", i, res, err)
	}
}

// TestAssignmentModes: three agents on duty, ten cases; the second case's
// agent closes it after the third case. Round robin goes on in turn, least
// busy gives the next case to the agent with the fewest open cases.
func TestAssignmentModes(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want string
	}{
		{core.AssignRoundRobin, "A B C A B C A B C A"},
		{core.AssignLeastBusy, "A B C B A B C A B C"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			clk := fakeclock.New(fakeclock.Bases()[1])
			st := openStoreClock(t, t.TempDir(), clk.Now)
			defer st.Close()
			e := assignEngine(st, clk, tc.mode, 0)
			onDuty(t, e, true, "C", "A", "B")
			var got []string
			for i := 1; i <= 10; i++ {
				got = append(got, openCaseFor(t, e, st, clk, i))
				if i == 3 {
					closeCase(t, e, 2, "B")
				}
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Errorf("assignments %s, want %s", s, tc.want)
			}
			// The assignee is mentioned in the case thread, after the case.
			ob := outbox(t, st)
			caseAt, noteAt := -1, -1
			for i, r := range ob {
				if r.About == custKey(1) && r.Kind == core.ReplyCase {
					caseAt = i
				}
				if r.About == custKey(1) && r.Kind == core.ReplyNote && r.Mention == "<@A>" && strings.Contains(r.Text, "this case is yours") {
					noteAt = i
				}
			}
			if caseAt < 0 || noteAt < caseAt {
				t.Errorf("no mention of the assignee after the case (case at %d, note at %d)", caseAt, noteAt)
			}
			var assigned bool
			for _, c := range statuses(t, st) {
				assigned = assigned || (c.Status == core.CaseAssigned && c.Agent == "Agent A")
			}
			if !assigned {
				t.Error("the case message is not redrawn as assigned")
			}
		})
	}
}

// TestOffDutyGetsNothing: an agent who goes off duty gets no new case;
// manual teams assign nobody.
func TestOffDutyGetsNothing(t *testing.T) {
	clk := fakeclock.New(fakeclock.Bases()[0])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	e := assignEngine(st, clk, core.AssignRoundRobin, 0)
	onDuty(t, e, true, "A", "B", "C")
	var got []string
	for i := 1; i <= 10; i++ {
		if i == 3 {
			onDuty(t, e, false, "B")
		}
		got = append(got, openCaseFor(t, e, st, clk, i))
	}
	if s := strings.Join(got, " "); s != "A B C A C A C A C A" {
		t.Errorf("assignments %s", s)
	}
	onDuty(t, e, false, "A", "C")
	if a := openCaseFor(t, e, st, clk, 11); a != "" {
		t.Errorf("a case was assigned to %s with nobody on duty", a)
	}
	manual := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{DeskPlatform: "slack", DeskChat: "C0SUPPORT"}})
	onDuty(t, manual, true, "A")
	if a := openCaseFor(t, manual, st, clk, 12); a != "" {
		t.Errorf("a manual team's case was assigned to %s", a)
	}
}

// TestAssignmentSurvivesRestart: duty, the round-robin turn and the
// assignments are in the store; a new engine on the reopened store goes
// on where the old one stopped.
func TestAssignmentSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	clk := fakeclock.New(fakeclock.Bases()[2])
	st := openStoreClock(t, dir, clk.Now)
	e := assignEngine(st, clk, core.AssignRoundRobin, 0)
	onDuty(t, e, true, "A", "B", "C")
	for i := 1; i <= 2; i++ {
		openCaseFor(t, e, st, clk, i)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openStoreClock(t, dir, clk.Now)
	defer st.Close()
	e = assignEngine(st, clk, core.AssignRoundRobin, 0)
	for i, want := range map[int]string{1: "A", 2: "B"} {
		state, _, err := st.Load(context.Background(), custKey(i), nil)
		if err != nil || state.Handoff == nil || state.Handoff.AgentID != want {
			t.Errorf("after the restart case %d belongs to %+v, want %s", i, state.Handoff, want)
		}
	}
	if a := openCaseFor(t, e, st, clk, 3); a != "C" {
		t.Errorf("third case after the restart went to %q, want C", a)
	}
	agents, err := e.Agents(context.Background(), "support")
	if err != nil || len(agents) != 3 || !agents[0].OnDuty {
		t.Errorf("duty after the restart: %+v %v", agents, err)
	}
}

// TestQueueWhenEveryoneIsBusy: with max_open_cases reached the customer
// learns their place and an estimate from the team's handle times; a
// closed case frees an agent and the sweep offers the oldest waiting case
// first; queue updates come at most every QueueUpdateEvery.
func TestQueueWhenEveryoneIsBusy(t *testing.T) {
	ctx := context.Background()
	clk := fakeclock.New(fakeclock.Bases()[1])
	st := openStoreClock(t, t.TempDir(), clk.Now)
	defer st.Close()
	e := assignEngine(st, clk, core.AssignLeastBusy, 1)
	onDuty(t, e, true, "A", "B")
	openCaseFor(t, e, st, clk, 1)
	openCaseFor(t, e, st, clk, 2)
	// A handles case 1 for 20 minutes: the team's handle time.
	clk.Add(20 * time.Minute)
	closeCase(t, e, 1, "A")
	openCaseFor(t, e, st, clk, 3) // A again
	drain(t, st)
	if a := openCaseFor(t, e, st, clk, 4); a != "" {
		t.Fatalf("case 4 assigned to %s beyond max_open_cases", a)
	}
	if a := openCaseFor(t, e, st, clk, 5); a != "" {
		t.Fatalf("case 5 assigned to %s beyond max_open_cases", a)
	}
	var told []string
	for _, r := range outbox(t, st) {
		if r.Kind == core.ReplyAnswer && strings.Contains(r.Text, "in the queue") {
			told = append(told, r.Key.Chat+": "+r.Text)
		}
	}
	want := []string{
		"c04: All our agents are busy. You are number 1 in the queue; the estimated wait is about 10 minutes.",
		"c05: All our agents are busy. You are number 2 in the queue; the estimated wait is about 20 minutes.",
	}
	if strings.Join(told, "\n") != strings.Join(want, "\n") {
		t.Errorf("queue notices:\n%s\nwant:\n%s", strings.Join(told, "\n"), strings.Join(want, "\n"))
	}
	drain(t, st)
	// Nothing changed: the sweep says nothing.
	if n, err := e.SweepQueues(ctx); err != nil || n != 0 {
		t.Fatalf("sweep changed %d (%v) with nothing to do", n, err)
	}
	closeCase(t, e, 2, "B")
	clk.Add(time.Minute)
	if n, err := e.SweepQueues(ctx); err != nil || n != 1 {
		t.Fatalf("sweep changed %d, %v; want case 4 assigned (case 5 was told its place a minute ago)", n, err)
	}
	clk.Add(2 * time.Minute)
	if n, err := e.SweepQueues(ctx); err != nil || n != 1 {
		t.Fatalf("sweep changed %d, %v; want case 5 told its new place after %s", n, err, core.QueueUpdateEvery)
	}
	if n, err := e.SweepQueues(ctx); err != nil || n != 0 {
		t.Fatalf("sweep changed %d, %v; the place was told already", n, err)
	}
	s4, _, _ := st.Load(ctx, custKey(4), nil)
	s5, _, _ := st.Load(ctx, custKey(5), nil)
	if s4.Handoff.AgentID != "B" || s5.Handoff.AgentID != "" {
		t.Fatalf("after B's close: case 4 → %q, case 5 → %q; the oldest waiting case goes first", s4.Handoff.AgentID, s5.Handoff.AgentID)
	}
	var c5 []string
	for _, r := range outbox(t, st) {
		if r.Key == custKey(5) {
			c5 = append(c5, r.Text)
		}
	}
	if len(c5) != 1 || !strings.Contains(c5[0], "number 1 in the queue") {
		t.Errorf("case 5 was told %q, want its new place", c5)
	}
}

// TestConcurrentHandoffsShareAgents: nine customers hand off at the same
// moment with three agents on duty and max_open_cases 3: each agent gets
// exactly three (the team's assignment is serialised up to the commit).
func TestConcurrentHandoffsShareAgents(t *testing.T) {
	for _, mode := range []string{core.AssignRoundRobin, core.AssignLeastBusy} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			clk := fakeclock.New(fakeclock.Bases()[1])
			st := openStoreClock(t, t.TempDir(), clk.Now)
			defer st.Close()
			e := assignEngine(st, clk, mode, 3)
			onDuty(t, e, true, "A", "B", "C")
			errs := make(chan error, 9)
			for i := 1; i <= 9; i++ {
				go func() {
					_, err := e.Handle(ctx, core.Message{Key: custKey(i), ID: fmt.Sprintf("m%02d", i), Text: "human"})
					errs <- err
				}()
			}
			for range 9 {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			count := map[string]int{}
			for i := 1; i <= 9; i++ {
				s, _, _ := st.Load(ctx, custKey(i), nil)
				count[s.Handoff.AgentID]++
			}
			if count["A"] != 3 || count["B"] != 3 || count["C"] != 3 {
				t.Errorf("open cases per agent: %v", count)
			}
		})
	}
}

// TestFollowPresence: in a team that follows presence an agent on duty
// but away gets no case; a failed presence look-up counts as present; a
// team that does not follow presence ignores it.
func TestFollowPresence(t *testing.T) {
	away := map[string]bool{"B": true}
	present := func(_ context.Context, id string) (bool, error) {
		if id == "C" {
			return false, fmt.Errorf("presence of %s: slack unreachable", id)
		}
		return !away[id], nil
	}
	for _, c := range []struct {
		follow bool
		want   string
	}{{true, "A C A C A C"}, {false, "A B C A B C"}} {
		t.Run(fmt.Sprint("follow=", c.follow), func(t *testing.T) {
			clk := fakeclock.New(fakeclock.Bases()[1])
			st := openStoreClock(t, t.TempDir(), clk.Now)
			defer st.Close()
			e := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
				DeskPlatform: "slack", DeskChat: "C0SUPPORT", Present: present,
				Routing: core.Routing{Teams: []core.Team{{Name: "support", Channel: "C0SUPPORT", Assign: core.AssignRoundRobin, FollowPresence: c.follow}}},
			}})
			onDuty(t, e, true, "A", "B", "C")
			var got []string
			for i := 1; i <= 6; i++ {
				got = append(got, openCaseFor(t, e, st, clk, i))
			}
			if s := strings.Join(got, " "); s != c.want {
				t.Errorf("assignments %s, want %s", s, c.want)
			}
		})
	}
}
