package slack

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	slackfake "github.com/switchboard-gw/switchboard/internal/fakes/slack"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// TestSecretsNeverLeak drives every failure path that logs or returns an
// error, with debug logging on, and checks that neither the bot token, the
// app-level token nor the signing secret appears in any of them.
func TestSecretsNeverLeak(t *testing.T) {
	const appToken = "xapp-1-A0-123-SeCrEtApPtOkEn"
	secrets := []string{testToken, testSecret, appToken, "SeCrEt"}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	// Invalid configurations, and a token Slack refuses.
	keep(Config{BotToken: "xapp-" + testToken, SigningSecret: testSecret}.Validate())
	keep(Config{BotToken: testToken, Mode: ModeSocket, AppToken: testToken}.Validate())
	fake := slackfake.New(slackfake.Options{Token: testToken, AppToken: appToken})
	defer fake.Close()
	st, err := bolt.Open(context.Background(), dbPath(t), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = New(context.Background(), Config{BotToken: testToken + "x", SigningSecret: testSecret, APIURL: fake.APIURL()}, &stubEngine{}, st, logger)
	if err == nil || !strings.Contains(err.Error(), "invalid_auth") {
		t.Fatalf("New with a wrong token = %v", err)
	}
	keep(err)
	_, err = New(context.Background(), Config{BotToken: testToken, SigningSecret: testSecret, APIURL: "http://127.0.0.1:1/"}, &stubEngine{}, st, logger)
	keep(err)

	// A socket mode connection with an app token Slack refuses.
	sock, err := New(context.Background(), Config{BotToken: testToken, Mode: ModeSocket, AppToken: "xapp-1-" + testSecret, APIURL: fake.APIURL()}, &stubEngine{}, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	keep(sock.Run(ctx))

	// Refused requests, engine failures and failed sends.
	eng := &stubEngine{fail: true}
	a, err := New(context.Background(), Config{BotToken: testToken, SigningSecret: testSecret, SupportChannel: testSupport,
		APIURL: fake.APIURL()}, eng, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	a.Register(mux)
	body := slackfake.MessageEvent(slackfake.Envelope{EventID: "EvLeak"}, slackfake.Msg{Channel: "D1", ChannelType: "im", User: "U_NOBODY", Text: "hi", TS: "1.0"})
	for _, secret := range []string{"wrong", testSecret} {
		req, _ := slackfake.NewRequest("/webhooks/slack", secret, time.Now(), body)
		newRecorder(mux, req)
	}
	req, _ := slackfake.NewRequest("/webhooks/slack", testSecret, time.Now().Add(-time.Hour), body)
	newRecorder(mux, req)
	reply := core.Reply{ID: "r", Key: core.ConversationKey{Platform: "slack", Chat: "D1", User: "U1"}, Text: "hi"}
	fake.RateLimit("chat.postMessage", time.Second, 1)
	fake.Fail("chat.postMessage", "invalid_auth", 1)
	fake.ServerError("chat.postMessage", 502, 1)
	for range 3 {
		keep(a.Send(context.Background(), reply))
	}
	keep(a.Send(context.Background(), core.Reply{ID: "n", Key: core.ConversationKey{Platform: "slack", Chat: testSupport, User: "case:x"},
		Kind: core.ReplyNote, About: core.ConversationKey{Platform: "web", Chat: "w", User: "w"}, Text: "note"}))
	fake.Close()
	keep(a.Send(context.Background(), reply))
	if len(errs) < 8 {
		t.Fatalf("only %d errors were provoked", len(errs))
	}
	if !strings.Contains(logs.String(), "request refused") || !strings.Contains(logs.String(), "Slack will retry") {
		t.Fatalf("the failure paths did not log:\n%s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs.String(), s) {
			t.Errorf("a secret (%.8s…) is in the logs:\n%s", s, logs)
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), s) {
				t.Errorf("a secret (%.8s…) is in an error: %v", s, err)
			}
		}
	}
}
