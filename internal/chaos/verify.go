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
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	telegramfake "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// Evidence is what Verify checks: the driver's messages, what the fake
// platforms accepted, and the database of the stopped gateway.
type Evidence struct {
	Messages []Msg
	Telegram []telegramfake.Sent
	Slack    []slackfake.Post
	// TelegramBounds and SlackBounds are how many replies each fake had
	// accepted when a new gateway process was started after a death. A
	// reply accepted twice is an allowed outbound duplicate only when a
	// bound lies between the two copies.
	TelegramBounds, SlackBounds []int
	StorePath                   string
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
		"inbound_duplicates=%d outbound_duplicates=%d (%d across a restart) gave_up=%d redelivered=%d requests=%d %v in %s",
		r.Kills, r.RandomKills, strings.Join(fp, ", "), r.Starts, r.Messages, r.Acked, r.Answered, r.Lost,
		r.InboundDuplicates, r.OutboundDuplicates, r.CrossRestart, r.GaveUp, r.Redelivered, r.Requests, r.Statuses,
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

// sent is one reply a fake accepted, with its position in the fake's log.
type sent struct {
	index int
	text  string
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
		byTelegram[k] = append(byTelegram[k], sent{i, s.Text})
	}
	bySlack := map[string][]sent{} // channel: one customer message per direct-message channel
	for i, p := range ev.Slack {
		bySlack[p.Channel] = append(bySlack[p.Channel], sent{i, p.Text})
	}

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
			r.Messages++
			r.Requests += m.Deliveries
			if m.Redelivered {
				r.Redelivered++
			}
			if m.Acked {
				r.Acked++
			} else if m.GaveUp {
				r.GaveUp++
			}
			n := userTurns[m.ID]
			stored += min(n, 1)
			if n > 1 {
				r.InboundDuplicates += n - 1
				r.problem("message %s was handled %d times (%d user turns)", m.ID, n, n)
			}
			if n > 0 {
				wantOrder = append(wantOrder, m.ID)
			}
			var got []sent
			if m.Platform == "telegram" {
				got = byTelegram[strconv.FormatInt(m.ChatID, 10)+":"+strconv.Itoa(m.MessageID)]
			} else {
				got = bySlack[m.Channel]
			}
			claimed += len(got)
			want := botTexts[m.ID]
			distinct := map[string][]int{}
			for _, s := range got {
				distinct[s.text] = append(distinct[s.text], s.index)
			}
			for _, idx := range distinct {
				r.OutboundDuplicates += len(idx) - 1
				for i := 1; i < len(idx); i++ {
					bounds := ev.TelegramBounds
					if m.Platform == "slack" {
						bounds = ev.SlackBounds
					}
					if straddles(bounds, idx[i-1], idx[i]) {
						r.CrossRestart++
					} else {
						r.problem("reply to %s was sent twice by the same process (copies #%d and #%d)", m.ID, idx[i-1], idx[i])
					}
				}
			}
			answered := n > 0 && len(want) > 0 && len(distinct) == len(want)
			if m.Platform == "telegram" {
				for _, w := range want {
					if _, ok := distinct[w]; !ok {
						answered = false
					}
				}
			}
			switch {
			case n > 0 && len(distinct) != len(want):
				r.problem("message %s: %d replies in the transcript, %d distinct replies delivered", m.ID, len(want), len(distinct))
			case n == 0 && len(got) > 0:
				r.problem("message %s was answered but is not in the store", m.ID)
			}
			if m.Acked {
				if answered {
					r.Answered++
				} else {
					r.Lost++
					r.problem("acknowledged message %s lost: %d user turns, %d replies committed, %d delivered", m.ID, n, len(want), len(got))
				}
			}
		}
		if !slices.Equal(userOrder, wantOrder) {
			r.problem("conversation %s: user turns %v, want %v (each message once, in order)", key, userOrder, wantOrder)
		}
	}
	if extra := len(ev.Telegram) + len(ev.Slack) - claimed; extra != 0 {
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

// straddles reports whether a restart bound b lies between two copies at
// fake indexes i < j, i.e. the first copy was accepted before a process
// death and the second after the next start.
func straddles(bounds []int, i, j int) bool {
	for _, b := range bounds {
		if i < b && b <= j {
			return true
		}
	}
	return false
}
