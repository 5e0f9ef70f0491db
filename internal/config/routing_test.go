package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const teamsYAML = `slack:
  enabled: true
  bot_token: xoxb-1
  signing_secret: s
  support_channel: C0SUPPORT
handoff:
  notify: "<!here>"
  teams:
    - name: support
      channel: C0SUPPORT
      assign: round_robin
      max_open_cases: 4
      hours:
        time_zone: Asia/Shanghai
        weekly: {mon-fri: "09:00-18:00"}
        holidays: [2027-02-06, "2027-02-07"]
      after_hours: bot_only
    - {name: billing, channel: C0BILLING, notify: "<!subteam^S1>"}
  routes:
    - when: {language: [zh, zh-TW], intent: refund_status, reason: asked, slots: {Order_Value: ">=500"}, attribute: {email: "*@vip.example"}}
      team: billing
`

// TestLoadTeams: teams and routes decode from YAML (unquoted dates as
// holidays, one value where a list is allowed) and become the engine's
// routing; without teams the default team is slack.support_channel.
func TestLoadTeams(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", teamsYAML), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := cfg.Routing()
	if len(r.Teams) != 2 || len(r.Routes) != 1 {
		t.Fatalf("routing %+v", r)
	}
	sup, bill := r.Teams[0], r.Teams[1]
	if sup.Name != "support" || sup.Assign != "round_robin" || sup.MaxOpenCases != 4 || !sup.BotOnlyAfterHours || sup.Notify != "<!here>" {
		t.Errorf("support %+v", sup)
	}
	if sup.Hours == nil || sup.Hours.Location.String() != "Asia/Shanghai" || strings.Join(sup.Hours.Holidays, ",") != "2027-02-06,2027-02-07" {
		t.Errorf("support hours %+v", sup.Hours)
	}
	if bill.Notify != "<!subteam^S1>" || bill.Hours != nil {
		t.Errorf("billing %+v", bill)
	}
	rt := r.Routes[0]
	if rt.Team != "billing" || strings.Join(rt.Languages, ",") != "zh,zh-TW" || strings.Join(rt.Intents, ",") != "refund_status" ||
		strings.Join(rt.Reasons, ",") != "asked" || rt.Attributes["email"] != "*@vip.example" || len(rt.Slots) != 1 {
		t.Errorf("route %+v", rt)
	}
	// Open on a Monday morning in Shanghai, closed on the holiday.
	mon := time.Date(2027, 2, 8, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai
	if !sup.Hours.Open(mon) || sup.Hours.Open(mon.Add(-48*time.Hour)) {
		t.Error("hours do not follow the configured zone and holidays")
	}

	plain, err := Load(writeFile(t, "p.yaml", "slack: {enabled: true, bot_token: x, signing_secret: s, support_channel: C0DESK}\nhandoff: {notify: \"<!here>\"}\n"), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if r := plain.Routing(); len(r.Teams) != 1 || r.Teams[0].Channel != "C0DESK" || r.Teams[0].Name != "support" || r.Teams[0].Notify != "<!here>" {
		t.Errorf("default routing %+v", r)
	}
}

// TestTeamsFromEnvironment: SWITCHBOARD_HANDOFF_TEAMS takes a JSON array.
func TestTeamsFromEnvironment(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", "slack: {enabled: true, bot_token: x, signing_secret: s}\n"), envMap(map[string]string{
		"SWITCHBOARD_HANDOFF_TEAMS":  `[{"name": "support", "channel": "C0SUPPORT", "assign": "least_busy"}]`,
		"SWITCHBOARD_HANDOFF_ROUTES": `[{"when": {"platform": "telegram"}, "team": "support"}]`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Handoff.Teams) != 1 || cfg.Handoff.Teams[0].Assign != "least_busy" || cfg.Handoff.Routes[0].When.Platform[0] != "telegram" {
		t.Fatalf("from env: %+v", cfg.Handoff)
	}
	if _, err := Load("", envMap(map[string]string{"SWITCHBOARD_HANDOFF_TEAMS": "support"})); err == nil || !strings.Contains(err.Error(), "JSON array") {
		t.Errorf("a non-JSON value: %v", err)
	}
}

// TestRoutingProblems: each problem names the key and its line.
func TestRoutingProblems(t *testing.T) {
	for name, c := range map[string]struct{ yaml, want string }{
		"unknown key in hours": {strings.Replace(teamsYAML, "time_zone:", "timezone:", 1), `c.yaml:14: handoff.teams[0].hours.timezone: unknown key (known: time_zone, weekly, holidays)`},
		"unknown key in when":  {strings.Replace(teamsYAML, "intent: refund_status", "intents: refund_status", 1), `c.yaml:20: handoff.routes[0].when.intents: unknown key`},
		"bad time zone":        {strings.Replace(teamsYAML, "Asia/Shanghai", "Asia/Shanghia", 1), `c.yaml:13: handoff.teams[0].hours: time_zone "Asia/Shanghia" is not a known IANA time zone`},
		"bad holiday":          {strings.Replace(teamsYAML, `"2027-02-07"`, `"7 Feb"`, 1), `c.yaml:13: handoff.teams[0].hours: holiday "7 Feb" is not a date like 2026-12-25`},
		"bad slot condition":   {strings.Replace(teamsYAML, `">=500"`, `">= lots"`, 1), `c.yaml:20: handoff.routes[0].when.slots.order_value: slot condition ">= lots": >= needs a number`},
		"duplicate team":       {strings.Replace(teamsYAML, "name: billing", "name: support", 1), `c.yaml:18: handoff.teams[1].name: team "support" is defined twice`},
		"channel name":         {strings.Replace(teamsYAML, "channel: C0BILLING", "channel: \"#billing\"", 1), `c.yaml:18: handoff.teams[1].channel: must be a Slack channel id like C0123ABCD, got "#billing"`},
		"bot_only without hours": {strings.Replace(teamsYAML, `notify: "<!subteam^S1>"}`, `notify: "<!subteam^S1>", after_hours: bot_only}`, 1),
			`c.yaml:18: handoff.teams[1].after_hours: bot_only needs hours`},
		"teams without slack": {strings.Replace(teamsYAML, "  enabled: true\n", "  enabled: false\n", 1),
			`c.yaml:8: handoff.teams: teams work in Slack channels: set slack.enabled`},
		"catch-all first": {strings.Replace(teamsYAML, "  routes:\n", "  routes:\n    - {team: support}\n", 1),
			`c.yaml:21: handoff.routes[1]: can never match: handoff.routes[0] (line 20) above it`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := Load(writeFile(t, "c.yaml", c.yaml), envMap(nil))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v\nwant %q", err, c.want)
			}
			var pe *PosError
			if !errors.As(err, &pe) {
				t.Errorf("not a *PosError: %T", err)
			}
		})
	}
}
