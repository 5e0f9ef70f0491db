package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-gw/switchboard/core"
)

// MaxBodyBytes is the largest webhook body the handler reads. Updates are a
// few kilobytes; the largest (a message with a long reply chain) stay far
// below this.
const MaxBodyBytes = 1 << 20

// errNotUpdate marks a body that is not a Telegram Update.
var errNotUpdate = errors.New("not a Telegram update")

// identity is the bot's own account, from getMe.
type identity struct {
	ID       int64
	UserName string // without '@'
}

// update is what one Update asks of the adapter.
type update struct {
	ID int // update_id
	// Message is the normalized customer message, nil when the update needs
	// no answer (an edit, a channel post, a group message not addressed to
	// the bot, a service message, another bot's message).
	Message *core.Message
	// CallbackQueryID is set for a button press; it must be answered (even
	// when Message is nil) so that the customer's client stops its spinner.
	CallbackQueryID string
	// Skip says why Message is nil, for debug logs.
	Skip string
}

// parse decodes a webhook body into an update and normalizes it. It returns
// an error wrapping errNotUpdate when body is not a JSON object with a
// numeric update_id. It does no I/O and is safe for concurrent use.
func parse(body []byte, me identity) (update, error) {
	var probe struct {
		UpdateID *int64 `json:"update_id"`
	}
	if err := json.Unmarshal(body, &probe); err != nil {
		return update{}, fmt.Errorf("%w: %s", errNotUpdate, describeJSONError(err))
	}
	if probe.UpdateID == nil {
		return update{}, fmt.Errorf("%w: no update_id", errNotUpdate)
	}
	if *probe.UpdateID < 0 {
		return update{}, fmt.Errorf("%w: negative update_id", errNotUpdate)
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil {
		return update{}, fmt.Errorf("%w: %s", errNotUpdate, describeJSONError(err))
	}
	return normalize(u, me), nil
}

// describeJSONError shortens a decoding error without quoting the body.
func describeJSONError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %q has the wrong type (JSON %s)", typ.Field, typ.Value)
		}
		return fmt.Sprintf("expected a JSON object, got a JSON %s", typ.Value)
	default:
		return "invalid JSON"
	}
}

// normalize turns an Update into an update: message and callback_query are
// handled; every other kind is skipped.
func normalize(u tgbotapi.Update, me identity) update {
	out := update{ID: u.UpdateID}
	switch {
	case u.Message != nil:
		out.Message, out.Skip = normalizeMessage(u.UpdateID, u.Message, me)
	case u.CallbackQuery != nil:
		out.CallbackQueryID = u.CallbackQuery.ID
		out.Message, out.Skip = normalizeCallback(u.UpdateID, u.CallbackQuery)
	default:
		out.Skip = "update kind not handled"
	}
	return out
}

func normalizeMessage(updateID int, m *tgbotapi.Message, me identity) (*core.Message, string) {
	switch {
	case m.Chat == nil:
		return nil, "message without chat"
	case m.Chat.Type == "channel":
		return nil, "channel post"
	case m.From == nil:
		return nil, "message without sender (anonymous admin or channel)"
	case m.From.IsBot:
		return nil, "message from a bot"
	case m.IsAutomaticForward:
		return nil, "automatic forward from a linked channel"
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	group := m.Chat.Type != "private"
	if group && !addressed(m, text, me) {
		return nil, "group message not addressed to the bot"
	}
	cmd := command(text)
	text = cleanText(text, me.UserName)
	note := mediaNote(m)
	if text == "" && note == "" {
		return nil, "no text and no media"
	}
	chat := strconv.FormatInt(m.Chat.ID, 10)
	msg := &core.Message{
		Key: core.ConversationKey{Platform: Platform, Chat: chat, User: strconv.FormatInt(m.From.ID, 10)},
		ID:  chat + ":" + strconv.Itoa(m.MessageID),
		DedupeKeys: []string{
			"telegram:update:" + strconv.Itoa(updateID),
			"telegram:msg:" + chat + ":" + strconv.Itoa(m.MessageID),
		},
		Text:     text,
		UserName: displayName(m.From),
		Note:     note,
		Command:  cmd,
	}
	if cmd != "" {
		// "/start" has no words to tell the customer's language by; the
		// client's language does.
		msg.Language = primaryLanguage(m.From.LanguageCode)
	}
	if group {
		// In a group the answer quotes the question it answers.
		msg.ReplyTo = strconv.Itoa(m.MessageID)
	}
	return msg, ""
}

func normalizeCallback(updateID int, q *tgbotapi.CallbackQuery) (*core.Message, string) {
	switch {
	case q.From == nil:
		return nil, "callback query without sender"
	case q.Message == nil || q.Message.Chat == nil:
		return nil, "callback query of an inline message (no chat to answer in)"
	case q.Message.Chat.Type == "channel":
		// Answering would post publicly in the channel; the bot serves
		// private chats and groups only, as for messages.
		return nil, "callback query of a channel post"
	case q.From.IsBot:
		return nil, "callback query from a bot"
	case q.Data == "":
		return nil, "callback query without data"
	}
	text := buttonText(q.Message.ReplyMarkup, q.Data)
	chat := strconv.FormatInt(q.Message.Chat.ID, 10)
	return &core.Message{
		Key: core.ConversationKey{Platform: Platform, Chat: chat, User: strconv.FormatInt(q.From.ID, 10)},
		ID:  "cbq:" + q.ID,
		DedupeKeys: []string{
			"telegram:update:" + strconv.Itoa(updateID),
			"telegram:cbq:" + q.ID,
		},
		Text:     text,
		UserName: displayName(q.From),
	}, ""
}

// buttonText returns the label of the inline button whose callback_data is
// data (the quick reply as the customer saw it), or data itself when the
// message no longer carries its keyboard.
func buttonText(kb *tgbotapi.InlineKeyboardMarkup, data string) string {
	if kb != nil {
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData != nil && *b.CallbackData == data && b.Text != "" {
					return b.Text
				}
			}
		}
	}
	return data
}

// addressed reports whether a group message is meant for the bot: it
// mentions @me, replies to one of the bot's messages, or is a command that
// is not addressed to another bot.
func addressed(m *tgbotapi.Message, text string, me identity) bool {
	if me.UserName != "" && indexMention(text, me.UserName) >= 0 {
		return true
	}
	if r := m.ReplyToMessage; r != nil && r.From != nil && r.From.ID == me.ID {
		return true
	}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		_, to, found := strings.Cut(cmd, "@")
		return !found || asciiEqualFold(to, me.UserName)
	}
	return false
}

// command returns the name of the bot command text starts with, in lower
// case and without '/' and "@botname" ("/Start@Bot ref" gives "start"), or
// "" when text is no command. Telegram command names are 1-32 letters,
// digits and underscores; a bare "/" or "/ hi" is text.
func command(text string) string {
	if !strings.HasPrefix(text, "/") {
		return ""
	}
	word, _, _ := strings.Cut(strings.Fields(text)[0][1:], "@")
	if word == "" || len(word) > 32 {
		return ""
	}
	for i := 0; i < len(word); i++ {
		if !isUserNameByte(word[i]) {
			return ""
		}
	}
	return strings.ToLower(word)
}

// primaryLanguage returns the primary subtag of an IETF language tag in
// lower case ("pt-br" gives "pt"), or "".
func primaryLanguage(tag string) string {
	l, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	return l
}

// cleanText removes the bot's @mention and the bot's name from a leading
// command ("/start@bot payload" becomes "/start payload").
func cleanText(text, userName string) string {
	if strings.HasPrefix(text, "/") {
		cmd, rest, _ := strings.Cut(text, " ")
		cmd, _, _ = strings.Cut(cmd, "@")
		text = strings.TrimSpace(cmd + " " + rest)
	}
	if userName != "" {
		for {
			i := indexMention(text, userName)
			if i < 0 {
				break
			}
			text = text[:i] + text[i+1+len(userName):]
		}
	}
	return strings.Join(strings.Fields(text), " ")
}

// indexMention returns the byte index of "@name" in text (ASCII
// case-insensitive, not followed by another username character), or -1.
func indexMention(text, name string) int {
	n := len(name) + 1
	for i := 0; i+n <= len(text); i++ {
		if text[i] != '@' || !asciiEqualFold(text[i+1:i+n], name) {
			continue
		}
		if i+n < len(text) && isUserNameByte(text[i+n]) {
			continue
		}
		return i
	}
	return -1
}

func isUserNameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '_'
}

// asciiEqualFold compares usernames, which are ASCII and case-insensitive.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// mediaNote describes non-text content so that it is not dropped.
func mediaNote(m *tgbotapi.Message) string {
	switch {
	case len(m.Photo) > 0:
		return "[photo]"
	case m.Voice != nil:
		return "[voice message]"
	case m.VideoNote != nil:
		return "[video message]"
	case m.Animation != nil: // also carries Document; check first
		return "[animation]"
	case m.Video != nil:
		return "[video]"
	case m.Audio != nil:
		return "[audio]"
	case m.Document != nil:
		if name := strings.TrimSpace(m.Document.FileName); name != "" {
			return "[document: " + name + "]"
		}
		return "[document]"
	case m.Sticker != nil:
		if m.Sticker.Emoji != "" {
			return "[sticker " + m.Sticker.Emoji + "]"
		}
		return "[sticker]"
	case m.Location != nil, m.Venue != nil:
		return "[location]"
	case m.Contact != nil:
		return "[contact]"
	case m.Poll != nil:
		return "[poll]"
	case m.Dice != nil:
		return "[dice]"
	}
	return ""
}

func displayName(u *tgbotapi.User) string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}
