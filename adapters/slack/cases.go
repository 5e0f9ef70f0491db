package slack

import (
	"context"
	"errors"
	"fmt"
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
	// nsCaseText keeps a case's text, to redraw the case message when its
	// status changes.
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
// conversation. A later case of the same conversation replaces the
// conversation's mapping; the old thread still maps to the conversation.
func (a *Adapter) rememberCase(ctx context.Context, about core.ConversationKey, channel, ts, text string) error {
	ref := messageID(channel, ts)
	if err := a.store.Put(ctx, nsCase, ref, []byte(about.String()), 0); err != nil {
		return fmt.Errorf("slack: store case %s: %w", ref, err)
	}
	if err := a.store.Put(ctx, nsCaseOf, about.String(), []byte(ref), 0); err != nil {
		return fmt.Errorf("slack: store case %s: %w", ref, err)
	}
	if err := a.store.Put(ctx, nsCaseText, ref, []byte(text), caseTextTTL); err != nil {
		return fmt.Errorf("slack: store case text %s: %w", ref, err)
	}
	return nil
}

// updateCase redraws the latest case message of a conversation with a new
// status line. Failures are logged.
func (a *Adapter) updateCase(ctx context.Context, about core.ConversationKey, status string) {
	channel, ts, ok, err := a.caseMessage(ctx, about)
	if err != nil || !ok {
		a.log.WarnContext(ctx, "slack: no case message to update", "conversation", about.String(), "err", err)
		return
	}
	text := "Case: " + about.String()
	if v, err := a.store.Get(ctx, nsCaseText, messageID(channel, ts)); err == nil {
		text = string(v)
	}
	_, _, _, err = a.api.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(caseFallback(text), false), slack.MsgOptionBlocks(caseBlocks(text, about, status)...))
	if err != nil {
		a.log.WarnContext(ctx, "slack: case message update failed", "case", messageID(channel, ts), "err", sendErr("chat.update", err))
	}
}

// statusOpen is the status line of a new case.
const statusOpen = "Waiting for an agent: reply in the thread or press Take."

// caseBlocks renders a case: its text (escaped, in sections of at most
// 3,000 characters), a status line (mrkdwn, already escaped) and the
// "Take" and "Give back to bot" buttons, whose value is the conversation.
func caseBlocks(text string, about core.ConversationKey, status string) []slack.Block {
	blocks := sectionBlocks(escape(text), 45)
	blocks = append(blocks, slack.NewContextBlock("switchboard_status",
		slack.NewTextBlockObject(slack.MarkdownType, status, false, false)))
	take := slack.NewButtonBlockElement(actionTake, about.String(),
		slack.NewTextBlockObject(slack.PlainTextType, "Take", false, false)).WithStyle(slack.StylePrimary)
	back := slack.NewButtonBlockElement(actionGiveBack, about.String(),
		slack.NewTextBlockObject(slack.PlainTextType, "Give back to bot", false, false))
	return append(blocks, slack.NewActionBlock("switchboard_case", take, back))
}

// caseFallback is a case's notification text: its first line.
func caseFallback(text string) string {
	first, _, _ := strings.Cut(text, "\n")
	return escape(truncate(first, 200))
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
