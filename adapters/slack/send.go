package slack

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"github.com/switchboard-gw/switchboard/core"
)

// RateLimits tells the core.Dispatcher Slack's limits for chat.postMessage:
// about one message per second per channel with short bursts tolerated
// (burst 3), and 50 messages per second for the whole app, a conservative
// reading of Slack's unpublished workspace limit. Slack's 429 answers are
// honoured on top of these (see Send).
func (a *Adapter) RateLimits() core.RateLimits {
	return core.RateLimits{PerChat: 1, PerChatBurst: 3, PerPlatform: rate.Limit(50), PerPlatformBurst: 10}
}

// Send delivers r with chat.postMessage, by kind:
//
//   - core.ReplyAnswer (to a Slack customer): to r.Key.Chat, threaded under
//     r.ReplyTo (or, in a channel, the conversation's latest thread); an
//     agent's reply starts with the agent's name in bold; quick replies
//     become buttons;
//   - core.ReplyCase: a new case message in the support channel r.Key.Chat,
//     with the Take and Give back buttons, then the case is stored (see the
//     package documentation). Every case is posted, also a second one for a
//     conversation handed off again later;
//   - core.ReplyRelay (a customer's message, after their name) and
//     core.ReplyNote: into the conversation's case thread; a note with
//     Broadcast (the unassigned reminder) is also shown in the channel
//     (reply_broadcast), after its Mention. When no case thread is known
//     the message is posted at the top level of the channel, naming the
//     conversation, and a warning is logged;
//   - core.ReplyStatus: the case message is redrawn with the new status
//     (chat.update); nothing new is posted.
//
// Text is mrkdwn-escaped and split into messages of at most MaxTextRunes
// characters; a retry after a partly sent split reply goes on with the
// first piece not sent. Send returns nil once Slack accepted every piece.
// Failures are *core.SendError: with RetryAfter for 429, Permanent for the
// errors retrying cannot fix (see permanentErrors), temporary otherwise
// (internal_error, fatal_error, service_unavailable, 5xx, network errors).
// Send is safe for concurrent use.
func (a *Adapter) Send(ctx context.Context, r core.Reply) error {
	if r.Key.Platform != Platform || r.Key.Chat == "" {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s is addressed to %q, not a Slack channel", r.ID, r.Key.Platform)}
	}
	if err := a.sendRevoked(r); err != nil {
		return err
	}
	switch r.Kind {
	case core.ReplyAnswer:
		return a.sendAnswer(ctx, r)
	case core.ReplyCase:
		return a.sendCase(ctx, r)
	case core.ReplyRelay, core.ReplyNote:
		return a.sendToThread(ctx, r)
	case core.ReplyStatus:
		return a.sendStatus(ctx, r)
	}
	return &core.SendError{Platform: Platform, Permanent: true, Err: fmt.Errorf("reply %s has unknown kind %q", r.ID, r.Kind)}
}

func (a *Adapter) sendAnswer(ctx context.Context, r core.Reply) error {
	text := escape(r.Text)
	if r.From == core.AuthorAgent && r.AgentName != "" {
		text = "*" + escape(r.AgentName) + "*: " + text
	}
	thread := r.ReplyTo
	if thread == "" && !strings.HasPrefix(r.Key.Chat, "D") {
		v, err := a.store.Get(ctx, nsThread, r.Key.String())
		switch {
		case err == nil:
			thread = string(v)
		case !errors.Is(err, core.ErrNotFound):
			return fmt.Errorf("slack: look up the thread of %s: %w", r.Key, err)
		}
	}
	return a.postPieces(ctx, r.ID, r.Key.Chat, thread, text, r.QuickReplies)
}

func (a *Adapter) sendCase(ctx context.Context, r core.Reply) error {
	ch := r.Key.Chat
	if r.Channel != "" {
		ch = r.Channel // routed to a team's channel
	}
	card := a.forAgents(caseCard(r))
	blocks := caseBlocks(card, r.About)
	if card.TransferredFrom != "" {
		if link := a.previousCaseLink(ctx, r.About); link != "" {
			blocks = append([]slack.Block{slack.NewContextBlock("switchboard_previous",
				slack.NewTextBlockObject(slack.MarkdownType, "<"+link+"|Previous case thread>", false, false))}, blocks...)
		}
	}
	ts, err := a.post(ctx, ch, "", caseFallback(card), blocks)
	if err != nil {
		return err
	}
	if err := a.rememberCase(ctx, r.About, ch, ts, card); err != nil {
		// The case is posted but cannot be found: posting it again on the
		// retry is better than relaying into nowhere.
		return err
	}
	a.log.InfoContext(ctx, "slack: case posted", "conversation", r.About.String(), "case", messageID(ch, ts))
	return nil
}

// previousCaseLink is the permalink of the conversation's latest case
// message (before a transferred case replaces it), or "" (logged) when
// there is none or Slack does not give it.
func (a *Adapter) previousCaseLink(ctx context.Context, about core.ConversationKey) string {
	ch, ts, ok, err := a.caseMessage(ctx, about)
	if err != nil || !ok {
		return ""
	}
	link, err := a.api.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: ch, Ts: ts})
	if err != nil {
		a.log.WarnContext(ctx, "slack: no link to the previous case thread", "err", sendErr("chat.getPermalink", err))
		return ""
	}
	return link
}

func (a *Adapter) sendToThread(ctx context.Context, r core.Reply) error {
	var text string
	if r.Kind == core.ReplyRelay {
		text = "*" + escape(a.customerName(ctx, r.About)) + "*: " + escape(a.agentsSee(r.Text))
	} else {
		text = ":information_source: " + escape(a.agentsSee(r.Text))
		if r.Mention != "" {
			text = r.Mention + " " + text // the owner's configured mention, unescaped on purpose
		}
	}
	ch, ts, ok, err := a.caseMessage(ctx, r.About)
	if err != nil {
		return err
	}
	if !ok {
		a.log.WarnContext(ctx, "slack: no case thread for a desk message; posting it at the top level",
			"conversation", r.About.String(), "reply", r.ID)
		text = "Conversation `" + escape(r.About.String()) + "` (its case thread is unknown):\n" + text
		return a.postPieces(ctx, r.ID, r.Key.Chat, "", text, nil)
	}
	if r.Broadcast {
		return a.postBroadcast(ctx, r.ID, ch, ts, text)
	}
	return a.postPieces(ctx, r.ID, ch, ts, text, nil)
}

// postBroadcast posts a short note into a thread and to the channel
// (reply_broadcast), so that people who do not follow the thread see it.
func (a *Adapter) postBroadcast(ctx context.Context, id, channel, thread, text string) error {
	text = truncate(text, MaxTextRunes)
	_, _, err := a.api.PostMessageContext(ctx, channel, slack.MsgOptionText(text, false),
		slack.MsgOptionTS(thread), slack.MsgOptionBroadcast())
	if err != nil {
		return sendErr("chat.postMessage (broadcast) to "+channel, err)
	}
	a.log.DebugContext(ctx, "slack: broadcast note posted", "reply", id)
	return nil
}

// sendStatus redraws the conversation's latest case message with the
// status of r.Case. With no case message known there is nothing to redraw.
func (a *Adapter) sendStatus(ctx context.Context, r core.Reply) error {
	if r.Case == nil {
		return nil
	}
	channel, ts, ok, err := a.caseMessage(ctx, r.About)
	if err != nil {
		return err
	}
	if !ok {
		a.log.WarnContext(ctx, "slack: no case message to redraw", "conversation", r.About.String())
		return nil
	}
	card, err := a.storedCard(ctx, channel, ts, r.About)
	if err != nil {
		return err
	}
	card.Status, card.Agent, card.At, card.Why = r.Case.Status, r.Case.Agent, r.Case.At, r.Case.Why
	if _, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts,
		slack.MsgOptionText(caseFallback(card), false), slack.MsgOptionBlocks(caseBlocks(card, r.About)...)); err != nil {
		return sendErr("chat.update of case "+messageID(channel, ts), err)
	}
	if err := a.saveCard(ctx, channel, ts, card); err != nil {
		a.log.WarnContext(ctx, "slack: could not store the case's new status", "err", err)
	}
	return nil
}

// customerName is the name a relayed message is shown with, the same as on
// the case card: the name the platform or the customer gave, "Web visitor
// 4821" for anonymous web visitors, else the platform's user id.
func (a *Adapter) customerName(ctx context.Context, about core.ConversationKey) string {
	st, _, err := a.store.Load(ctx, about, nil)
	if err != nil {
		return core.CustomerName(about, "")
	}
	return core.CustomerName(about, st.UserName)
}

// postPieces posts mrkdwn text split into pieces, the quick-reply buttons
// under the last one. Progress through a split text is kept under id.
func (a *Adapter) postPieces(ctx context.Context, id, channel, thread, text string, quick []string) error {
	pieces := split(text, MaxTextRunes)
	if len(pieces) == 0 {
		return &core.SendError{Platform: Platform, Permanent: true, Err: fmt.Errorf("reply %s is empty", id)}
	}
	start := 0
	if len(pieces) > 1 {
		if v, err := a.store.Get(ctx, nsProgress, id); err == nil {
			if n, err := strconv.Atoi(string(v)); err == nil && n > 0 && n < len(pieces) {
				start = n
			}
		}
	}
	for i := start; i < len(pieces); i++ {
		var blocks []slack.Block
		if i == len(pieces)-1 && len(quick) > 0 {
			blocks = append(sectionBlocks(pieces[i], 10), quickReplyBlock(quick))
		}
		if _, err := a.post(ctx, channel, thread, pieces[i], blocks); err != nil {
			return err
		}
		if len(pieces) > 1 && i < len(pieces)-1 {
			if err := a.store.Put(ctx, nsProgress, id, []byte(strconv.Itoa(i+1)), progressTTL); err != nil {
				a.log.WarnContext(ctx, "slack: could not record progress of a long reply", "reply", id, "err", err)
			}
		}
	}
	return nil
}

// quickReplyBlock renders quick replies as buttons (at most 25, labels cut
// to Slack's 75 characters); a press sends the full text as the customer's
// message.
func quickReplyBlock(quick []string) slack.Block {
	var els []slack.BlockElement
	for i, q := range quick {
		if i == 25 || strings.TrimSpace(q) == "" {
			continue
		}
		els = append(els, slack.NewButtonBlockElement(actionQuickReply+"_"+strconv.Itoa(i), truncate(q, 2000),
			slack.NewTextBlockObject(slack.PlainTextType, truncate(q, 75), false, false)))
	}
	return slack.NewActionBlock("switchboard_quick_replies", els...)
}

// post sends one message and returns its ts. Links and media are never
// unfurled: the text carries what customers wrote (relays, cases), and an
// unfurl would make Slack fetch a customer's URL and show its preview.
func (a *Adapter) post(ctx context.Context, channel, thread, text string, blocks []slack.Block) (string, error) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl()}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", sendErr("chat.postMessage to "+channel, err)
	}
	return ts, nil
}

// permanentErrors are the Web API error codes that retrying cannot fix:
// the message is moved to the dead letters. Codes not listed are retried.
var permanentErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"invalid_auth": true, "not_authed": true, "account_inactive": true,
	"token_revoked": true, "token_expired": true, "no_permission": true,
	"missing_scope": true, "not_allowed_token_type": true, "access_denied": true,
	"ekm_access_denied": true, "team_access_not_granted": true,
	"msg_too_long": true, "no_text": true, "too_many_attachments": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "invalid_arguments": true,
	"invalid_arg_name": true, "invalid_charset": true, "invalid_form_data": true,
	"restricted_action": true, "restricted_action_read_only_channel": true,
	"restricted_action_thread_only_channel": true, "restricted_action_non_threadable_channel": true,
	"cannot_reply_to_message": true, "as_user_not_supported": true,
	"user_not_in_channel": true, "message_not_found": true, "cant_update_message": true,
	"edit_window_closed": true, "user_not_found": true, "method_deprecated": true,
}

// sendErr turns a slack-go error into a *core.SendError (op says which
// call failed). slack-go's errors never contain the token.
func sendErr(op string, err error) error {
	var rl *slack.RateLimitedError
	var api slack.SlackErrorResponse
	var sc slack.StatusCodeError
	se := &core.SendError{Platform: Platform, Err: fmt.Errorf("%s: %w", op, err)}
	switch {
	case errors.As(err, &rl):
		se.Status, se.Code, se.RetryAfter = 429, "ratelimited", rl.RetryAfter
	case errors.As(err, &api):
		se.Code = api.Err
		se.Permanent = permanentErrors[api.Err]
	case errors.As(err, &sc):
		se.Status = sc.Code
		se.Permanent = sc.Code >= 400 && sc.Code < 500 && sc.Code != 408 && sc.Code != 429
	}
	return se
}

// agentsSee is text as agents may see it (see Config.ForAgents).
func (a *Adapter) agentsSee(text string) string {
	if a.cfg.ForAgents == nil {
		return text
	}
	return a.cfg.ForAgents(text)
}

// forAgents masks the customer's words and the collected slots of a case
// card for agents.
func (a *Adapter) forAgents(card core.CaseCard) core.CaseCard {
	if a.cfg.ForAgents == nil {
		return card
	}
	turns := make([]core.Turn, len(card.Turns))
	for i, t := range card.Turns {
		t.Text = a.agentsSee(t.Text)
		turns[i] = t
	}
	card.Turns = turns
	if card.Slots != nil {
		slots := make(map[string]string, len(card.Slots))
		for k, v := range card.Slots {
			slots[k] = a.agentsSee(v)
		}
		card.Slots = slots
	}
	return card
}
