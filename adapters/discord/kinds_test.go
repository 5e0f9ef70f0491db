package discord

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// deliverFile delivers a recorded interaction from testdata/.
func (e *env) deliverFile(t *testing.T, name string) (status, typ int, data json.RawMessage) {
	t.Helper()
	it, err := e.fake.IssueRaw(readTestdata(t, name))
	if err != nil {
		t.Fatal(err)
	}
	resp := e.deliver(t, it)
	return resp.Status, resp.Type, resp.Data
}

// Autocomplete (type 4) is answered with type 8 and the bot's questions
// that match what was typed, not with a type-4 message.
func TestAutocompleteAnsweredWithChoices(t *testing.T) {
	u, err := sampleBot()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &stubHandler{})
	e.a.suggest = u
	status, typ, data := e.deliverFile(t, "interaction_autocomplete.json")
	if status != 200 || typ != 8 {
		t.Fatalf("status %d type %d, want 200 and 8 (APPLICATION_COMMAND_AUTOCOMPLETE_RESULT)", status, typ)
	}
	var d struct {
		Choices []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"choices"`
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Choices) == 0 || len(d.Choices) > 25 || d.Content != nil {
		t.Fatalf("data %s", data)
	}
	if !strings.Contains(strings.ToLower(d.Choices[0].Name), "opening") || d.Choices[0].Name != d.Choices[0].Value {
		t.Errorf("first choice %+v, want a question about opening hours", d.Choices[0])
	}
	for _, c := range d.Choices {
		if len([]rune(c.Name)) > 100 || c.Name == "" {
			t.Errorf("choice %+v breaks Discord's limits", c)
		}
	}
	// Without a suggester: type 8 with no choices, never a message.
	e.a.suggest = nil
	if _, typ, data := e.deliverFile(t, "interaction_autocomplete.json"); typ != 8 || !strings.Contains(string(data), `"choices":[]`) {
		t.Fatalf("type %d data %s", typ, data)
	}
}

// Modal submits, the message context-menu command, /start and the user
// context-menu command are answered by the bot, through the engine.
func TestInteractionKindsAnswered(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"interaction_modal_submit.json", "order number"},
		{"interaction_message_command.json", "€50"},
		{"interaction_start_command.json", "欢迎光临"},
		{"interaction_user_command.json", "/help shows this text"},
		{"interaction_unknown_command.json", "don't know that command"},
		{"interaction_ask_dm_no_channel.json", openingHours},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			h := newHarness(t)
			e := newEnv(t, h.Engine)
			h.Start(t, e.a)
			status, typ, _ := e.deliverFile(t, tt.file)
			if status != 200 || typ != 5 {
				t.Fatalf("status %d type %d, want 200 and a deferred response", status, typ)
			}
			waitFor(t, 5*time.Second, "the follow-up", func() bool { return len(e.fake.Sent()) >= 1 })
			if got := e.fake.Sent()[0]; got.Kind != "followup" || !strings.Contains(got.Content, tt.want) {
				t.Fatalf("sent %+v, want a follow-up containing %q", got, tt.want)
			}
		})
	}
}

// A reply in a DM whose interaction had no channel id goes, once the token
// is too old, to the DM channel Discord opens for the user.
func TestSendToDMWithoutChannelID(t *testing.T) {
	e := newEnv(t, &stubHandler{})
	r := core.Reply{ID: "1257281800000000000.r0", Text: "an agent's answer",
		Key:     core.ConversationKey{Platform: Platform, Chat: dmPrefix + customer.ID, User: customer.ID},
		ReplyTo: interactionTokenPrefix + "expired-token", Created: time.Now().Add(-time.Hour)}
	if err := e.a.Send(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	ch := e.fake.DMChannel(customer.ID)
	sent := e.fake.Sent()
	if ch == "" || len(sent) != 1 || sent[0].Kind != "channel" || sent[0].ChannelID != ch || sent[0].Content != r.Text {
		t.Fatalf("DM channel %q, sent %+v", ch, sent)
	}
}
