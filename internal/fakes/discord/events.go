package discord

import (
	"encoding/json"
	"time"
)

// Attachment is a file attached to a message.
type Attachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type,omitempty"`
	Size        int    `json:"size"`
	URL         string `json:"url"`
	ProxyURL    string `json:"proxy_url"`
}

// MessageSpec describes a message for MessageCreate.
type MessageSpec struct {
	ID          string
	ChannelID   string
	GuildID     string // empty for a DM
	Author      User
	Nick        string // guild nickname, if any
	Content     string
	Mentions    []User
	Attachments []Attachment
	Type        int // 0 default, 19 reply
	WebhookID   string
}

// MessageCreate returns the JSON of a MESSAGE_CREATE dispatch payload for
// spec, in the shape the gateway sends (member and guild_id only in guilds).
func MessageCreate(spec MessageSpec) []byte {
	mentions := spec.Mentions
	if mentions == nil {
		mentions = []User{}
	}
	atts := spec.Attachments
	if atts == nil {
		atts = []Attachment{}
	}
	m := map[string]any{
		"id": spec.ID, "channel_id": spec.ChannelID, "author": spec.Author, "content": spec.Content,
		"timestamp": time.Now().UTC().Format("2006-01-02T15:04:05.000000+00:00"), "edited_timestamp": nil,
		"tts": false, "mention_everyone": false, "mentions": mentions, "mention_roles": []any{},
		"attachments": atts, "embeds": []any{}, "pinned": false, "type": spec.Type, "flags": 0,
		"components": []any{}, "nonce": spec.ID,
	}
	if spec.GuildID != "" {
		m["guild_id"] = spec.GuildID
		var nick any
		if spec.Nick != "" {
			nick = spec.Nick
		}
		m["member"] = map[string]any{"roles": []any{}, "nick": nick, "joined_at": "2024-01-01T00:00:00.000000+00:00",
			"deaf": false, "mute": false, "flags": 0}
	}
	if spec.WebhookID != "" {
		m["webhook_id"] = spec.WebhookID
	}
	b, _ := json.Marshal(m) // only maps, strings and slices
	return b
}
