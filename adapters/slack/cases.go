package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-gw/switchboard/core"
)

// The adapter's store namespaces (core.Store Get/Put/List).
const (
	// nsCase maps "channel/ts" of a case message to the conversation it is
	// about (core.ConversationKey.String()). Old case threads keep mapping
	// to their conversation, so an agent may answer in any of them.
	nsCase = "slack_case"
	// nsCaseOf maps a conversation to "channel/ts" of its latest case message.
	nsCaseOf = "slack_case_of"
	// nsCaseText keeps a case's card (JSON), to redraw the case message
	// when its status changes.
	nsCaseText = "slack_case_text"
	// nsThread maps a customer conversation in a channel to its latest
	// thread, for replies that have no thread of their own.
	nsThread = "slack_thread"
	// nsProgress counts the pieces of a long reply already posted, so that
	// a retry does not post them again.
	nsProgress = "slack_progress"
)

const (
	caseTextTTL = 90 * 24 * time.Hour
	threadTTL   = 30 * 24 * time.Hour
	progressTTL = 24 * time.Hour
)

// caseOf returns the conversation whose case message is channel/ts.
func (a *Adapter) caseOf(ctx context.Context, channel, ts string) (core.ConversationKey, bool, error) {
	v, err := a.store.Get(ctx, nsCase, messageID(channel, ts))
	if errors.Is(err, core.ErrNotFound) {
		return core.ConversationKey{}, false, nil
	}
	if err != nil {
		return core.ConversationKey{}, false, fmt.Errorf("slack: look up case %s: %w", messageID(channel, ts), err)
	}
	key, ok := core.ParseConversationKey(string(v))
	if !ok {
		return core.ConversationKey{}, false, fmt.Errorf("slack: case %s maps to a malformed conversation key", messageID(channel, ts))
	}
	return key, true, nil
}

// caseMessage returns the channel and ts of the latest case message of a
// conversation, and false when there is none.
func (a *Adapter) caseMessage(ctx context.Context, about core.ConversationKey) (channel, ts string, ok bool, err error) {
	v, err := a.store.Get(ctx, nsCaseOf, about.String())
	if errors.Is(err, core.ErrNotFound) {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("slack: look up the case of %s: %w", about, err)
	}
	channel, ts, ok = strings.Cut(string(v), "/")
	if !ok || channel == "" || ts == "" {
		return "", "", false, fmt.Errorf("slack: malformed case reference for %s", about)
	}
	return channel, ts, true, nil
}

// rememberCase stores the mapping between a new case message and its
// conversation, and the card to redraw it. A later case of the same
// conversation replaces the conversation's mapping; the old thread still
// maps to the conversation.
func (a *Adapter) rememberCase(ctx context.Context, about core.ConversationKey, channel, ts string, card core.CaseCard) error {
	ref := messageID(channel, ts)
	if err := a.store.Put(ctx, nsCase, ref, []byte(about.String()), 0); err != nil {
		return fmt.Errorf("slack: store case %s: %w", ref, err)
	}
	if err := a.store.Put(ctx, nsCaseOf, about.String(), []byte(ref), 0); err != nil {
		return fmt.Errorf("slack: store case %s: %w", ref, err)
	}
	return a.saveCard(ctx, channel, ts, card)
}

// saveCard keeps a case's card (JSON) to redraw the case message.
func (a *Adapter) saveCard(ctx context.Context, channel, ts string, card core.CaseCard) error {
	b, err := json.Marshal(card)
	if err != nil {
		return fmt.Errorf("slack: encode case card: %w", err)
	}
	if err := a.store.Put(ctx, nsCaseText, messageID(channel, ts), b, caseTextTTL); err != nil {
		return fmt.Errorf("slack: store case card %s: %w", messageID(channel, ts), err)
	}
	return nil
}

// storedCard returns the card of the case message channel/ts. Cases
// stored before cards existed kept their text: it becomes the card's
// reason line. A card that expired is redrawn from the conversation key.
func (a *Adapter) storedCard(ctx context.Context, channel, ts string, about core.ConversationKey) (core.CaseCard, error) {
	v, err := a.store.Get(ctx, nsCaseText, messageID(channel, ts))
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.CaseCard{Customer: about.User, Platform: about.Platform}, nil
	case err != nil:
		return core.CaseCard{}, fmt.Errorf("slack: load case card %s: %w", messageID(channel, ts), err)
	}
	var card core.CaseCard
	if len(v) > 0 && v[0] == '{' && json.Unmarshal(v, &card) == nil {
		return card, nil
	}
	return core.CaseCard{Customer: about.User, Platform: about.Platform, Reason: string(v)}, nil
}

// caseCard is the card of a case reply; replies queued before cards
// existed carry only their text.
func caseCard(r core.Reply) core.CaseCard {
	if r.Case != nil {
		return *r.Case
	}
	return core.CaseCard{Customer: r.About.User, Platform: r.About.Platform, Reason: r.Text, Status: core.CaseWaiting, At: r.Created}
}

// caseBlocks renders a case card in Block Kit: who and where, why, what the
// bot learned, the last turns, the transcript link, the status (with times
// Slack shows in each agent's time zone) and the Take, Give back and Close
// buttons, whose value is the conversation. Everything the customer wrote
// is escaped.
func caseBlocks(card core.CaseCard, about core.ConversationKey) []slack.Block {
	var head strings.Builder
	fmt.Fprintf(&head, "*%s* on %s", escape(card.Customer), escape(card.Platform))
	if card.Language != "" {
		fmt.Fprintf(&head, " · language %s", escape(card.Language))
	}
	fmt.Fprintf(&head, "\n*Why:* %s", escape(card.Reason))
	if !card.Since.IsZero() {
		fmt.Fprintf(&head, "\n*Waiting since:* %s", slackDate(card.Since))
	}
	if card.Team != "" {
		fmt.Fprintf(&head, "\n*Team:* %s", escape(card.Team))
	}
	if card.AfterHours {
		head.WriteString("\n:crescent_moon: *After hours:* the customer was told when the team opens.")
	}
	if card.TransferredFrom != "" {
		fmt.Fprintf(&head, "\n:arrow_right: *Transferred from* %s", escape(card.TransferredFrom))
		if card.Note != "" {
			fmt.Fprintf(&head, ": %s", escape(card.Note))
		}
	}
	blocks := []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, head.String(), false, false), nil, nil)}
	var fields []*slack.TextBlockObject
	if len(card.Intents) > 0 {
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, "*Asked about*\n"+escape(strings.Join(card.Intents, ", ")), false, false))
	}
	if len(card.Slots) > 0 {
		keys := make([]string, 0, len(card.Slots))
		for k := range card.Slots {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("*Collected*")
		for _, k := range keys {
			fmt.Fprintf(&b, "\n%s: %s", escape(k), escape(card.Slots[k]))
		}
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, truncate(b.String(), 1900), false, false))
	}
	if card.Sentiment != "" {
		fields = append(fields, slack.NewTextBlockObject(slack.MarkdownType, "*Mood*\n"+escape(card.Sentiment), false, false))
	}
	if len(fields) > 0 {
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	if len(card.Turns) > 0 {
		var b strings.Builder
		for _, t := range card.Turns {
			fmt.Fprintf(&b, "*%s:* %s\n", escape(core.TurnAuthor(t)), escape(core.TurnText(t)))
		}
		blocks = append(blocks, sectionBlocks(b.String(), 40)...)
	}
	if card.TranscriptURL != "" {
		blocks = append(blocks, slack.NewContextBlock("switchboard_transcript",
			slack.NewTextBlockObject(slack.MarkdownType, "<"+escape(card.TranscriptURL)+"|Full transcript>", false, false)))
	}
	blocks = append(blocks, slack.NewContextBlock("switchboard_status",
		slack.NewTextBlockObject(slack.MarkdownType, statusMrkdwn(card), false, false)))
	value := about.String()
	var buttons []slack.BlockElement
	if card.Status != core.CaseAssigned && card.Status != core.CaseTransferred {
		buttons = append(buttons, slack.NewButtonBlockElement(actionTake, value,
			slack.NewTextBlockObject(slack.PlainTextType, "Take", false, false)).WithStyle(slack.StylePrimary))
	}
	if card.Status == core.CaseWaiting || card.Status == core.CaseAssigned || card.Status == "" {
		buttons = append(buttons,
			slack.NewButtonBlockElement(actionGiveBack, value, slack.NewTextBlockObject(slack.PlainTextType, "Give back to bot", false, false)),
			slack.NewButtonBlockElement(actionClose, value, slack.NewTextBlockObject(slack.PlainTextType, "Close", false, false)).WithStyle(slack.StyleDanger))
	}
	return append(blocks, slack.NewActionBlock("switchboard_case", buttons...))
}

// statusMrkdwn is the case's status line, times as Slack date tokens.
func statusMrkdwn(card core.CaseCard) string {
	at := ""
	if !card.At.IsZero() {
		at = " " + slackDate(card.At)
	}
	switch card.Status {
	case core.CaseAssigned:
		return ":large_green_circle: Assigned to *" + escape(card.Agent) + "*" + at
	case core.CaseReturned:
		s := ":robot_face: Back with the bot" + at
		switch {
		case card.Agent != "":
			s += " (given back by " + escape(card.Agent) + ")"
		case card.Why != "":
			s += " (" + escape(card.Why) + ")"
		}
		return s
	case core.CaseClosed:
		return ":white_check_mark: Closed" + at + " by " + escape(card.Agent)
	case core.CaseTransferred:
		return ":arrow_right: Transferred " + escape(card.Why) + at + " by " + escape(card.Agent) + ": it continues in a new case there."
	}
	return ":hourglass_flowing_sand: Waiting for an agent: reply in the thread or press Take."
}

// slackDate is a time as a Slack date token: each reader sees it in their
// own time zone, with a UTC fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// caseFallback is a case's notification text.
func caseFallback(card core.CaseCard) string {
	return escape(truncate("Case: "+card.Customer+" on "+card.Platform+" ("+card.Reason+") "+card.StatusLine(), 200))
}

// sectionBlocks puts mrkdwn text into section blocks of at most
// maxSectionRunes each, at most max of them (the rest is cut with "…").
func sectionBlocks(mrkdwn string, max int) []slack.Block {
	parts := split(mrkdwn, maxSectionRunes)
	if len(parts) > max {
		parts = parts[:max]
		last := parts[max-1]
		parts[max-1] = last[:byteOffset(last, maxSectionRunes-1)] + "…"
	}
	blocks := make([]slack.Block, 0, len(parts)+2)
	for _, p := range parts {
		blocks = append(blocks, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, p, false, false), nil, nil))
	}
	return blocks
}
