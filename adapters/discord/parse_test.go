package discord

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard-gw/switchboard/core"
)

const (
	testBotID   = "1100000000000000001"
	testChannel = "1200000000000000777" // a configured support channel
)

var testChannels = map[string]bool{testChannel: true}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeMessageCreate(b []byte) (*discordgo.MessageCreate, error) {
	var m discordgo.MessageCreate
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func TestNormalize(t *testing.T) {
	key := func(ch, user string) core.ConversationKey {
		return core.ConversationKey{Platform: "discord", Chat: ch, User: user}
	}
	tests := []struct {
		file string
		want *core.Message // nil: not answered
	}{
		{"message_dm.json", &core.Message{Key: key("1257270000000000001", "811111111111111111"),
			ID: "1257276850553569341", DedupeKeys: []string{"discord:msg:1257276850553569341"},
			Text: "what are your opening hours", UserName: "Ana Lima"}},
		{"message_guild_mention.json", &core.Message{Key: key("1200000000000000555", "822222222222222222"),
			ID: "1257278001234567890", DedupeKeys: []string{"discord:msg:1257278001234567890"},
			Text: "when are you open?", UserName: "Bo (customer)", ReplyTo: "1257278001234567890"}},
		{"message_reply_to_bot.json", &core.Message{Key: key("1200000000000000555", "822222222222222222"),
			ID: "1257278850000000000", DedupeKeys: []string{"discord:msg:1257278850000000000"},
			Text: "and on sunday?", UserName: "Bo", ReplyTo: "1257278850000000000"}},
		{"message_support_channel.json", &core.Message{Key: key(testChannel, "833333333333333333"),
			ID: "1257278450000000000", DedupeKeys: []string{"discord:msg:1257278450000000000"},
			Text: "my parcel arrived damaged", Note: "[image]", UserName: "Cy", ReplyTo: "1257278450000000000"}},
		{"message_voice.json", &core.Message{Key: key("1257270000000000001", "811111111111111111"),
			ID: "1257278650000000000", DedupeKeys: []string{"discord:msg:1257278650000000000"},
			Note: "[voice message]", UserName: "Ana Lima"}},
		{"message_guild_chatter.json", nil},
		{"message_own.json", nil},
		{"message_other_bot.json", nil},
		{"message_webhook.json", nil},
		{"message_member_join.json", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			mc, err := decodeMessageCreate(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := normalize(mc, testBotID, testChannels)
			if ok != (tt.want != nil) {
				t.Fatalf("answered = %v, want %v", ok, tt.want != nil)
			}
			if ok && !reflect.DeepEqual(&got, tt.want) {
				t.Errorf("message:\n got %+v\nwant %+v", got, *tt.want)
			}
		})
	}
}

func TestParseInteraction(t *testing.T) {
	key := func(ch, user string) core.ConversationKey {
		return core.ConversationKey{Platform: "discord", Chat: ch, User: user}
	}
	tests := []struct {
		file   string
		ping   bool
		notice bool
		want   *core.Message
	}{
		{file: "interaction_ping.json", ping: true},
		{file: "interaction_ask_guild.json", want: &core.Message{Key: key("1200000000000000555", "822222222222222222"),
			ID: "1257281000000000000", DedupeKeys: []string{"discord:interaction:1257281000000000000"},
			Text: "what are your opening hours", UserName: "Bo (customer)",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTAwMDAwMDAwMDAwMDpBU0tfR1VJTEQ"}},
		{file: "interaction_ask_dm.json", want: &core.Message{Key: key("1257270000000000001", "811111111111111111"),
			ID: "1257281100000000000", DedupeKeys: []string{"discord:interaction:1257281100000000000"},
			Text: "where is my order?", UserName: "Ana Lima",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTEwMDAwMDAwMDAwMDpBU0tfRE0"}},
		{file: "interaction_button.json", want: &core.Message{Key: key("1257270000000000001", "811111111111111111"),
			ID: "1257281200000000000", DedupeKeys: []string{"discord:interaction:1257281200000000000"},
			Text: "Opening hours", UserName: "Ana Lima",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTIwMDAwMDAwMDAwMDpCVVRUT04"}},
		// Other slash commands are bot commands (an intent's name, or
		// "unknown command" from the bot), no longer a refusal.
		{file: "interaction_unknown_command.json", want: &core.Message{Key: key("1257270000000000001", "811111111111111111"),
			ID: "1257281300000000000", DedupeKeys: []string{"discord:interaction:1257281300000000000"},
			Text: "/weather", UserName: "Ana Lima", Command: "weather", Language: "en",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTMwMDAwMDAwMDAwMDpVTktOT1dO"}},
		{file: "interaction_start_command.json", want: &core.Message{Key: key("1257270000000000001", "811111111111111111"),
			ID: "1257281900000000000", DedupeKeys: []string{"discord:interaction:1257281900000000000"},
			Text: "/start", UserName: "Ana Lima", Command: "start", Language: "zh",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTkwMDAwMDAwMDAwMDpTVEFSVA"}},
		{file: "interaction_modal_submit.json", want: &core.Message{Key: key("1257270000000000001", "811111111111111111"),
			ID: "1257281500000000000", DedupeKeys: []string{"discord:interaction:1257281500000000000"},
			Text: "I would like to return these shoes, they do not fit", UserName: "Ana Lima",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTUwMDAwMDAwMDAwMDpNT0RBTA"}},
		{file: "interaction_message_command.json", want: &core.Message{Key: key("1200000000000000555", "822222222222222222"),
			ID: "1257281600000000000", DedupeKeys: []string{"discord:interaction:1257281600000000000"},
			Text: "how much is shipping to france?", UserName: "Bo (customer)",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTYwMDAwMDAwMDAwMDpNRVNTQUdFX0NNRA"}},
		{file: "interaction_user_command.json", want: &core.Message{Key: key("1200000000000000555", "822222222222222222"),
			ID: "1257281700000000000", DedupeKeys: []string{"discord:interaction:1257281700000000000"},
			Text: "/help", UserName: "Bo (customer)", Command: "help", Language: "en",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTcwMDAwMDAwMDAwMDpVU0VSX0NNRA"}},
		// Older DM shapes have no channel_id: answered, keyed by the user.
		{file: "interaction_ask_dm_no_channel.json", want: &core.Message{Key: key("@811111111111111111", "811111111111111111"),
			ID: "1257281800000000000", DedupeKeys: []string{"discord:interaction:1257281800000000000"},
			Text: "what are your opening hours", UserName: "Ana Lima",
			ReplyTo: "interaction:aW50ZXJhY3Rpb246MTI1NzI4MTgwMDAwMDAwMDAwMDpOT19DSEFOTkVM"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in, err := parseInteraction(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if in.Ping != tt.ping || (in.Notice != "") != tt.notice || !reflect.DeepEqual(in.Message, tt.want) {
				t.Errorf("got %+v (message %+v), want ping %v notice %v message %+v", in, in.Message, tt.ping, tt.notice, tt.want)
			}
		})
	}
}

func TestParseInteractionRejects(t *testing.T) {
	for _, body := range []string{
		``, `null`, `[]`, `{"type":2}`, `{"type":"x"}`,
		`{"id":"1","type":2,"token":"t","channel_id":"2","data":{"name":"ask"}}`, // no user
		`{"id":"1","type":2,"token":"a/b","channel_id":"2","user":{"id":"3"},"data":{"name":"ask"}}`,
		`{"id":"x","type":2,"token":"t","channel_id":"2","user":{"id":"3"},"data":{"name":"ask"}}`,
		`{"id":"1","type":2,"token":"t","channel_id":"2","user":{"id":"3"}}`, // no data
	} {
		if _, err := parseInteraction([]byte(body)); !errors.Is(err, errNotInteraction) {
			t.Errorf("parseInteraction(%s) = %v, want errNotInteraction", body, err)
		}
	}
}

func TestParseAutocomplete(t *testing.T) {
	in, err := parseInteraction(readTestdata(t, "interaction_autocomplete.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !in.Autocomplete || in.Typed != "opening" || in.Language != "en" || in.Message != nil {
		t.Fatalf("got %+v", in)
	}
}

func TestButtonLabelWithoutMessage(t *testing.T) {
	if got := buttonLabel(nil, "qr:3:Where is my order?"); got != "Where is my order?" {
		t.Fatalf("label = %q", got)
	}
}

func seedFromTestdata(f *testing.F, prefix string) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			f.Add(readTestdata(f, e.Name()))
		}
	}
}

func FuzzParseInteraction(f *testing.F) {
	seedFromTestdata(f, "interaction_")
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := parseInteraction(body)
		if err != nil {
			if !errors.Is(err, errNotInteraction) {
				t.Fatalf("error does not wrap errNotInteraction: %v", err)
			}
			return
		}
		if m := in.Message; m != nil {
			chat := strings.TrimPrefix(m.Key.Chat, dmPrefix)
			if !snowflake(chat) || !snowflake(m.Key.User) || m.ID == "" || strings.TrimSpace(m.Text) == "" ||
				!strings.HasPrefix(m.ReplyTo, interactionTokenPrefix) || len(m.ReplyTo) == len(interactionTokenPrefix) {
				t.Fatalf("incomplete message %+v", m)
			}
		}
	})
}

func FuzzNormalize(f *testing.F) {
	seedFromTestdata(f, "message_")
	f.Fuzz(func(t *testing.T, body []byte) {
		mc, err := decodeMessageCreate(body)
		if err != nil {
			return
		}
		m, ok := normalize(mc, testBotID, testChannels)
		if !ok {
			return
		}
		if m.Key.User == testBotID || !snowflake(m.Key.Chat) || m.ID == "" || (m.Text == "" && m.Note == "") ||
			len(m.DedupeKeys) != 1 || strings.Contains(m.Text, "<@"+testBotID+">") {
			t.Fatalf("bad message %+v", m)
		}
	})
}
