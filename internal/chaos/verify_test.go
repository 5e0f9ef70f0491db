package chaos

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	dcfake "github.com/switchboard-gw/switchboard/internal/fakes/discord"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
	wxfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// TestVerify checks the checker: each kind of broken guarantee, written
// into a store and a fake's record by hand, must be reported.
func TestVerify(t *testing.T) {
	d := NewDriver(DriverOptions{TelegramBot: "bot"})
	defer d.Close()
	a := d.NewTelegram(-1001, 11, 0, "hello")
	b := d.NewTelegram(-1001, 11, 1, "how much is shipping")
	msgs := func(acked bool) []Msg {
		out := d.Messages()
		for i := range out {
			out[i].Acked = acked
		}
		return out
	}
	reply := func(m *Msg, text string) telegramfake.Sent {
		return telegramfake.Sent{ChatID: m.ChatID, ReplyToMessageID: m.MessageID, Text: text}
	}
	both := []telegramfake.Sent{reply(a, "Hi!"), reply(b, "Free over €50.")}

	tests := []struct {
		name    string
		commits []*Msg // committed in this order (a message twice: handled twice)
		sent    []telegramfake.Sent
		bounds  []int
		want    string // substring of a problem; empty: no problem
		check   func(Report) bool
	}{
		{name: "all answered once", commits: []*Msg{a, b}, sent: both,
			check: func(r Report) bool { return r.Answered == 2 && r.Lost == 0 }},
		{name: "acked, committed, never sent", commits: []*Msg{a, b}, sent: both[:1], want: "lost",
			check: func(r Report) bool { return r.Lost == 1 }},
		{name: "acked, never committed", commits: []*Msg{a}, sent: both[:1], want: "lost",
			check: func(r Report) bool { return r.Lost == 1 }},
		{name: "handled twice", commits: []*Msg{a, a, b}, sent: both, want: "handled 2 times",
			check: func(r Report) bool { return r.InboundDuplicates >= 1 }},
		{name: "out of order", commits: []*Msg{b, a}, sent: both, want: "in order"},
		{name: "sent twice by one process", commits: []*Msg{a, b}, sent: append(both, both[0]), want: "same process",
			check: func(r Report) bool { return r.OutboundDuplicates == 1 && r.CrossRestart == 0 }},
		{name: "sent twice across a restart", commits: []*Msg{a, b}, sent: append(both, both[0]), bounds: []int{2},
			check: func(r Report) bool { return r.OutboundDuplicates == 1 && r.CrossRestart == 1 }},
		{name: "reply to nobody", commits: []*Msg{a, b}, sent: append(both, telegramfake.Sent{ChatID: 5, Text: "?"}),
			want: "answer none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "s.db")
			st, err := bolt.Open(ctx, path, bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			texts := map[*Msg]string{a: "Hi!", b: "Free over €50."}
			for i, m := range tt.commits {
				commitHandled(t, st, m, i, texts[m])
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			var r Report
			ev := Evidence{Messages: msgs(true), Telegram: tt.sent, TelegramBounds: tt.bounds, StorePath: path}
			if err := Verify(ctx, ev, &r); err != nil {
				t.Fatal(err)
			}
			problems := strings.Join(r.Problems, "\n")
			if tt.want == "" && problems != "" {
				t.Errorf("unexpected problems:\n%s", problems)
			}
			if tt.want != "" && !strings.Contains(problems, tt.want) {
				t.Errorf("problems %q, want one containing %q", problems, tt.want)
			}
			if tt.check != nil && !tt.check(r) {
				t.Errorf("report %s", r.Summary())
			}
		})
	}
}

// commitHandled writes what the engine writes for a handled message: its
// user turn, one bot turn and the counter, with a dedupe key unique to
// attempt (so that committing a message twice is possible here).
func commitHandled(t *testing.T, st *bolt.Store, m *Msg, attempt int, reply string) {
	t.Helper()
	ctx := context.Background()
	state, _, err := st.Load(ctx, m.Key, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	c := core.Commit{Key: m.Key, SaveState: true, State: state,
		Dedupe:   []core.DedupeKey{{Key: m.ID + "#" + string(rune('a'+attempt)), Expires: now.Add(time.Hour)}},
		Turns:    []core.Turn{{ID: m.ID, From: core.AuthorUser, Text: m.Text, At: now}, {ID: m.ID + ".r0", From: core.AuthorBot, Text: reply, At: now}},
		Counters: map[string]int64{"messages": 1}}
	if err := st.Commit(ctx, c); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyOtherPlatforms checks the checker for WeChat (a passive reply
// and a customer-service copy of it), Discord gateway messages (no
// acknowledgement: stored means owed an answer) and the web chat.
func TestVerifyOtherPlatforms(t *testing.T) {
	d := NewDriver(DriverOptions{})
	defer d.Close()
	wx := d.NewWeChat("oCUSTOMER0000000000000000001", "运费多少")
	dm := d.NewDiscordDM(1400000000000000001, 1500000000000000001, "hello")
	missed := d.NewDiscordDM(1400000000000000002, 1500000000000000002, "hello")
	web := d.NewWeb("dG9rZW4tb2YtYS13ZWItY2hhdC1zZXNzaW9uLWZvci10ZXN0", 0, "how much is shipping")
	t0 := time.Now()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	const wxText, dmText, webText = "运费 10 元", "Hi!", "Free over €50."

	tests := []struct {
		name        string
		passive     []Answer
		wxAPI       []wxfake.Sent
		discord     []dcfake.Sent
		web         []WebReply
		restarts    []time.Time
		sessionGone bool
		want        string
		check       func(Report) bool
	}{
		{name: "each answered once", passive: []Answer{{wxText, at(1)}},
			discord: []dcfake.Sent{{ChannelID: dm.Channel, Content: dmText, At: at(1)}},
			web:     []WebReply{{ID: web.ID + ".r0", Text: webText}},
			check: func(r Report) bool {
				return r.Lost == 0 && r.Answered == 3 && r.Platform["discord"].Missed == 1 && r.Platform["wechat"].Passive == 1
			}},
		{name: "passive, then the API across a restart", passive: []Answer{{wxText, at(1)}},
			wxAPI:    []wxfake.Sent{{OpenID: wx.OpenID, Text: wxText, At: at(3)}},
			discord:  []dcfake.Sent{{ChannelID: dm.Channel, Content: dmText, At: at(1)}},
			web:      []WebReply{{ID: web.ID + ".r0", Text: webText}},
			restarts: []time.Time{at(2)},
			check: func(r Report) bool {
				p := r.Platform["wechat"]
				return r.CrossRestart == 1 && p.OutboundDuplicates == 1 && p.DupCrashes == 1 && p.MaxDupPerCrash == 1
			}},
		{name: "passive and the API in one life", passive: []Answer{{wxText, at(1)}},
			wxAPI:   []wxfake.Sent{{OpenID: wx.OpenID, Text: wxText, At: at(3)}},
			discord: []dcfake.Sent{{ChannelID: dm.Channel, Content: dmText, At: at(1)}},
			web:     []WebReply{{ID: web.ID + ".r0", Text: webText}},
			want:    "sent twice by the same process"},
		{name: "stored gateway message never answered", passive: []Answer{{wxText, at(1)}},
			web:   []WebReply{{ID: web.ID + ".r0", Text: webText}},
			want:  "acknowledged discord message " + dm.ID + " lost",
			check: func(r Report) bool { return r.Platform["discord"].Lost == 1 }},
		{name: "Discord channel message posted twice across a restart", passive: []Answer{{wxText, at(1)}},
			discord: []dcfake.Sent{{Kind: "channel", ChannelID: dm.Channel, Content: dmText, At: at(1)},
				{Kind: "channel", ChannelID: dm.Channel, Content: dmText, At: at(3)}},
			web:      []WebReply{{ID: web.ID + ".r0", Text: webText}},
			restarts: []time.Time{at(2)},
			check: func(r Report) bool {
				p := r.Platform["discord"]
				return p.OutboundDuplicates == 1 && p.ChannelDuplicates == 1 && r.CrossRestart == 1
			}},
		{name: "web session lost", passive: []Answer{{wxText, at(1)}},
			discord:     []dcfake.Sent{{ChannelID: dm.Channel, Content: dmText, At: at(1)}},
			web:         []WebReply{{ID: web.ID + ".r0", Text: webText}},
			sessionGone: true, want: "session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "s.db")
			st, err := bolt.Open(ctx, path, bolt.Options{})
			if err != nil {
				t.Fatal(err)
			}
			commitHandled(t, st, wx, 0, wxText)
			commitHandled(t, st, dm, 0, dmText)
			commitHandled(t, st, web, 0, webText)
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			var msgs []Msg
			for _, m := range d.Messages() {
				m.Acked = !m.Gateway
				switch m.ID {
				case wx.ID:
					m.Passive = tt.passive
				case missed.ID:
					m.Dispatched = true
				case web.ID:
					m.SessionLost = tt.sessionGone
				}
				msgs = append(msgs, m)
			}
			var r Report
			ev := Evidence{Messages: msgs, WeChat: tt.wxAPI, Discord: tt.discord, Web: tt.web, Restarts: tt.restarts, StorePath: path}
			if err := Verify(ctx, ev, &r); err != nil {
				t.Fatal(err)
			}
			problems := strings.Join(r.Problems, "\n")
			if tt.want == "" && problems != "" {
				t.Errorf("unexpected problems:\n%s", problems)
			}
			if tt.want != "" && !strings.Contains(problems, tt.want) {
				t.Errorf("problems %q, want one containing %q", problems, tt.want)
			}
			if tt.check != nil && !tt.check(r) {
				t.Errorf("report %s\n%s", r.Summary(), r.PlatformSummary())
			}
		})
	}
}
