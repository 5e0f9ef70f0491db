package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Envelope is the outer part of an event_callback payload.
type Envelope struct {
	TeamID    string // default DefaultTeamID
	APIAppID  string // default DefaultAppID
	EventID   string // Slack's event_id, identical across retries of one delivery
	EventTime int64  // unix seconds; default the message's ts
	BotUserID string // the installation's bot user (authorizations[0].user_id); default DefaultBotUserID
}

// Msg is the inner message of a message or app_mention event.
type Msg struct {
	Channel      string
	ChannelType  string // "im", "channel", "group", "mpim" (message events only)
	User         string
	Text         string // Slack text, e.g. "<@U0BOT> hello"
	TS           string
	ThreadTS     string // set on thread replies
	ParentUserID string // the thread root's author, on thread replies
	BotID        string // set on bot messages (with AppID)
	AppID        string
	ClientMsgID  string // set on messages typed by a person; default derived from TS
}

// The JSON shapes below follow the payloads Slack sends (copies of real
// ones are in adapters/slack/testdata); field order as Slack's.

type authorization struct {
	EnterpriseID        *string `json:"enterprise_id"`
	TeamID              string  `json:"team_id"`
	UserID              string  `json:"user_id"`
	IsBot               bool    `json:"is_bot"`
	IsEnterpriseInstall bool    `json:"is_enterprise_install"`
}

type callback struct {
	Token               string          `json:"token"`
	TeamID              string          `json:"team_id"`
	ContextTeamID       string          `json:"context_team_id"`
	ContextEnterpriseID *string         `json:"context_enterprise_id"`
	APIAppID            string          `json:"api_app_id"`
	Event               json.RawMessage `json:"event"`
	Type                string          `json:"type"`
	EventID             string          `json:"event_id"`
	EventTime           int64           `json:"event_time"`
	Authorizations      []authorization `json:"authorizations"`
	IsExtSharedChannel  bool            `json:"is_ext_shared_channel"`
	EventContext        string          `json:"event_context"`
}

type richText struct {
	Type     string            `json:"type"`
	BlockID  string            `json:"block_id"`
	Elements []richTextSection `json:"elements"`
}

type richTextSection struct {
	Type     string         `json:"type"`
	Elements []richTextLeaf `json:"elements"`
}

type richTextLeaf struct {
	Type   string `json:"type"`
	Text   string `json:"text,omitempty"`
	UserID string `json:"user_id,omitempty"`
}

type innerMessage struct {
	BotID        string     `json:"bot_id,omitempty"`
	ClientMsgID  string     `json:"client_msg_id,omitempty"`
	Type         string     `json:"type"`
	Text         string     `json:"text"`
	User         string     `json:"user"`
	TS           string     `json:"ts"`
	AppID        string     `json:"app_id,omitempty"`
	Blocks       []richText `json:"blocks"`
	Team         string     `json:"team"`
	ThreadTS     string     `json:"thread_ts,omitempty"`
	ParentUserID string     `json:"parent_user_id,omitempty"`
	Channel      string     `json:"channel"`
	EventTS      string     `json:"event_ts"`
	ChannelType  string     `json:"channel_type,omitempty"`
}

// MessageEvent returns the body of a "message" event_callback.
func MessageEvent(env Envelope, m Msg) []byte { return event(env, "message", m) }

// MessageChangedEvent returns the body of the "message" event with subtype
// message_changed that Slack sends when m, first posted as prev, was edited
// at editTS: the edited message is in "message", the old one in
// "previous_message", and the event's own ts is the edit's.
func MessageChangedEvent(env Envelope, m, prev Msg, editTS string) []byte {
	env = env.withDefaults(editTS)
	inner, _ := json.Marshal(map[string]any{
		"type": "message", "subtype": "message_changed", "hidden": true,
		"message":          changedMessage(m, env.TeamID, map[string]any{"edited": map[string]string{"user": m.User, "ts": editTS}}),
		"previous_message": changedMessage(prev, env.TeamID, nil),
		"channel":          m.Channel, "ts": editTS, "event_ts": editTS, "channel_type": m.ChannelType,
	})
	return wrap(env, "message", m.Channel, inner)
}

// MessageDeletedEvent returns the body of the "message" event with subtype
// message_deleted that Slack sends when prev was deleted at deleteTS.
func MessageDeletedEvent(env Envelope, prev Msg, deleteTS string) []byte {
	env = env.withDefaults(deleteTS)
	inner, _ := json.Marshal(map[string]any{
		"type": "message", "subtype": "message_deleted", "hidden": true,
		"previous_message": changedMessage(prev, env.TeamID, nil),
		"channel":          prev.Channel, "deleted_ts": prev.TS, "ts": deleteTS, "event_ts": deleteTS, "channel_type": prev.ChannelType,
	})
	return wrap(env, "message", prev.Channel, inner)
}

// changedMessage is the nested message of an edit or deletion event.
func changedMessage(m Msg, team string, extra map[string]any) map[string]any {
	out := map[string]any{"type": "message", "user": m.User, "text": m.Text, "ts": m.TS, "team": team,
		"blocks": textBlocks(m.Text, m.TS)}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.ParentUserID != "" {
		out["parent_user_id"] = m.ParentUserID
	}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
	} else {
		out["client_msg_id"] = pseudoUUID(m.Channel + m.TS)
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// AppMentionEvent returns the body of an "app_mention" event_callback
// (which, unlike a message event, has no channel_type).
func AppMentionEvent(env Envelope, m Msg) []byte {
	m.ChannelType = ""
	return event(env, "app_mention", m)
}

// BotEcho returns the message event Slack sends to an app subscribed to
// the channel's messages after p was posted with the bot token: the bot's
// own message, with bot_id and app_id.
func (s *Server) BotEcho(env Envelope, p Post, channelType string) []byte {
	return MessageEvent(env, Msg{Channel: p.Channel, ChannelType: channelType, User: s.opts.BotUserID, Text: p.Text,
		TS: p.TS, ThreadTS: p.ThreadTS, BotID: s.opts.BotID, AppID: DefaultAppID})
}

func event(env Envelope, typ string, m Msg) []byte {
	env = env.withDefaults(m.TS)
	team := env.TeamID
	in := innerMessage{
		BotID: m.BotID, Type: typ, Text: m.Text, User: m.User, TS: m.TS, AppID: m.AppID,
		Blocks: textBlocks(m.Text, m.TS), Team: team, ThreadTS: m.ThreadTS, ParentUserID: m.ParentUserID,
		Channel: m.Channel, EventTS: m.TS, ChannelType: m.ChannelType,
	}
	if m.BotID == "" {
		in.ClientMsgID = m.ClientMsgID
		if in.ClientMsgID == "" {
			in.ClientMsgID = pseudoUUID(m.Channel + m.TS)
		}
	}
	inner, _ := json.Marshal(in) // cannot fail: plain strings and slices
	return wrap(env, typ, m.Channel, inner)
}

// wrap puts an inner event into its event_callback envelope.
func wrap(env Envelope, typ, channel string, inner json.RawMessage) []byte {
	team := env.TeamID
	body, _ := json.Marshal(callback{
		Token: "fakeVerificationToken", TeamID: team, ContextTeamID: team, APIAppID: env.APIAppID,
		Event: inner, Type: "event_callback", EventID: env.EventID, EventTime: env.EventTime,
		Authorizations: []authorization{{TeamID: team, UserID: env.BotUserID, IsBot: true}},
		EventContext:   "4-" + base64.RawURLEncoding.EncodeToString([]byte(`{"et":"`+typ+`","tid":"`+team+`","aid":"`+env.APIAppID+`","cid":"`+channel+`"}`)),
	})
	return body
}

func (e Envelope) withDefaults(ts string) Envelope {
	if e.TeamID == "" {
		e.TeamID = DefaultTeamID
	}
	if e.APIAppID == "" {
		e.APIAppID = DefaultAppID
	}
	if e.BotUserID == "" {
		e.BotUserID = DefaultBotUserID
	}
	if e.EventTime == 0 {
		sec, _, _ := strings.Cut(ts, ".")
		e.EventTime, _ = strconv.ParseInt(sec, 10, 64)
	}
	if e.EventID == "" {
		e.EventID = "Ev" + strings.ToUpper(pseudoUUID(ts)[:10])
	}
	return e
}

// textBlocks is the rich_text block Slack adds to a typed message: the text
// with its user mentions as user elements.
func textBlocks(text, seed string) []richText {
	var leaves []richTextLeaf
	for text != "" {
		i := strings.Index(text, "<@")
		j := -1
		if i >= 0 {
			j = strings.IndexByte(text[i:], '>')
		}
		if i < 0 || j < 0 {
			leaves = append(leaves, richTextLeaf{Type: "text", Text: text})
			break
		}
		if i > 0 {
			leaves = append(leaves, richTextLeaf{Type: "text", Text: text[:i]})
		}
		leaves = append(leaves, richTextLeaf{Type: "user", UserID: text[i+2 : i+j]})
		text = text[i+j+1:]
	}
	return []richText{{Type: "rich_text", BlockID: pseudoUUID(seed)[:5], Elements: []richTextSection{{Type: "rich_text_section", Elements: leaves}}}}
}

// pseudoUUID derives a UUID-shaped id from s, so that payloads are
// deterministic.
func pseudoUUID(s string) string {
	h := sha256.Sum256([]byte(s))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}

// URLVerification returns the body Slack sends when the Request URL is set.
func URLVerification(challenge string) []byte {
	b, _ := json.Marshal(map[string]string{"token": "fakeVerificationToken", "challenge": challenge, "type": "url_verification"})
	return b
}

// Action is one button press for BlockActions.
type Action struct {
	ActionID   string // e.g. "switchboard_take"
	BlockID    string
	Value      string
	ButtonText string
	UserID     string
	UserName   string
	Channel    string
	MessageTS  string // the message that carries the button
	ThreadTS   string // its thread, when the message is a thread reply
	TriggerID  string // unique per press; default derived from ActionTS
	ActionTS   string
	TeamID     string // default DefaultTeamID
}

// BlockActions returns the form-encoded body ("payload=<json>") Slack
// POSTs to the interactivity URL when a button is pressed.
func BlockActions(a Action) []byte {
	p, _ := json.Marshal(BlockActionsPayload(a))
	return []byte(url.Values{"payload": {string(p)}}.Encode())
}

// BlockActionsPayload returns the JSON payload of a block_actions
// interaction, as inside BlockActions' form or a Socket Mode envelope.
func BlockActionsPayload(a Action) map[string]any {
	if a.TeamID == "" {
		a.TeamID = DefaultTeamID
	}
	if a.TriggerID == "" {
		a.TriggerID = strings.ReplaceAll(a.ActionTS, ".", "") + ".4711." + pseudoUUID(a.ActionTS + a.UserID)[:32]
	}
	container := map[string]any{"type": "message", "message_ts": a.MessageTS, "channel_id": a.Channel, "is_ephemeral": false}
	if a.ThreadTS != "" {
		container["thread_ts"] = a.ThreadTS
	}
	msg := map[string]any{"type": "message", "user": DefaultBotUserID, "bot_id": DefaultBotID, "app_id": DefaultAppID,
		"ts": a.MessageTS, "team": a.TeamID, "text": ""}
	if a.ThreadTS != "" {
		msg["thread_ts"] = a.ThreadTS
	}
	return map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": a.UserID, "username": a.UserName, "name": a.UserName, "team_id": a.TeamID},
		"api_app_id":            DefaultAppID,
		"token":                 "fakeVerificationToken",
		"container":             container,
		"trigger_id":            a.TriggerID,
		"team":                  map[string]any{"id": a.TeamID, "domain": "fake"},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": a.Channel, "name": "support"},
		"message":               msg,
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          "https://hooks.slack.com/actions/" + a.TeamID + "/1/fake",
		"actions": []map[string]any{{
			"action_id": a.ActionID, "block_id": a.BlockID,
			"text":  map[string]any{"type": "plain_text", "text": a.ButtonText, "emoji": true},
			"value": a.Value, "type": "button", "action_ts": a.ActionTS,
		}},
	}
}

// SlashCommand is one use of a slash command ("/switchboard on").
type SlashCommand struct {
	Command     string // default "/switchboard"
	Text        string // what follows the command
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string // default "support"
	TeamID      string // default DefaultTeamID
	TriggerID   string // default derived from the user and text
}

// SlashCommandBody returns the form-encoded body Slack POSTs to a slash
// command's request URL (see adapters/slack/testdata/slash_command.txt).
func SlashCommandBody(c SlashCommand) []byte {
	if c.Command == "" {
		c.Command = "/switchboard"
	}
	if c.ChannelName == "" {
		c.ChannelName = "support"
	}
	if c.TeamID == "" {
		c.TeamID = DefaultTeamID
	}
	if c.TriggerID == "" {
		c.TriggerID = "7184903823712.4711." + pseudoUUID(c.UserID + c.Text + c.ChannelID)[:32]
	}
	v := url.Values{
		"token":                 {"fakeVerificationToken"},
		"team_id":               {c.TeamID},
		"team_domain":           {"fake"},
		"channel_id":            {c.ChannelID},
		"channel_name":          {c.ChannelName},
		"user_id":               {c.UserID},
		"user_name":             {c.UserName},
		"command":               {c.Command},
		"text":                  {c.Text},
		"api_app_id":            {DefaultAppID},
		"is_enterprise_install": {"false"},
		"response_url":          {"https://hooks.slack.com/commands/" + c.TeamID + "/7184903823712/fake"},
		"trigger_id":            {c.TriggerID},
	}
	return []byte(v.Encode())
}

// Sign returns the X-Slack-Request-Timestamp and X-Slack-Signature values
// Slack sends with body at time at: "v0=" + hex(HMAC-SHA256(secret,
// "v0:" + timestamp + ":" + body)).
func Sign(secret string, at time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return timestamp, "v0=" + hex.EncodeToString(m.Sum(nil))
}

// NewRequest returns a POST of body to url signed like Slack's at time
// at, with the content type of body: JSON for events, a form for
// interactions.
func NewRequest(url, secret string, at time.Time, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	ts, sig := Sign(secret, at, body)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	if !strings.HasPrefix(string(body), "{") {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}
