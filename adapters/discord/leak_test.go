package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	fakedc "github.com/switchboard-gw/switchboard/internal/fakes/discord"
)

// chainText is the text of err and of every error it wraps, as %v, %+v
// and %#v would show them.
func chainText(err error) string {
	var b strings.Builder
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		fmt.Fprintf(&b, "%v\n%+v\n%#v\n", e, e, e)
		switch x := e.(type) {
		case interface{ Unwrap() error }:
			walk(x.Unwrap())
		case interface{ Unwrap() []error }:
			for _, c := range x.Unwrap() {
				walk(c)
			}
		}
	}
	walk(err)
	return b.String()
}

// TestSecretsNeverLeak forces the failures the adapter can meet and checks
// that neither the bot token nor an interaction token appears in any
// returned error (or what it wraps), in the adapter's logs at debug level,
// or in discordgo's own log output. Not parallel: it captures the standard
// logger that discordgo writes to.
func TestSecretsNeverLeak(t *testing.T) {
	var sdkLogs bytes.Buffer
	prevOut, prevFlags := log.Writer(), log.Flags()
	log.SetOutput(&sdkLogs)
	t.Cleanup(func() { log.SetOutput(prevOut); log.SetFlags(prevFlags) })

	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := t.Context()
	var errs []error
	signer := fakedc.NewSigner()
	cfg := func(apiURL string) Config {
		return Config{Token: testToken, PublicKey: signer.PublicKeyHex(), ApplicationID: testApp, APIURL: apiURL,
			HTTPTimeout: 2 * time.Second}
	}

	other := fakedc.Start("other-token", testApp)
	_, err := New(ctx, cfg(other.URL), nil, logger)
	errs = append(errs, err)
	other.Close()
	_, err = New(ctx, cfg(other.URL), nil, logger)
	errs = append(errs, err)
	errs = append(errs, Config{Token: testToken + " x", PublicKey: "zz", ApplicationID: "app"}.Validate())

	fake := fakedc.Start(testToken, testApp)
	a, err := New(ctx, cfg(fake.URL), &stubHandler{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	it := fake.Ask(dm, customer, "hi") // issued, never acknowledged
	followup := core.Reply{ID: it.ID + ".r0", Key: core.ConversationKey{Platform: Platform, Chat: dm.ChannelID, User: customer.ID},
		Text: "answer", ReplyTo: interactionTokenPrefix + it.Token, Created: time.Now()}
	errs = append(errs, a.Send(ctx, followup)) // not acknowledged: 404 Unknown Webhook
	for _, f := range []fakedc.Failure{{Status: 429, RetryAfter: 0.2}, {Status: 500}} {
		fake.Fail(fakedc.RouteFollowup, 1, f)
		errs = append(errs, a.Send(ctx, followup))
	}
	for _, f := range []fakedc.Failure{{Status: 429, RetryAfter: 0.2, Global: true}, {Status: 403, Code: 50001},
		{Status: 401}, {Status: 502}} {
		fake.Fail(fakedc.RouteMessages, 1, f)
		errs = append(errs, a.Send(ctx, channelReply("l.r0", "hello")))
	}
	fake.Fail(fakedc.RouteCommands, 1, fakedc.Failure{Status: 400, Code: 50035})
	errs = append(errs, a.RegisterCommands(ctx))

	// Forged and malformed interactions are logged without secrets.
	mux := http.NewServeMux()
	a.Register(mux)
	for _, body := range [][]byte{[]byte(`{"type":2,"token":"` + it.Token + `"}`), it.Body} {
		req, _ := signer.NewRequest(ctx, InteractionsPath, body, time.Now().Add(-time.Hour))
		mux.ServeHTTP(httptest.NewRecorder(), req)
		req, _ = signer.NewRequest(ctx, InteractionsPath, body, time.Now())
		mux.ServeHTTP(httptest.NewRecorder(), req)
	}

	// The API goes away: transport errors quote URLs (with the interaction token).
	fake.Close()
	time.Sleep(100 * time.Millisecond) // tiny sleep so the closed listener refuses
	errs = append(errs, a.Send(ctx, followup))
	errs = append(errs, a.Send(ctx, channelReply("l.r1", "hello")))
	errs = append(errs, a.RegisterCommands(ctx))
	runCtx, cancel := context.WithTimeout(ctx, 800*time.Millisecond)
	errs = append(errs, a.Run(runCtx))
	cancel()

	var all strings.Builder
	failures := 0
	for _, e := range errs {
		if e != nil {
			failures++
		}
		all.WriteString(chainText(e))
	}
	if failures < 13 {
		t.Fatalf("only %d of %d scenarios failed; the test does not exercise what it claims", failures, len(errs))
	}
	all.WriteString(logs.String())
	all.WriteString(sdkLogs.String())
	for _, secret := range []string{testToken, it.Token} {
		if i := strings.Index(all.String(), secret); i >= 0 {
			t.Fatalf("secret leaked: …%s…", all.String()[max(0, i-200):min(all.Len(), i+80)])
		}
	}
	if !strings.Contains(all.String(), redacted) {
		t.Error("no redacted follow-up URL seen: transport errors on follow-ups were not exercised")
	}
	var se *core.SendError
	if !errors.As(errs[4], &se) || se.RetryAfter != 200*time.Millisecond {
		t.Errorf("follow-up 429 lost its retry_after: %v", errs[4])
	}
}
