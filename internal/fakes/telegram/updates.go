package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// User is a Telegram user as it appears in updates and getMe.
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	UserName     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is a Telegram chat as it appears in updates.
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"` // private, group, supergroup, channel
	Title     string `json:"title,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	UserName  string `json:"username,omitempty"`
}

// Private returns the private chat with u (its id is the user's id).
func Private(u User) Chat {
	return Chat{ID: u.ID, Type: "private", FirstName: u.FirstName, UserName: u.UserName}
}

// Group returns a supergroup chat; id should be negative (-100…).
func Group(id int64, title string) Chat { return Chat{ID: id, Type: "supergroup", Title: title} }

// Message is the part of a Telegram Message the builders fill in.
type Message struct {
	MessageID      int              `json:"message_id"`
	From           *User            `json:"from,omitempty"`
	Date           int64            `json:"date"`
	Chat           Chat             `json:"chat"`
	Text           string           `json:"text,omitempty"`
	Entities       []map[string]any `json:"entities,omitempty"`
	Caption        string           `json:"caption,omitempty"`
	Photo          []map[string]any `json:"photo,omitempty"`
	Voice          map[string]any   `json:"voice,omitempty"`
	Document       map[string]any   `json:"document,omitempty"`
	ReplyToMessage *Message         `json:"reply_to_message,omitempty"`
	ReplyMarkup    map[string]any   `json:"reply_markup,omitempty"`
}

// TextUpdate returns the JSON of an Update carrying a text message from
// from in chat. A leading /command gets its bot_command entity.
func TextUpdate(updateID, messageID int, chat Chat, from User, text string) []byte {
	m := Message{MessageID: messageID, From: &from, Date: time.Now().Unix(), Chat: chat, Text: text}
	if len(text) > 1 && text[0] == '/' {
		n := bytes.IndexByte([]byte(text), ' ')
		if n < 0 {
			n = len(text)
		}
		m.Entities = []map[string]any{{"type": "bot_command", "offset": 0, "length": utf16Len(text[:n])}}
	}
	return mustJSON(map[string]any{"update_id": updateID, "message": m})
}

// PhotoUpdate returns an Update with a photo (two sizes) and an optional caption.
func PhotoUpdate(updateID, messageID int, chat Chat, from User, caption string) []byte {
	m := Message{MessageID: messageID, From: &from, Date: time.Now().Unix(), Chat: chat, Caption: caption,
		Photo: []map[string]any{
			{"file_id": "AgACAgQAAxkBAAIBcWZ", "file_unique_id": "AQADsmsxG", "file_size": 1240, "width": 90, "height": 67},
			{"file_id": "AgACAgQAAxkBAAIBcWY", "file_unique_id": "AQADsmsxH", "file_size": 51234, "width": 800, "height": 600},
		}}
	return mustJSON(map[string]any{"update_id": updateID, "message": m})
}

// VoiceUpdate returns an Update with a voice note.
func VoiceUpdate(updateID, messageID int, chat Chat, from User) []byte {
	m := Message{MessageID: messageID, From: &from, Date: time.Now().Unix(), Chat: chat,
		Voice: map[string]any{"file_id": "AwACAgQAAxkBAAIBc", "file_unique_id": "AgADxw8AAk", "duration": 3,
			"mime_type": "audio/ogg", "file_size": 9876}}
	return mustJSON(map[string]any{"update_id": updateID, "message": m})
}

// CallbackUpdate returns an Update for a press of the inline button with
// callback data data under the bot's message messageID in chat. buttons is
// the keyboard that message carries (may be nil).
func CallbackUpdate(updateID int, queryID string, chat Chat, from User, bot User, messageID int, data string, buttons [][]Button) []byte {
	m := Message{MessageID: messageID, From: &bot, Date: time.Now().Unix(), Chat: chat, Text: "How can I help?"}
	if buttons != nil {
		m.ReplyMarkup = map[string]any{"inline_keyboard": buttons}
	}
	q := map[string]any{
		"id": queryID, "from": from, "message": m, "chat_instance": "-5432198765432198765", "data": data,
	}
	return mustJSON(map[string]any{"update_id": updateID, "callback_query": q})
}

// NewWebhookRequest returns a POST of update to url as Telegram sends it,
// with the secret token header (omitted when secret is empty).
func NewWebhookRequest(ctx context.Context, url, secret string, update []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(update))
	if err != nil {
		return nil, fmt.Errorf("fake telegram: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	return req, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the builders' own maps and structs are marshalled here.
		return []byte(`{}`)
	}
	return b
}
