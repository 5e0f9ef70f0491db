package slack

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

func TestSocketModeEnvelopes(t *testing.T) {
	a, eng, _, _ := newUnit(t, nil)
	dm := slackfake.MessageEvent(slackfake.Envelope{EventID: "EvS1"}, slackfake.Msg{Channel: "D1", ChannelType: "im", User: "U1", Text: "hi", TS: "1.0"})
	take, _ := json.Marshal(slackfake.BlockActionsPayload(slackfake.Action{ActionID: actionTake, Value: "web:w1:w1",
		UserID: agentAna, Channel: testSupport, MessageTS: "1.0", ActionTS: "2.0"}))
	envelope := func(typ socketmode.EventType, payload []byte) socketmode.Event {
		return socketmode.Event{Type: typ, Request: &socketmode.Request{Type: string(typ), EnvelopeID: "env-" + string(typ), Payload: payload}}
	}
	cases := []struct {
		name        string
		evt         socketmode.Event
		fail        bool
		wantAck     bool
		wantHandled int
	}{
		{"message", envelope(socketmode.EventTypeEventsAPI, dm), false, true, 1},
		{"engine fails: no ack, Slack redelivers", envelope(socketmode.EventTypeEventsAPI, dm), true, false, 0},
		{"button", envelope(socketmode.EventTypeInteractive, take), false, true, 1},
		{"payload that never parses", envelope(socketmode.EventTypeEventsAPI, []byte("{")), false, true, 0},
		{"ignored event", envelope(socketmode.EventTypeEventsAPI, []byte(`{"type":"event_callback","event":{"type":"reaction_added"}}`)), false, true, 0},
		{"hello", socketmode.Event{Type: socketmode.EventTypeHello, Request: &socketmode.Request{Type: "hello"}}, false, false, 0},
		{"connected", socketmode.Event{Type: socketmode.EventTypeConnected}, false, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := eng.handled()
			eng.fail = c.fail
			acked := false
			a.handleSocketEvent(context.Background(), c.evt, func(req socketmode.Request) error {
				if eng.handled()-before != c.wantHandled {
					t.Errorf("acknowledged before the engine returned")
				}
				if req.EnvelopeID != c.evt.Request.EnvelopeID {
					t.Errorf("acknowledged %q", req.EnvelopeID)
				}
				acked = true
				return nil
			})
			if acked != c.wantAck || eng.handled()-before != c.wantHandled {
				t.Fatalf("acked %v handled %d, want %v %d", acked, eng.handled()-before, c.wantAck, c.wantHandled)
			}
		})
	}
}

// TestRunSocketMode: Run opens a Socket Mode connection with the app-level
// token (the fake's websocket URL refuses it, so slack-go keeps retrying)
// and returns nil when cancelled; in events mode it returns at once.
func TestRunSocketMode(t *testing.T) {
	fake := slackfake.New(slackfake.Options{Token: testToken, AppToken: "xapp-1-A0-123-SeCrEtApP"})
	defer fake.Close()
	st, err := bolt.Open(context.Background(), dbPath(t), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	events, err := New(context.Background(), Config{BotToken: testToken, SigningSecret: testSecret, APIURL: fake.APIURL()}, &stubEngine{}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.Run(context.Background()); err != nil {
		t.Fatalf("Run in events mode: %v", err)
	}
	sock, err := New(context.Background(), Config{BotToken: testToken, Mode: ModeSocket, AppToken: "xapp-1-A0-123-SeCrEtApP",
		APIURL: fake.APIURL()}, &stubEngine{}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sock.Run(ctx) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if fake.Calls("apps.connections.open") == 0 {
		t.Fatal("Run did not open a Socket Mode connection")
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{BotToken: "xoxb-1", SigningSecret: "s", SupportChannel: "C0123ABCD"}
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"valid", func(*Config) {}, ""},
		{"no token", func(c *Config) { c.BotToken = "" }, "bot_token is required"},
		{"app token as bot token", func(c *Config) { c.BotToken = "xapp-1-secret" }, "app-level token"},
		{"events without secret", func(c *Config) { c.SigningSecret = "" }, "signing_secret is required"},
		{"socket without app token", func(c *Config) { c.Mode, c.SigningSecret = ModeSocket, "" }, "app_token is required"},
		{"socket with a bot token as app token", func(c *Config) { c.Mode, c.AppToken = ModeSocket, "xoxb-2" }, "must be an app-level token"},
		{"socket", func(c *Config) { c.Mode, c.AppToken, c.SigningSecret = ModeSocket, "xapp-1", "" }, ""},
		{"bad mode", func(c *Config) { c.Mode = "rtm" }, `mode must be "events" or "socket"`},
		{"channel name instead of id", func(c *Config) { c.SupportChannel = "#support" }, "support_channel must be a channel ID"},
		{"bad api url", func(c *Config) { c.APIURL = "slack.com/api" }, "api_url must be"},
		{"negative timeout", func(c *Config) { c.HTTPTimeout = -time.Second }, "must not be negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.mod(&cfg)
			err := cfg.Validate()
			if (err == nil) != (c.want == "") || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("Validate = %v, want %q", err, c.want)
			}
		})
	}
}
