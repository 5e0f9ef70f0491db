package intents

import (
	"testing"

	"github.com/switchboard-gw/switchboard/core"
)

// TestRoutingNotices: the owner's after_hours, queue and transferred texts
// are accepted under responses: and see the engine's values as slots.
func TestRoutingNotices(t *testing.T) {
	src := pizzaBot("") + `responses:
  after_hours:
    en: "Closed. Back {{.Slots.next_open}}."
    zh: "休息中，{{.Slots.next_open}}见。"
  queue: {en: "You are #{{.Slots.position}}, about {{.Slots.wait}}."}
  transferred: {en: "Moved to {{.Slots.team}}."}
`
	u := newBot(t, src)
	for _, c := range []struct {
		kind, lang string
		slots      map[string]string
		want       string
	}{
		{core.NoticeAfterHours, "en", map[string]string{"next_open": "Monday 14 December, 09:00 (Europe/Berlin time)"}, "Closed. Back Monday 14 December, 09:00 (Europe/Berlin time)."},
		{core.NoticeAfterHours, "zh", map[string]string{"next_open": "12月14日（星期一）09:00"}, "休息中，12月14日（星期一）09:00见。"},
		{core.NoticeQueue, "en", map[string]string{"position": "3", "wait": "12 minutes"}, "You are #3, about 12 minutes."},
		{core.NoticeTransferred, "en", map[string]string{"team": "billing"}, "Moved to billing."},
	} {
		r, ok := u.Notice(c.kind, core.Input{Language: c.lang, State: core.State{Language: c.lang, Slots: c.slots}})
		if !ok || r.Text != c.want {
			t.Errorf("%s (%s) = %q, %v; want %q", c.kind, c.lang, r.Text, ok, c.want)
		}
	}
}
