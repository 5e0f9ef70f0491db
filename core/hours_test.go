package core_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

func mustHours(t *testing.T, tz string, weekly map[string]string, holidays ...string) *core.BusinessHours {
	t.Helper()
	h, err := core.ParseHours(tz, weekly, holidays)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func at(t *testing.T, tz, local string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04:05", local, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBusinessHoursBoundaries checks each side of opening and closing in
// two time zones, a lunch break, a weekend and a holiday.
func TestBusinessHoursBoundaries(t *testing.T) {
	berlin := mustHours(t, "Europe/Berlin", map[string]string{"mon-fri": "09:00-17:00", "sat": "closed"}, "2026-12-14")
	shanghai := mustHours(t, "Asia/Shanghai", map[string]string{"mon-fri": "09:00-12:00, 13:00-18:00", "sat,sun": "10:00-14:00"})
	for _, c := range []struct {
		name     string
		h        *core.BusinessHours
		tz, now  string
		open     bool
		nextOpen string // local, when closed
	}{
		{"Berlin before opening", berlin, "Europe/Berlin", "2026-12-10 08:59:59", false, "2026-12-10 09:00"},
		{"Berlin at opening", berlin, "Europe/Berlin", "2026-12-10 09:00:00", true, ""},
		{"Berlin last second", berlin, "Europe/Berlin", "2026-12-11 16:59:59", true, ""},
		{"Berlin at closing on Friday: Monday is a holiday", berlin, "Europe/Berlin", "2026-12-11 17:00:00", false, "2026-12-15 09:00"},
		{"Shanghai lunch break", shanghai, "Asia/Shanghai", "2026-12-10 12:00:00", false, "2026-12-10 13:00"},
		{"Shanghai before lunch", shanghai, "Asia/Shanghai", "2026-12-10 11:59:59", true, ""},
		{"Shanghai after closing", shanghai, "Asia/Shanghai", "2026-12-11 18:00:00", false, "2026-12-12 10:00"},
		{"Shanghai Sunday", shanghai, "Asia/Shanghai", "2026-12-13 13:59:59", true, ""},
		// 17:00 in Berlin is midnight in Shanghai: the same instant, two answers.
		{"Shanghai at Berlin's closing", shanghai, "Europe/Berlin", "2026-12-11 17:00:00", false, "2026-12-12 10:00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := at(t, c.tz, c.now)
			if got := c.h.Open(now); got != c.open {
				t.Fatalf("Open(%s) = %v", now, got)
			}
			next, ok := c.h.NextOpen(now)
			if !ok {
				t.Fatal("never opens")
			}
			if c.open {
				if !next.Equal(now) {
					t.Errorf("NextOpen while open = %s", next)
				}
				return
			}
			if got := next.Format("2006-01-02 15:04"); got != c.nextOpen || next.Location() != c.h.Location {
				t.Errorf("NextOpen = %s (%s), want %s in the team's zone", got, next.Location(), c.nextOpen)
			}
		})
	}
	for _, bad := range []map[string]string{{"mon-fri": "17:00-09:00"}, {"mon": "9-5"}, {"funday": "09:00-17:00"}, {"mon-fri": "09:00-17:00", "fri": "10:00-12:00"}} {
		if _, err := core.ParseHours("UTC", bad, nil); err == nil {
			t.Errorf("ParseHours accepted %v", bad)
		}
	}
	if _, err := core.ParseHours("Mars/Olympus", map[string]string{"daily": "00:00-24:00"}, nil); err == nil {
		t.Error("unknown time zone accepted")
	}
}

// TestAfterHoursHandoff: out of hours the customer gets the after-hours
// text naming the next opening in their language and the team's zone; the
// case is still created, flagged, unless the team is bot_only. In hours
// nothing changes.
func TestAfterHoursHandoff(t *testing.T) {
	routing := func(botOnly bool) core.Routing {
		return core.Routing{
			Teams: []core.Team{
				{Name: "support", Channel: "C0SUPPORT", Hours: mustHours(t, "Europe/Berlin", map[string]string{"mon-fri": "09:00-17:00"}), BotOnlyAfterHours: botOnly},
				{Name: "cn", Channel: "C0CHINA", Hours: mustHours(t, "Asia/Shanghai", map[string]string{"mon-fri": "09:00-18:00"})},
			},
			Routes: []core.Route{{Languages: []string{"zh"}, Team: "cn"}},
		}
	}
	for _, c := range []struct {
		name    string
		botOnly bool
		lang    string
		now     time.Time
		want    string
		flagged bool
		noCase  bool
	}{
		{"en, a second before closing", false, "", at(t, "Europe/Berlin", "2026-12-11 16:59:59"), "I'm passing you to a member of our team.", false, false},
		{"en, at closing", false, "", at(t, "Europe/Berlin", "2026-12-11 17:00:00"),
			"Our team is away right now. We open again Monday 14 December, 09:00 (Europe/Berlin time) and will answer you here then.", true, false},
		{"en, bot only", true, "", at(t, "Europe/Berlin", "2026-12-12 11:00:00"),
			"Our team is away right now. We open again Monday 14 December, 09:00 (Europe/Berlin time) and will answer you here then.", false, true},
		{"zh, before opening", false, "zh", at(t, "Asia/Shanghai", "2026-12-14 08:59:00"),
			"我们的客服团队目前不在线。我们将于12月14日（星期一）09:00（Asia/Shanghai 时间）恢复服务，届时会在这里回复您。", true, false},
		{"zh, at opening", false, "zh", at(t, "Asia/Shanghai", "2026-12-14 09:00:00"), "正在为您转接人工客服", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			clk := fakeclock.New(c.now.Add(-time.Second))
			st := openStoreClock(t, t.TempDir(), clk.Now)
			defer st.Close()
			e := core.NewEngine(st, router{}, core.EngineOptions{Now: clk.Now, Handoff: core.HandoffOptions{
				DeskPlatform: "slack", DeskChat: "C0SUPPORT", Routing: routing(c.botOnly)}})
			key := core.ConversationKey{Platform: "web", Chat: "v", User: "v"}
			if c.lang != "" {
				if _, err := e.Handle(ctx, core.Message{Key: key, ID: "m0", Text: "lang:" + c.lang}); err != nil {
					t.Fatal(err)
				}
				drain(t, st)
			}
			clk.Set(c.now)
			res, err := e.Handle(ctx, core.Message{Key: key, ID: "m1", Text: "flowfail"})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Replies) != 1 || !strings.HasPrefix(res.Replies[0].Text, c.want) {
				t.Fatalf("customer told %+v, want %q", res.Replies, c.want)
			}
			var card *core.CaseCard
			for _, r := range outbox(t, st) {
				if r.Kind == core.ReplyCase {
					card = r.Case
				}
			}
			state, _, _ := st.Load(ctx, key, nil)
			if c.noCase {
				if card != nil || state.Handoff != nil || res.Decision.Handoff {
					t.Fatalf("bot_only out of hours opened a case: %+v %+v", card, state.Handoff)
				}
				return
			}
			if card == nil || state.Handoff == nil {
				t.Fatal("no case")
			}
			if card.AfterHours != c.flagged || state.Handoff.AfterHours != c.flagged {
				t.Errorf("after-hours flag: card %v, handoff %v, want %v", card.AfterHours, state.Handoff.AfterHours, c.flagged)
			}
			if c.flagged && !strings.Contains(card.Text(), "After hours") {
				t.Errorf("the case text does not say after hours:\n%s", card.Text())
			}
		})
	}
}
