package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack/slackevents"

	"github.com/switchboard-gw/switchboard/core"
)

// What one Events API request is.
type requestKind int

const (
	kindOther       requestKind = iota // an event the adapter does not handle: acknowledged
	kindChallenge                      // url_verification: answer the challenge
	kindRateLimited                    // app_rate_limited: Slack is dropping our events
	kindMessage                        // a message or app_mention event
	kindRevoked                        // app_uninstalled, or tokens_revoked naming a bot token: stop sending
)

// request is the pure reading of one Events API body.
type request struct {
	kind      requestKind
	challenge string
	eventID   string
	eventType string // inner event type, for logs
	msg       slackMessage
	// revokedBots are the bot user ids whose tokens tokens_revoked names;
	// empty for app_uninstalled (every token of the app is gone).
	revokedBots []string
	// rateLimitedMinute is app_rate_limited's minute_rate_limited (Unix
	// seconds of the minute in which Slack drops this app's events).
	rateLimitedMinute int64
}

// slackMessage is the part of a message or app_mention event the adapter uses.
type slackMessage struct {
	eventType   string // "message" or "app_mention"
	channel     string
	channelType string // "im", "channel", "group", "mpim"; empty for app_mention
	user        string
	text        string // raw Slack text, with <…> references and entities
	ts          string
	threadTS    string
	parentUser  string // author of the thread's root, on thread replies
	botID       string
	subtype     string
	files       []string // names of attached files
	// On message_changed: editTS is the edit's own ts and prevText the
	// text before it (ts, text, user, threadTS are the edited message's).
	// On message_deleted: ts is the deleted message's (user, text and
	// threadTS from the previous message).
	editTS   string
	prevText string
}

// parseRequest reads an Events API request body with slackevents. It
// returns an error only when the body is not an Events API payload at all;
// events of types the adapter does not handle come back as kindOther.
func parseRequest(body []byte) (request, error) {
	var outer struct {
		Type  string `json:"type"`
		Event *struct {
			Type   string `json:"type"`
			Tokens struct {
				Bot []string `json:"bot"`
			} `json:"tokens"`
		} `json:"event"`
		EventID           string `json:"event_id"`
		MinuteRateLimited int64  `json:"minute_rate_limited"`
	}
	if err := json.Unmarshal(body, &outer); err != nil {
		return request{}, fmt.Errorf("slack: events payload is not JSON: %w", err)
	}
	switch outer.Type {
	case slackevents.URLVerification:
		ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			return request{}, fmt.Errorf("slack: parse url_verification: %w", err)
		}
		uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok || uv.Challenge == "" {
			return request{}, errors.New("slack: url_verification without challenge")
		}
		return request{kind: kindChallenge, challenge: uv.Challenge}, nil
	case slackevents.AppRateLimited:
		return request{kind: kindRateLimited, rateLimitedMinute: outer.MinuteRateLimited}, nil
	case slackevents.CallbackEvent:
	default:
		return request{kind: kindOther, eventType: outer.Type}, nil
	}
	if outer.Event == nil {
		return request{}, errors.New("slack: event_callback without event")
	}
	inner := outer.Event.Type
	switch inner {
	case string(slackevents.AppUninstalled):
		return request{kind: kindRevoked, eventID: outer.EventID, eventType: inner}, nil
	case string(slackevents.TokensRevoked):
		if len(outer.Event.Tokens.Bot) == 0 {
			// Only users' OAuth tokens: the adapter uses none.
			return request{kind: kindOther, eventID: outer.EventID, eventType: inner}, nil
		}
		return request{kind: kindRevoked, eventID: outer.EventID, eventType: inner, revokedBots: outer.Event.Tokens.Bot}, nil
	}
	if inner != string(slackevents.Message) && inner != string(slackevents.AppMention) {
		return request{kind: kindOther, eventType: inner}, nil
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		return request{}, fmt.Errorf("slack: parse %s event: %w", inner, err)
	}
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return request{}, fmt.Errorf("slack: event_callback parsed as %T", ev.Data)
	}
	r := request{kind: kindMessage, eventID: cb.EventID, eventType: inner}
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.MessageEvent:
		r.msg = slackMessage{eventType: inner, channel: e.Channel, channelType: e.ChannelType, user: e.User,
			text: e.Text, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, botID: e.BotID, subtype: e.SubType}
		switch {
		case e.SubType == "message_changed" && e.Message != nil:
			n := e.Message
			r.msg.user, r.msg.text, r.msg.ts, r.msg.threadTS, r.msg.botID = n.User, n.Text, n.Timestamp, n.ThreadTimestamp, n.BotID
			r.msg.parentUser, r.msg.editTS = n.ParentUserId, e.TimeStamp
			if e.PreviousMessage != nil {
				r.msg.prevText = e.PreviousMessage.Text
			}
		case e.SubType == "message_deleted" && e.PreviousMessage != nil:
			p := e.PreviousMessage
			r.msg.user, r.msg.text, r.msg.ts, r.msg.threadTS, r.msg.botID = p.User, p.Text, e.DeletedTimeStamp, p.ThreadTimestamp, p.BotID
			r.msg.prevText = p.Text
		}
		if e.Message != nil && e.SubType != "message_changed" && e.SubType != "message_deleted" {
			r.msg.parentUser = e.Message.ParentUserId
			for _, f := range e.Message.Files {
				r.msg.files = append(r.msg.files, fileName(f.Name, f.Title))
			}
		}
		if e.Message != nil && e.Message.BotProfile != nil && r.msg.botID == "" {
			// Another app posting with a user token: bot_profile and
			// app_id, no bot_id. Still a bot, never a customer.
			r.msg.botID = e.Message.BotProfile.ID
			if r.msg.botID == "" {
				r.msg.botID = "app"
			}
		}
		if e.Root != nil && r.msg.parentUser == "" {
			// thread_broadcast carries the thread's root instead of
			// parent_user_id.
			r.msg.parentUser = e.Root.User
		}
	case *slackevents.AppMentionEvent:
		r.msg = slackMessage{eventType: inner, channel: e.Channel, user: e.User, text: e.Text,
			ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, botID: e.BotID}
		if e.Edited != nil {
			r.msg.subtype = "message_changed" // an edit that mentions us: not a new message
		}
		for _, f := range e.Files {
			r.msg.files = append(r.msg.files, fileName(f.Name, f.Title))
		}
	default:
		return request{}, fmt.Errorf("slack: %s event parsed as %T", inner, ev.InnerEvent.Data)
	}
	return r, nil
}

func fileName(name, title string) string {
	if name != "" {
		return name
	}
	if title != "" {
		return title
	}
	return "file"
}

// route says who wrote a message and so where it goes.
type route int

const (
	routeIgnore      route = iota
	routeCustomer          // a customer: core.Engine.Handle
	routeAgent             // an agent in a case thread: core.Engine.HandleAgent
	routeAgentEdit         // an agent edited a message in a case thread
	routeAgentDelete       // an agent deleted a message in a case thread
)

// identity is the bot's own user and bot ids, from auth.test.
type identity struct {
	userID string
	botID  string
}

// classify decides what to do with a message, and why when it is ignored:
//
//   - edits and deletions of people's thread replies in the support
//     channel are agent edits and deletions; elsewhere they are ignored
//     (an edited question is not asked again), as are other subtypes
//     except thread_broadcast and file_share;
//   - messages of bots, including our own relayed messages (bot_id or our
//     user id), are ignored: this is the loop prevention;
//   - in the support channel, thread replies are agent messages (whether
//     the thread is a case is looked up later) and top-level messages are
//     ignored;
//   - elsewhere, direct messages, group DMs (mpim) and messages that
//     mention the bot are customer messages; other channel messages are
//     ignored. A mention arrives twice (message and app_mention, one ts):
//     the dedupe key "slack:msg:<channel>:<ts>" answers it once.
func classify(m slackMessage, self identity, supportChannel string) (route, string) {
	inCaseThread := supportChannel != "" && m.channel == supportChannel && m.threadTS != "" && m.threadTS != m.ts &&
		m.botID == "" && m.user != "" && (self.userID == "" || m.user != self.userID)
	switch {
	case m.subtype == "message_changed" && inCaseThread:
		if m.text == m.prevText {
			return routeIgnore, "message_changed without a new text (an unfurl)"
		}
		return routeAgentEdit, ""
	case m.subtype == "message_deleted" && inCaseThread:
		return routeAgentDelete, ""
	case m.subtype != "" && m.subtype != "thread_broadcast" && m.subtype != "file_share":
		return routeIgnore, "message subtype " + m.subtype
	case m.botID != "":
		return routeIgnore, "message from a bot"
	case m.user == "":
		return routeIgnore, "message without user"
	case self.userID != "" && m.user == self.userID:
		return routeIgnore, "our own message"
	case m.channel == "" || m.ts == "":
		return routeIgnore, "message without channel or ts"
	case supportChannel != "" && m.channel == supportChannel:
		if m.threadTS != "" && m.threadTS != m.ts {
			return routeAgent, ""
		}
		return routeIgnore, "top-level message in the support channel"
	case m.eventType == string(slackevents.AppMention), isDM(m), isGroupDM(m):
		return routeCustomer, ""
	case self.userID != "" && strings.Contains(m.text, "<@"+self.userID+">"):
		return routeCustomer, ""
	}
	return routeIgnore, "channel message that does not mention the bot"
}

// isGroupDM reports a group DM (mpim) the bot was added to: like a direct
// message, every message in it is for the bot, no mention needed.
func isGroupDM(m slackMessage) bool { return m.channelType == slackevents.ChannelTypeMPIM }

func isDM(m slackMessage) bool {
	if m.channelType != "" {
		return m.channelType == slackevents.ChannelTypeIM
	}
	return strings.HasPrefix(m.channel, "D")
}

// dedupeKeys are the keys under which Slack may deliver a message again:
// the event id (identical across retries) and the channel and ts (identical
// across the message and app_mention copies of one mention).
func dedupeKeys(eventID string, m slackMessage) []string {
	keys := make([]string, 0, 2)
	if eventID != "" {
		keys = append(keys, "slack:event:"+eventID)
	}
	return append(keys, "slack:msg:"+m.channel+":"+m.ts)
}

// messageID is a message's identity: "channel/ts".
func messageID(channel, ts string) string { return channel + "/" + ts }

// customerMessage builds the core.Message of a customer's Slack message.
// Answers thread under the message in channels (under its thread when it
// is a thread reply) and go to the conversation itself in direct messages.
// The caller fills in UserName and Received.
func customerMessage(eventID string, m slackMessage, self identity) core.Message {
	msg := core.Message{
		Key:        core.ConversationKey{Platform: Platform, Chat: m.channel, User: m.user},
		ID:         messageID(m.channel, m.ts),
		DedupeKeys: dedupeKeys(eventID, m),
		Text:       plainText(m.text, self.userID),
		ReplyTo:    m.threadTS,
		Note:       filesNote(m.files),
	}
	if msg.ReplyTo == "" && !isDM(m) && !isGroupDM(m) {
		msg.ReplyTo = m.ts
	}
	return msg
}

// agentText is the text of an agent's thread reply as the customer sees it:
// Slack's markup turned into plain text, mentions into names (name looks
// them up), links with their URL.
func agentText(m slackMessage, self identity, name func(userID string) string) string {
	text := customerText(m.text, self.userID, name)
	if note := filesNote(m.files); note != "" {
		text = strings.TrimSpace(text + " " + note)
	}
	return text
}

func filesNote(files []string) string {
	switch len(files) {
	case 0:
		return ""
	case 1:
		return "(sent a file: " + files[0] + ")"
	}
	return fmt.Sprintf("(sent %d files: %s)", len(files), strings.Join(files, ", "))
}
