package discord

import (
	"context"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	fakedc "github.com/switchboard-gw/switchboard/internal/fakes/discord"
)

// runGateway runs the adapter's gateway client until the test ends.
func runGateway(t *testing.T, e *env) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	waitFor(t, 5*time.Second, "the gateway connection", func() bool { return e.fake.Gateway().Connections == 1 })
}

// A DM over the gateway is answered once through the real engine and
// outbox, also when Discord replays it after a resume; a message sent
// while the connection was down arrives on resume and is answered.
func TestGatewayAnswersOnceAcrossResume(t *testing.T) {
	h := newHarness(t)
	e := newEnv(t, h.Engine)
	h.Start(t, e.a)
	runGateway(t, e)
	want := discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent
	if got := e.fake.Gateway().Intents; got != int(want) {
		t.Fatalf("intents %d, want %d", got, want)
	}
	ask := fakedc.MessageCreate(fakedc.MessageSpec{ID: "1257300000000000001", ChannelID: dm.ChannelID,
		Author: customer, Content: "what are your opening hours"})
	e.fake.Dispatch("MESSAGE_CREATE", ask)
	e.fake.Dispatch("MESSAGE_CREATE", ask) // a replay
	// The bot's own answer comes back over the gateway too; it is ignored.
	e.fake.Dispatch("MESSAGE_CREATE", fakedc.MessageCreate(fakedc.MessageSpec{ID: "1257300000000000002",
		ChannelID: dm.ChannelID, Author: e.fake.Bot(), Content: openingHours}))
	waitFor(t, 5*time.Second, "the answer", func() bool { return len(e.fake.Sent()) >= 1 })

	e.fake.DropConnections()
	e.fake.Dispatch("MESSAGE_CREATE", fakedc.MessageCreate(fakedc.MessageSpec{ID: "1257300000000000003",
		ChannelID: guild.ChannelID, GuildID: guild.GuildID, Author: customer, Nick: "Ana",
		Content: "<@" + testBotID + "> what are your opening hours", Mentions: []fakedc.User{e.fake.Bot()}}))
	waitFor(t, 10*time.Second, "the resume", func() bool { return e.fake.Gateway().Resumes >= 1 })
	waitFor(t, 5*time.Second, "the second answer", func() bool { return len(e.fake.Sent()) >= 2 })
	time.Sleep(200 * time.Millisecond)

	sent := e.fake.Sent()
	if len(sent) != 2 {
		t.Fatalf("sent %d, want 2: %+v", len(sent), sent)
	}
	if s := sent[0]; s.Kind != "channel" || s.ChannelID != dm.ChannelID || s.Content != openingHours ||
		len(s.Nonce) != 25 || s.ReplyTo != "" {
		t.Errorf("DM answer %+v", s)
	}
	if s := sent[1]; s.ChannelID != guild.ChannelID || s.Content != openingHours || s.ReplyTo != "1257300000000000003" {
		t.Errorf("guild answer %+v", s)
	}
	if g := e.fake.Gateway(); g.Identifies != 1 {
		t.Errorf("identified %d times, want 1 (then resume)", g.Identifies)
	}
}

func TestGatewayRetriesFirstConnection(t *testing.T) {
	h := &stubHandler{}
	e := newEnv(t, h)
	e.fake.Fail(fakedc.RouteGateway, 1, fakedc.Failure{Status: 502})
	runGateway(t, e)
	if e.fake.Calls(fakedc.RouteGateway) < 2 {
		t.Fatalf("gateway calls %d", e.fake.Calls(fakedc.RouteGateway))
	}
	e.fake.Dispatch("MESSAGE_CREATE", fakedc.MessageCreate(fakedc.MessageSpec{ID: "1257300000000000009",
		ChannelID: testChannel, GuildID: guild.GuildID, Author: customer, Content: "hello"}))
	waitFor(t, 5*time.Second, "the message", func() bool { return len(h.Messages()) == 1 })
}
