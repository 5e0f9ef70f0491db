package chaos

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	dcfake "github.com/switchboard-gw/switchboard/internal/fakes/discord"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
	wxfake "github.com/switchboard-gw/switchboard/internal/fakes/wechat"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// Evidence is what Verify checks: the driver's messages, what the fake
// platforms accepted, and the database of the stopped gateway.
type Evidence struct {
	Messages []Msg
	Telegram []telegramfake.Sent
	Slack    []slackfake.Post
	WeChat   []wxfake.Sent // customer-service API messages (passive replies are in Messages)
	Discord  []dcfake.Sent // follow-ups and channel messages
	Web      []WebReply    // bot turns GET /api/web/messages returned at the end
	// TelegramBounds and SlackBounds are how many replies each fake had
	// accepted when a new gateway process was started after a death. A
	// reply accepted twice is an allowed outbound duplicate only when a
	// bound lies between the two copies. Restarts are the times of those
	// starts, for WeChat and Discord (whose answers come from two places).
	// The i-th bound and restart follow the i-th death.
	TelegramBounds, SlackBounds []int
	Restarts                    []time.Time
	StorePath                   string
}

// Platforms are the platforms a campaign can drive, in report order.
var Platforms = []string{"telegram", "slack", "web", "wechat", "discord"}

// PlatformReport is one platform's part of a Report.
type PlatformReport struct {
	Messages, Acked, Answered, Lost, GaveUp int
	InboundDuplicates                       int
	OutboundDuplicates                      int
	// Passive counts messages answered in the webhook's own response
	// (WeChat passive replies, Discord type-4 responses).
	Passive int
	// Discord gateway messages: there is no acknowledgement; Handled are
	// those the gateway stored (each must be answered), Missed those
	// dispatched to no session or to one that died before storing them
	// (Discord does not deliver them again to a new session).
	Gateway, Handled, Missed int
	// DupCrashes is how many deaths were followed by a duplicate of this
	// platform; MaxDupPerCrash the most duplicates one death caused.
	DupCrashes, MaxDupPerCrash int
	// NonceHits are Discord channel posts answered with the earlier message
	// because their nonce was seen before (a duplicate prevented);
	// ChannelDuplicates are Discord channel messages posted twice all the
	// same (nonce + enforce_nonce should make them 0).
	NonceHits, ChannelDuplicates int
}

// Report is the outcome of a campaign.
type Report struct {
	Kills          int            // process deaths by SIGKILL
	RandomKills    int            // sent by the harness at a random moment
	FailpointKills map[string]int // self-inflicted at a failpoint, by point
	Starts         int
	Duration       time.Duration

	Messages int // customer messages written
	Acked    int // acknowledged by the gateway (2xx)
	GaveUp   int // not acknowledged before the platform stopped retrying (Slack)
	Answered int // acknowledged messages whose replies all reached the platform
	Lost     int // acknowledged but not answered, or not in the store
	// InboundDuplicates counts extra handlings of a message: more than one
	// user turn with its id, or more "messages" counter increments than
	// messages stored.
	InboundDuplicates int
	// OutboundDuplicates counts extra copies of a reply the platform
	// accepted; CrossRestart of them had a process death between the copies.
	OutboundDuplicates int
	CrossRestart       int
	Redelivered        int            // acknowledged updates the driver delivered once more
	Requests           int            // webhook requests in all
	Statuses           map[string]int // their outcomes
	Problems           []string       // broken guarantees, empty when all held

	// With Options.PowerLoss: power cuts after deaths (and one after the
	// final graceful stop), unsynced writes they dropped, uncommitted
	// namespace changes they undid, cuts that kept a torn write, and bolt
	// files that opened and passed tx.Check after a cut.
	PowerCuts, CutDroppedWrites, CutUndoneOps, TornWrites, BoltChecks int
	// Syncs and AppliedWrites are the fsync/fdatasync calls the filesystem
	// served and the kept writes they made durable.
	Syncs, AppliedWrites int

	// Platform has the figures of each platform driven.
	Platform map[string]*PlatformReport
	// MaxDupPerCrash is the most outbound duplicates, all platforms
	// together, that followed one death; DupCrashes how many deaths were
	// followed by any.
	MaxDupPerCrash, DupCrashes int
}

func (r *Report) platform(name string) *PlatformReport {
	if r.Platform == nil {
		r.Platform = map[string]*PlatformReport{}
	}
	p := r.Platform[name]
	if p == nil {
		p = &PlatformReport{}
		r.Platform[name] = p
	}
	return p
}

// PlatformSummary is one line per platform driven.
func (r Report) PlatformSummary() string {
	var b strings.Builder
	for _, name := range Platforms {
		p := r.Platform[name]
		if p == nil {
			continue
		}
		fmt.Fprintf(&b, "  %s: messages=%d acked=%d answered=%d lost=%d inbound_duplicates=%d outbound_duplicates=%d "+
			"(after %d deaths, at most %d per death) gave_up=%d passive=%d",
			name, p.Messages, p.Acked, p.Answered, p.Lost, p.InboundDuplicates, p.OutboundDuplicates,
			p.DupCrashes, p.MaxDupPerCrash, p.GaveUp, p.Passive)
		if p.Gateway > 0 {
			fmt.Fprintf(&b, " gateway_messages=%d (handled %d, missed %d: no session, or the process died before storing)", p.Gateway, p.Handled, p.Missed)
		}
		if name == "discord" {
			fmt.Fprintf(&b, " nonce_hits=%d channel_duplicates=%d", p.NonceHits, p.ChannelDuplicates)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// OK reports whether every guarantee held.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Summary is the one-line figure of the campaign.
func (r Report) Summary() string {
	var fp []string
	for _, k := range sortedKeys(r.FailpointKills) {
		fp = append(fp, fmt.Sprintf("%s %d", k, r.FailpointKills[k]))
	}
	pc := ""
	if r.PowerCuts > 0 {
		pc = fmt.Sprintf("power_cuts=%d (dropped writes %d, undone namespace changes %d, torn %d, bolt checks passed %d; "+
			"fsyncs %d made %d writes durable) ",
			r.PowerCuts, r.CutDroppedWrites, r.CutUndoneOps, r.TornWrites, r.BoltChecks, r.Syncs, r.AppliedWrites)
	}
	return pc + fmt.Sprintf("kills=%d (random %d; failpoints: %s) starts=%d messages=%d acked=%d answered=%d lost=%d "+
		"inbound_duplicates=%d outbound_duplicates=%d (%d across a restart; after %d deaths, at most %d per death) "+
		"gave_up=%d redelivered=%d requests=%d %v in %s",
		r.Kills, r.RandomKills, strings.Join(fp, ", "), r.Starts, r.Messages, r.Acked, r.Answered, r.Lost,
		r.InboundDuplicates, r.OutboundDuplicates, r.CrossRestart, r.DupCrashes, r.MaxDupPerCrash,
		r.GaveUp, r.Redelivered, r.Requests, r.Statuses,
		r.Duration.Round(time.Second))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (r *Report) problem(format string, args ...any) {
	const max = 25
	if len(r.Problems) < max {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	} else if len(r.Problems) == max {
		r.Problems = append(r.Problems, "… more problems left out")
	}
}

// sent is one reply a fake accepted, with its position in the fake's log
// (Telegram, Slack) or the time it was accepted (WeChat, Discord).
type sent struct {
	index int
	at    time.Time
	text  string
	kind  string // Discord: "channel" or "followup"
}

// Verify opens the (stopped) gateway's store and checks the guarantees
// message by message. It fills the message and duplicate figures of r and
// appends what it found broken to r.Problems; the error is for a store
// that cannot be read.
func Verify(ctx context.Context, ev Evidence, r *Report) error {
	st, err := bolt.Open(ctx, ev.StorePath, bolt.Options{})
	if err != nil {
		return fmt.Errorf("chaos: verify: %w", err)
	}
	defer st.Close()

	// The replies each message got, by the fakes' own records.
	byTelegram := map[string][]sent{} // "chat:message_id"
	for i, s := range ev.Telegram {
		k := strconv.FormatInt(s.ChatID, 10) + ":" + strconv.Itoa(s.ReplyToMessageID)
		byTelegram[k] = append(byTelegram[k], sent{index: i, text: s.Text})
	}
	bySlack := map[string][]sent{} // channel: one customer message per direct-message channel
	for i, p := range ev.Slack {
		bySlack[p.Channel] = append(bySlack[p.Channel], sent{index: i, text: p.Text})
	}
	byWeChat := map[string][]sent{} // openid: one customer message per openid
	for i, s := range ev.WeChat {
		byWeChat[s.OpenID] = append(byWeChat[s.OpenID], sent{index: i, at: s.At, text: s.Text})
	}
	byDiscord := map[string][]sent{} // channel: one customer message per channel
	for i, s := range ev.Discord {
		byDiscord[s.ChannelID] = append(byDiscord[s.ChannelID], sent{index: i, at: s.At, text: s.Content, kind: s.Kind})
	}
	byWeb := map[string][]sent{} // message id
	for i, w := range ev.Web {
		id := messageOfReply(w.ID)
		byWeb[id] = append(byWeb[id], sent{index: i, text: w.Text})
	}
	dupsPerCrash := map[string]map[int]int{} // platform → death → duplicates

	convs := map[core.ConversationKey][]Msg{}
	var order []core.ConversationKey
	for _, m := range ev.Messages {
		if _, ok := convs[m.Key]; !ok {
			order = append(order, m.Key)
		}
		convs[m.Key] = append(convs[m.Key], m)
	}
	claimed := 0
	stored := 0
	for _, key := range order {
		turns, err := st.Transcript(ctx, key, bolt.DefaultTranscriptLimit)
		if err != nil {
			return fmt.Errorf("chaos: verify: transcript of %s: %w", key, err)
		}
		userTurns := map[string]int{}
		var userOrder []string
		botTexts := map[string][]string{} // message id → its replies, from the transcript
		for _, t := range turns {
			switch t.From {
			case core.AuthorUser:
				userTurns[t.ID]++
				userOrder = append(userOrder, t.ID)
			case core.AuthorBot:
				if id, _, ok := strings.Cut(t.ID, ".r"); ok {
					botTexts[id] = append(botTexts[id], t.Text)
				}
			}
		}
		msgs := convs[key]
		sort.Slice(msgs, func(i, j int) bool { return msgs[i].Seq < msgs[j].Seq })
		var wantOrder []string
		for _, m := range msgs {
			pr := r.platform(m.Platform)
			pr.Messages++
			r.Messages++
			r.Requests += m.Deliveries
			if m.Redelivered {
				r.Redelivered++
			}
			n := userTurns[m.ID]
			acked := m.Acked
			if m.Gateway {
				// No acknowledgement on the gateway: a message the gateway
				// stored must be answered like an acknowledged one.
				pr.Gateway++
				acked = n > 0
				if acked {
					pr.Handled++
				} else {
					pr.Missed++
				}
			}
			if acked {
				r.Acked++
				pr.Acked++
			} else if m.GaveUp {
				r.GaveUp++
				pr.GaveUp++
			}
			stored += min(n, 1)
			if n > 1 {
				r.InboundDuplicates += n - 1
				pr.InboundDuplicates += n - 1
				r.problem("message %s was handled %d times (%d user turns)", m.ID, n, n)
			}
			if n > 0 {
				wantOrder = append(wantOrder, m.ID)
			}
			var got []sent
			switch m.Platform {
			case "telegram":
				got = byTelegram[strconv.FormatInt(m.ChatID, 10)+":"+strconv.Itoa(m.MessageID)]
			case "slack":
				got = bySlack[m.Channel]
			case "wechat":
				got = byWeChat[m.OpenID]
			case "discord":
				got = byDiscord[m.Channel]
			case "web":
				got = byWeb[m.ID]
				if m.SessionLost {
					r.problem("web message %s: its session, created with 201, was gone after a crash (401)", m.ID)
				}
			}
			claimed += len(got)
			if len(m.Passive) > 0 {
				pr.Passive++
			}
			for _, a := range m.Passive {
				got = append(got, sent{index: -1, at: a.At, text: a.Text})
			}
			sort.SliceStable(got, func(i, j int) bool {
				if got[i].index >= 0 && got[j].index >= 0 {
					return got[i].index < got[j].index
				}
				return got[i].at.Before(got[j].at)
			})
			want := botTexts[m.ID]
			distinct := map[string][]sent{}
			var order []string
			for _, s := range got {
				if _, ok := distinct[s.text]; !ok {
					order = append(order, s.text)
				}
				distinct[s.text] = append(distinct[s.text], s)
			}
			for _, copies := range distinct {
				r.OutboundDuplicates += len(copies) - 1
				pr.OutboundDuplicates += len(copies) - 1
				for _, c := range copies[1:] {
					if c.kind == "channel" {
						pr.ChannelDuplicates++
					}
				}
				for i := 1; i < len(copies); i++ {
					death := -1
					switch m.Platform {
					case "telegram":
						death = straddle(ev.TelegramBounds, copies[i-1].index, copies[i].index)
					case "slack":
						death = straddle(ev.SlackBounds, copies[i-1].index, copies[i].index)
					default:
						death = straddleTime(ev.Restarts, copies[i-1].at, copies[i].at)
					}
					if death >= 0 {
						r.CrossRestart++
						if dupsPerCrash[m.Platform] == nil {
							dupsPerCrash[m.Platform] = map[int]int{}
						}
						dupsPerCrash[m.Platform][death]++
					} else {
						r.problem("reply to %s (%s) was sent twice by the same process", m.ID, m.Platform)
					}
				}
			}
			var answered, consistent bool
			switch m.Platform {
			case "telegram":
				answered = n > 0 && len(want) > 0 && len(distinct) == len(want)
				for _, w := range want {
					if _, ok := distinct[w]; !ok {
						answered = false
					}
				}
				consistent = n == 0 || len(distinct) == len(want)
			case "slack":
				answered = n > 0 && len(want) > 0 && len(distinct) == len(want)
				consistent = n == 0 || len(distinct) == len(want)
			default:
				// A WeChat passive reply joins several answers; an answer
				// may be split in parts: every answer must be in what the
				// customer got, and nothing else.
				all := strings.Join(order, "\n\n")
				answered = n > 0 && len(want) > 0
				for _, w := range want {
					if !strings.Contains(all, strings.TrimSpace(w)) {
						answered = false
					}
				}
				consistent = n == 0 || len(order) == 0 || answered
			}
			switch {
			case !consistent:
				r.problem("message %s: %d replies in the transcript, %d distinct replies delivered", m.ID, len(want), len(distinct))
			case n == 0 && len(got) > 0:
				r.problem("message %s was answered but is not in the store", m.ID)
			}
			if acked {
				if answered {
					r.Answered++
					pr.Answered++
				} else {
					r.Lost++
					pr.Lost++
					r.problem("acknowledged %s message %s lost: %d user turns, %d replies committed, %d delivered", m.Platform, m.ID, n, len(want), len(got))
				}
			}
		}
		if !slices.Equal(userOrder, wantOrder) {
			r.problem("conversation %s: user turns %v, want %v (each message once, in order)", key, userOrder, wantOrder)
		}
	}
	for name, deaths := range dupsPerCrash {
		pr := r.platform(name)
		pr.DupCrashes = len(deaths)
		for _, k := range deaths {
			pr.MaxDupPerCrash = max(pr.MaxDupPerCrash, k)
		}
	}
	all := map[int]int{}
	for _, deaths := range dupsPerCrash {
		for d, k := range deaths {
			all[d] += k
		}
	}
	r.DupCrashes = len(all)
	for _, k := range all {
		r.MaxDupPerCrash = max(r.MaxDupPerCrash, k)
	}
	if k := r.Statuses["bad answer"]; k > 0 {
		r.problem("%d webhook answers the platform could not read", k)
	}
	if extra := len(ev.Telegram) + len(ev.Slack) + len(ev.WeChat) + len(ev.Discord) + len(ev.Web) - claimed; extra != 0 {
		r.problem("%d replies reached the platforms that answer none of the driver's messages", extra)
	}
	counters, err := st.Counters(ctx)
	if err != nil {
		return fmt.Errorf("chaos: verify: counters: %w", err)
	}
	if c := int(counters["messages"]); c != stored {
		r.problem("counter messages = %d, but %d distinct messages are stored", c, stored)
		if c > stored {
			r.InboundDuplicates += c - stored
		}
	}
	if n, err := st.OutboxLen(ctx); err != nil || n != 0 {
		r.problem("outbox not empty at the end: %d entries (%v)", n, err)
	}
	if dl, err := st.DeadLetters(ctx, 10); err != nil || len(dl) != 0 {
		r.problem("dead letters at the end: %d (%v)", len(dl), err)
	}
	return nil
}

// straddle returns the first death whose restart bound b lies between
// two copies at fake indexes i < j, i.e. the first copy was accepted
// before a process death and the second after the next start; -1 if none.
func straddle(bounds []int, i, j int) int {
	for k, b := range bounds {
		if i < b && b <= j {
			return k
		}
	}
	return -1
}

// straddleTime is straddle for copies accepted at times a ≤ b and the
// restart times.
func straddleTime(restarts []time.Time, a, b time.Time) int {
	for k, s := range restarts {
		if a.Before(s) && !b.Before(s) {
			return k
		}
	}
	return -1
}
