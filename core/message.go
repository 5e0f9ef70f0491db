package core

import (
	"net/url"
	"strings"
	"time"
)

// ConversationKey identifies one conversation: one customer on one platform in
// one chat. For direct messages Chat and User are usually the same value.
type ConversationKey struct {
	Platform string // adapter name: "web", "terminal", "slack", "telegram", "discord", "wechat"
	Chat     string // where replies go: channel, chat id, openid, web session id
	User     string // the customer inside that chat
}

// String returns a stable, unambiguous text form "platform:chat:user" in which
// each part is escaped, suitable as a store key. ParseConversationKey reverses it.
func (k ConversationKey) String() string {
	return url.PathEscape(k.Platform) + ":" + escapeColon(k.Chat) + ":" + escapeColon(k.User)
}

func escapeColon(s string) string {
	// PathEscape keeps ':' as is; escape it so the separator stays unique.
	return strings.ReplaceAll(url.PathEscape(s), ":", "%3A")
}

// ParseConversationKey parses the output of ConversationKey.String.
func ParseConversationKey(s string) (ConversationKey, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return ConversationKey{}, false
	}
	var k ConversationKey
	var err error
	if k.Platform, err = url.PathUnescape(parts[0]); err != nil {
		return ConversationKey{}, false
	}
	if k.Chat, err = url.PathUnescape(parts[1]); err != nil {
		return ConversationKey{}, false
	}
	if k.User, err = url.PathUnescape(parts[2]); err != nil {
		return ConversationKey{}, false
	}
	return k, true
}

// Message is one normalized inbound customer message. Adapters build it from
// the platform's payload; core never sees the raw payload.
type Message struct {
	Key ConversationKey
	// ID is the message's identity within the platform (e.g. Slack "C1/1531431954.000073",
	// a Telegram update id). It names the transcript turn and the replies' origin.
	ID string
	// DedupeKeys are the platform-scoped keys under which this message may be
	// redelivered (Slack: event_id and channel+ts). If any of them was seen
	// before, the message is a duplicate and is not answered again. Empty means
	// "platform:ID".
	DedupeKeys []string
	Text       string
	UserName   string    // display name when the platform gives one
	Language   string    // optional hint ("en", "zh"); empty lets the bot detect it
	ReplyTo    string    // platform message id to thread replies to, if any
	Received   time.Time // when the gateway received it; zero means now
	// Note describes content that is not text (an image, a voice note, a file),
	// so that it is not silently dropped.
	Note string
	// Command is the bot command the message is, on platforms that have
	// commands (Telegram "/start", a Discord slash command, a WeChat menu
	// button or QR-code scan): its name without the slash or the bot's
	// name, in lower case ("start", "help", "order_status"). Text still
	// holds what the customer sent. Empty for ordinary messages.
	Command string
}

// dedupeKeys returns the message's dedupe keys, defaulting to platform:ID.
func (m Message) dedupeKeys() []string {
	if len(m.DedupeKeys) > 0 {
		return m.DedupeKeys
	}
	return []string{m.Key.Platform + ":" + m.ID}
}

// Author says who wrote a transcript turn or a reply.
type Author string

// The authors of transcript turns.
const (
	AuthorUser  Author = "user"
	AuthorBot   Author = "bot"
	AuthorAgent Author = "agent"
)

// ReplyKind says what an outbound message is for.
type ReplyKind string

// The kinds of replies. Customer-facing replies have the empty kind; the
// others go to the support desk (Key is the desk's channel, About is the
// customer's conversation).
const (
	ReplyAnswer ReplyKind = ""      // to the customer: bot answer, agent reply, notice
	ReplyCase   ReplyKind = "case"  // opens a case for About in the support channel
	ReplyRelay  ReplyKind = "relay" // a customer message of About, into its case thread
	ReplyNote   ReplyKind = "note"  // a status line in About's case thread (returned, reminder, failure)
	// ReplyStatus redraws About's case message with Case's new status
	// (assigned, back with the bot, closed); it posts nothing new.
	ReplyStatus ReplyKind = "status"
)

// Reply is one outbound message to a conversation. It is stored in the outbox
// before it is sent, so it must be fully self-describing.
type Reply struct {
	ID           string // unique; equals the transcript turn id of this reply
	Key          ConversationKey
	Kind         ReplyKind
	About        ConversationKey // for desk kinds: the customer's conversation
	From         Author          // AuthorBot or AuthorAgent
	AgentName    string          // shown where the platform allows, when From is AuthorAgent
	Text         string
	QuickReplies []string // buttons where the platform supports them, numbered text otherwise
	ReplyTo      string   // platform message id to thread under, if any
	InReplyTo    string   // the inbound Message.ID that caused this reply
	Created      time.Time
	// Corrects is the ID of an earlier reply that this one corrects (an
	// agent edited their message). Platforms that can edit a sent message
	// may edit it; the others send DisplayText, which says "(correction)".
	Corrects string
	// Broadcast asks the desk to show a note to the whole channel, not only
	// inside the case thread (the unassigned reminder).
	Broadcast bool
	// Mention is prepended to a desk note as is (a user group or @here from
	// the owner's configuration); it is never escaped.
	Mention string
	// Case is the case card of a ReplyCase, and the new status of a
	// ReplyStatus.
	Case *CaseCard
	// Channel is the desk channel a ReplyCase is posted in, when the case
	// was routed to a team (empty: Key.Chat). Key stays the desk's, so that
	// all of a case's messages keep their order in the outbox.
	Channel string
}

// Turn is one entry of a conversation's transcript.
type Turn struct {
	ID     string    `json:"id"`
	From   Author    `json:"from"`
	Text   string    `json:"text"`
	At     time.Time `json:"at"`
	Intent string    `json:"intent,omitempty"`
	// Confidence of Intent, 0 when none.
	Confidence float64 `json:"confidence,omitempty"`
	// AgentName is set on agent turns.
	AgentName string `json:"agent_name,omitempty"`
	// QuickReplies offered with a bot turn, so a reloaded chat can show them.
	QuickReplies []string `json:"quick_replies,omitempty"`
	// Corrects is the ID of the earlier turn this one corrects (an agent
	// edited a message); Text is the corrected text.
	Corrects string `json:"corrects,omitempty"`
}

// EditedText is the text that replaces a corrected message on platforms
// that can edit a sent message: DisplayText without "(correction)".
func (r Reply) EditedText() string {
	r.Corrects = ""
	return r.DisplayText()
}

// DisplayText is the text to show the customer on platforms that cannot
// show an author name: agent replies are prefixed with the agent's name
// ("Ana: …"), a correction of an earlier reply starts with "(correction)";
// other replies are Text unchanged.
func (r Reply) DisplayText() string {
	text := r.Text
	if r.From == AuthorAgent && r.AgentName != "" {
		text = r.AgentName + ": " + text
	}
	if r.Corrects != "" {
		text = "(correction) " + text
	}
	return text
}
