package telegram

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchboard-gw/switchboard/core"
)

var testMe = identity{ID: 123456, UserName: "switchboard_test_bot"}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParse(t *testing.T) {
	key := func(chat, user string) core.ConversationKey {
		return core.ConversationKey{Platform: "telegram", Chat: chat, User: user}
	}
	tests := []struct {
		file     string
		want     *core.Message // nil: skipped
		callback string
	}{
		{file: "private_text.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1365",
			DedupeKeys: []string{"telegram:update:851793506", "telegram:msg:1111111:1365"},
			Text:       "what are your opening hours", UserName: "Ana Lima",
		}},
		{file: "private_start.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1366",
			DedupeKeys: []string{"telegram:update:851793507", "telegram:msg:1111111:1366"},
			Text:       "/start", UserName: "Ana", Command: "start", Language: "pt",
		}},
		// A deep link: the payload stays in the text, the command is start.
		{file: "private_start_deeplink.json", want: &core.Message{
			Key: key("3333333", "3333333"), ID: "3333333:1372",
			DedupeKeys: []string{"telegram:update:851793520", "telegram:msg:3333333:1372"},
			Text:       "/start ref-spring24", UserName: "Wei Zhang", Command: "start", Language: "zh",
		}},
		{file: "group_start_botname.json", want: &core.Message{
			Key: key("-1001234567890", "2222222"), ID: "-1001234567890:82",
			DedupeKeys: []string{"telegram:update:851793521", "telegram:msg:-1001234567890:82"},
			Text:       "/start", UserName: "Bo", Command: "start", Language: "en", ReplyTo: "82",
		}},
		{file: "private_help.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1373",
			DedupeKeys: []string{"telegram:update:851793522", "telegram:msg:1111111:1373"},
			Text:       "/help", UserName: "Ana", Command: "help", Language: "en",
		}},
		{file: "private_command_intent.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1374",
			DedupeKeys: []string{"telegram:update:851793523", "telegram:msg:1111111:1374"},
			Text:       "/opening_hours", UserName: "Ana", Command: "opening_hours", Language: "en",
		}},
		// Buttons under a channel post or an inline message: the spinner is
		// stopped, nothing is said in the channel.
		{file: "callback_channel_post.json", callback: "4382bfdwdsb323b2e1"},
		{file: "callback_inline_message.json", callback: "4382bfdwdsb323b2e2"},
		{file: "group_mention.json", want: &core.Message{
			Key: key("-1001234567890", "2222222"), ID: "-1001234567890:77",
			DedupeKeys: []string{"telegram:update:851793508", "telegram:msg:-1001234567890:77"},
			Text:       "when are you open?", UserName: "Bo", ReplyTo: "77",
		}},
		{file: "group_reply_to_bot.json", want: &core.Message{
			Key: key("-1001234567890", "2222222"), ID: "-1001234567890:80",
			DedupeKeys: []string{"telegram:update:851793510", "telegram:msg:-1001234567890:80"},
			Text:       "and on sunday?", UserName: "Bo", ReplyTo: "80",
		}},
		{file: "photo_caption.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1367",
			DedupeKeys: []string{"telegram:update:851793512", "telegram:msg:1111111:1367"},
			Text:       "the parcel arrived damaged", Note: "[photo]", UserName: "Ana",
		}},
		{file: "voice.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1368",
			DedupeKeys: []string{"telegram:update:851793513", "telegram:msg:1111111:1368"},
			Note:       "[voice message]", UserName: "Ana",
		}},
		{file: "document.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1369",
			DedupeKeys: []string{"telegram:update:851793514", "telegram:msg:1111111:1369"},
			Note:       "[document: invoice-4411.pdf]", UserName: "Ana",
		}},
		{file: "sticker.json", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "1111111:1371",
			DedupeKeys: []string{"telegram:update:851793518", "telegram:msg:1111111:1371"},
			Note:       "[sticker 👍]", UserName: "Ana",
		}},
		{file: "callback_query.json", callback: "4382bfdwdsb323b2d9", want: &core.Message{
			Key: key("1111111", "1111111"), ID: "cbq:4382bfdwdsb323b2d9",
			DedupeKeys: []string{"telegram:update:851793515", "telegram:cbq:4382bfdwdsb323b2d9"},
			Text:       "Opening hours", UserName: "Ana",
		}},
		{file: "group_chatter.json"},
		{file: "group_command_other_bot.json"},
		{file: "edited_message.json"},
		{file: "channel_post.json"},
		{file: "new_chat_members.json"},
		{file: "from_bot.json"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			u, err := parse(readTestdata(t, tt.file), testMe)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(u.Message, tt.want) {
				t.Errorf("message:\n got %+v\nwant %+v", u.Message, tt.want)
			}
			if u.Message == nil && u.Skip == "" {
				t.Error("skipped without a reason")
			}
			if u.CallbackQueryID != tt.callback {
				t.Errorf("callback id = %q, want %q", u.CallbackQueryID, tt.callback)
			}
			if u.ID == 0 {
				t.Error("update id not set")
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"not json", "update_id=1"},
		{"array", `[{"update_id":1}]`},
		{"no update_id", `{"message":{"message_id":1}}`},
		{"string update_id", `{"update_id":"1"}`},
		{"negative update_id", `{"update_id":-4}`},
		{"null", `null`},
		{"wrong field type", `{"update_id":1,"message":{"message_id":"x"}}`},
		{"truncated", `{"update_id":1,"message":{`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse([]byte(tt.body), testMe)
			if !errors.Is(err, errNotUpdate) {
				t.Fatalf("parse(%q) error = %v, want errNotUpdate", tt.body, err)
			}
		})
	}
}

func TestButtonTextFallsBackToData(t *testing.T) {
	body := `{"update_id":9,"callback_query":{"id":"q1","from":{"id":5,"first_name":"E"},` +
		`"message":{"message_id":3,"chat":{"id":5,"type":"private"},"date":1},"data":"Returns"}}`
	u, err := parse([]byte(body), testMe)
	if err != nil || u.Message == nil || u.Message.Text != "Returns" {
		t.Fatalf("parse = %+v, %v; want text Returns", u.Message, err)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@switchboard_test_bot hi", "hi"},
		{"hi @SWITCHBOARD_TEST_BOT!", "hi !"},
		{"hi @switchboard_test_bot_2", "hi @switchboard_test_bot_2"},
		{"/help@switchboard_test_bot  me  now", "/help me now"},
		{"/start", "/start"},
		{"  spaced\n\ttext ", "spaced text"},
		{"@switchboard_test_bot", ""},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in, testMe.UserName); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParse checks that parse never panics, that it either returns an
// error or a well-formed update, and that a normalized message always has
// what the engine needs.
func FuzzParse(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") {
			f.Add(readTestdata(f, e.Name()))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := parse(body, testMe)
		if err != nil {
			if !errors.Is(err, errNotUpdate) {
				t.Fatalf("error does not wrap errNotUpdate: %v", err)
			}
			return
		}
		m := u.Message
		if m == nil {
			if u.Skip == "" {
				t.Fatal("no message and no skip reason")
			}
			return
		}
		if m.Key.Platform != Platform || m.Key.Chat == "" || m.Key.User == "" || m.ID == "" || len(m.DedupeKeys) != 2 {
			t.Fatalf("incomplete message %+v", m)
		}
		if m.Text == "" && m.Note == "" {
			t.Fatalf("message without text or note: %+v", m)
		}
		if utf8.ValidString(string(body)) && !utf8.ValidString(m.Text) {
			t.Fatalf("valid input gave invalid text %q", m.Text)
		}
	})
}
