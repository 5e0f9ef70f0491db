package main

import (
	"strings"
	"testing"
)

// twoTeamShop is the README's example: support (default) and billing.
const twoTeamShop = `slack:
  enabled: true
  bot_token: xoxb-1
  signing_secret: s
  support_channel: C0SUPPORT
handoff:
  teams:
    - name: support
      channel: C0SUPPORT
      assign: round_robin
      max_open_cases: 3
      hours: {time_zone: Europe/Berlin, weekly: {mon-fri: "09:00-18:00"}, holidays: [2026-12-25, "2026-12-26"]}
    - name: billing
      channel: C0BILLING
      notify: "<!subteam^S0BILLING>"
      assign: least_busy
  routes:
    - {when: {intent: [payment_methods, shipping_costs]}, team: billing}
    - when: {language: zh, reason: [asked, sentiment], slots: {order_value: ">500"}}
      team: billing
`

// TestCheckRouting: check accepts the two-team example and reports an
// unknown team, an unknown intent, a rule that can never match and an
// unknown key, each as file:line.
func TestCheckRouting(t *testing.T) {
	write := writeConfig
	t.Run("two-team shop", func(t *testing.T) {
		cfg := write(t, twoTeamShop)
		out, errOut, err := runCheck(t, "--config", cfg)
		if err != nil {
			t.Fatalf("check failed: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "config: "+cfg+": ok") {
			t.Fatalf("stdout:\n%s", out)
		}
	})
	t.Run("problems with their lines", func(t *testing.T) {
		cfg := write(t, `slack:
  enabled: true
  bot_token: xoxb-1
  signing_secret: s
  support_channel: C0SUPPORT
handoff:
  teams:
    - {name: support, channel: C0SUPPORT}
    - {name: billing, channel: C0BILLING, assign: fastest}
  routes:
    - {when: {language: zh}, team: cn}
    - {when: {platform: telegram}, team: billing}
    - {when: {platform: telegram, language: en}, team: support}
    - {when: {reason: bored}, team: support}
`)
		_, errOut, err := runCheck(t, "--config", cfg)
		if err == nil {
			t.Fatal("check passed")
		}
		for _, want := range []string{
			cfg + `:9: handoff.teams[1].assign: must be one of manual, round_robin, least_busy; got "fastest"`,
			cfg + `:11: handoff.routes[0].team: unknown team "cn" (teams: support, billing)`,
			cfg + `:13: handoff.routes[2]: can never match: handoff.routes[1] (line 12) above it matches every conversation this one matches`,
			cfg + `:14: handoff.routes[3].when.reason: unknown reason "bored" (reasons: asked, fallbacks, sentiment, flow)`,
		} {
			if !strings.Contains(errOut, want+"\n") {
				t.Errorf("check does not say\n%s\nin:\n%s", want, errOut)
			}
		}
	})
	t.Run("unknown intent", func(t *testing.T) {
		cfg := write(t, strings.Replace(twoTeamShop, "[payment_methods, shipping_costs]", "[payment_methods, refund_statuss]", 1))
		_, errOut, err := runCheck(t, "--config", cfg)
		if err == nil || !strings.Contains(errOut, cfg+`:18: handoff.routes[0].when.intent: unknown intent or FAQ "refund_statuss"`) {
			t.Fatalf("err = %v, stderr:\n%s", err, errOut)
		}
	})
	t.Run("unknown key in a team", func(t *testing.T) {
		cfg := write(t, strings.Replace(twoTeamShop, "      assign: least_busy\n", "      asign: least_busy\n", 1))
		_, errOut, err := runCheck(t, "--config", cfg)
		if err == nil || !strings.Contains(errOut, cfg+":16: handoff.teams[1].asign: unknown key") {
			t.Fatalf("err = %v, stderr:\n%s", err, errOut)
		}
	})
	t.Run("bad hours", func(t *testing.T) {
		cfg := write(t, strings.Replace(twoTeamShop, `mon-fri: "09:00-18:00"`, `mon-fri: "18:00-09:00"`, 1))
		_, errOut, err := runCheck(t, "--config", cfg)
		if err == nil || !strings.Contains(errOut, cfg+`:12: handoff.teams[0].hours: weekly mon-fri: "18:00-09:00" ends before it starts`) {
			t.Fatalf("err = %v, stderr:\n%s", err, errOut)
		}
	})
}
