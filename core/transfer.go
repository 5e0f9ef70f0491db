package core

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The outcomes of !transfer in HandleAgent.
const (
	AgentTransferred     AgentAction = "transferred"      // the case moved to another team
	AgentTransferUnknown AgentAction = "transfer_unknown" // no such team (or the case's own): nothing changed
)

// agentTransfer moves the case of c to the team named in "!transfer <team>
// [note]": the old case message shows where it went and its thread gets a
// note, a new case (with the note and the team it came from) is posted in
// the new team's channel and assigned by that team's mode, and the
// customer is told.
func (e *Engine) agentTransfer(ctx context.Context, c *Commit, next *State, in Input, a AgentMessage, now time.Time) (AgentAction, error) {
	h := e.opts.Handoff
	ho := next.Handoff
	if ho == nil {
		return AgentNotOwned, nil
	}
	_, rest := ParseAgentCommand(a.Text)
	name, note, _ := strings.Cut(rest, " ")
	note = strings.TrimSpace(note)
	from := h.teamOf(ho)
	to, ok := h.routing().Team(strings.TrimSpace(name))
	if !ok || to.Name == from.Name || !h.desk() {
		return AgentTransferUnknown, nil
	}
	e.caseStatus(c, a.ID, CaseCard{Status: CaseTransferred, Agent: a.Agent, At: now, Why: "to " + to.Name})
	text := fmt.Sprintf("%s transferred this case to team %s.", a.Agent, to.Name)
	if note != "" {
		text += " Note: " + note
	}
	old := Reply{ID: a.ID + ".transfer-note", Key: h.deskKey(c.Key), Kind: ReplyNote, About: c.Key, From: AuthorBot, Text: text, Created: now}
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: old, NextAttempt: now, Created: now})

	turns, err := e.store.Transcript(ctx, c.Key, 200)
	if err != nil {
		return "", fmt.Errorf("engine: transcript for transfer of %s: %w", c.Key, err)
	}
	shown := turns
	if over := len(shown) - h.caseTurns(); over > 0 {
		shown = shown[over:]
	}
	card := &CaseCard{
		Customer: CustomerName(c.Key, next.UserName), Platform: c.Key.Platform, Language: next.Language, Reason: ho.Reason,
		Intents: caseIntents(turns, ""), Slots: publicSlots(next.Slots), Sentiment: SentimentTrend(next.Sentiments),
		Since: ho.Since, Turns: shown, TranscriptURL: transcriptURL(h.PublicURL, c.Key), Status: CaseWaiting, At: now,
		Team: to.Name, TransferredFrom: from.Name + " (by " + a.Agent + ")", Note: note,
	}
	cs := Reply{ID: a.ID + ".case", Key: h.deskKey(c.Key), Kind: ReplyCase, About: c.Key, From: AuthorBot,
		Text: card.Text(), Case: card, Created: now, Channel: to.Channel}
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: cs, NextAttempt: now, Created: now})

	e.noteCaseEnd(c, ho, now)
	ho.Team, ho.Channel = to.Name, to.Channel
	ho.Agent, ho.AgentID, ho.AssignedAt = "", "", time.Time{}
	ho.Reminded, ho.QueuePos, ho.QueueToldAt = false, 0, time.Time{}
	ho.ThreadTS = ""
	touch(ho, now)

	rt := e.noticeWith(NoticeTransferred, in, map[string]string{"team": to.Name})
	r := Reply{ID: a.ID + ".transferred", Key: c.Key, From: AuthorBot, Text: rt.Text, Created: now}
	c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorBot, Text: r.Text, At: now})
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
	c.Counters["transfers/"+from.Name+"/"+to.Name]++

	if to.assignMode() != AssignManual {
		d := &Decision{State: *next}
		if err := e.assignNew(ctx, c, d, in, to, a.ID, now); err != nil {
			return "", err
		}
		*next = d.State
		for i, q := range d.Replies {
			qr := Reply{ID: fmt.Sprintf("%s.queue%d", a.ID, i), Key: c.Key, From: AuthorBot, Text: q.Text, Created: now}
			c.Turns = append(c.Turns, Turn{ID: qr.ID, From: AuthorBot, Text: qr.Text, At: now})
			c.Outbox = append(c.Outbox, OutboxEntry{Reply: qr, NextAttempt: now, Created: now})
		}
	}
	return AgentTransferred, nil
}
