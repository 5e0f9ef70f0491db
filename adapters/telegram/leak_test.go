package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	faketg "github.com/switchboard-gw/switchboard/internal/fakes/telegram"
)

// chainText is the text of err and of every error it wraps, as %v, %+v
// and %#v would show them to a logger.
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

// TestTokenNeverLeaks forces every kind of failure the adapter can meet and
// checks that neither the bot token (nor its secret half) nor the webhook
// secret appears in any returned error, wrapped error or log line, even at
// debug level.
func TestTokenNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var errs []error
	ctx := t.Context()

	// The API rejects the token; the API is unreachable; the config is bad.
	other := faketg.Start("999:OTHER")
	_, err := New(ctx, Config{Token: testToken, SecretToken: testSecret, APIURL: other.URL}, nil, logger)
	errs = append(errs, err)
	other.Close()
	_, err = New(ctx, Config{Token: testToken, SecretToken: testSecret, APIURL: other.URL}, nil, logger)
	errs = append(errs, err)
	errs = append(errs, Config{Token: testToken + "/x", Mode: "push"}.Validate())

	// A working adapter whose API then fails in every way.
	h := &stubHandler{}
	fake := faketg.Start(testToken)
	a, err := New(ctx, Config{Token: testToken, SecretToken: testSecret, APIURL: fake.URL, Mode: ModePolling,
		PollTimeout: time.Second, HTTPTimeout: 2 * time.Second}, h, logger)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []faketg.Failure{{Status: 429, RetryAfter: 3}, {Status: 403}, {Status: 500},
		{Status: 502, RawBody: "<html>bad gateway</html>"}} {
		fake.Fail("sendMessage", 1, f)
		errs = append(errs, a.Send(ctx, reply("l.r0", "hello")))
	}
	fake.Fail("answerCallbackQuery", 1, faketg.Failure{Status: 400})
	a.answerCallback(ctx, "cb")
	fake.Fail("getUpdates", 2, faketg.Failure{Status: 502, RawBody: "oops"})
	fake.Fail("getUpdates", 1, faketg.Failure{Status: 409})
	runCtx, cancel := context.WithTimeout(ctx, 3*time.Second)
	_ = a.Run(runCtx)
	cancel()
	fake.Fail("getUpdates", 1, faketg.Failure{Status: 401})
	errs = append(errs, a.Run(ctx))

	// Now the API is gone: transport errors quote the URL.
	fake.Close()
	errs = append(errs, a.Send(ctx, reply("l.r1", "hello")))
	errs = append(errs, a.SetWebhook(ctx, "https://example.test/hook"))
	errs = append(errs, a.DeleteWebhook(ctx))
	a.answerCallback(ctx, "cb")
	runCtx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
	_ = a.Run(runCtx)
	cancel()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	errs = append(errs, a.Send(cancelled, reply("l.r2", "hello")))

	// Forged webhook requests are logged without the secrets.
	whFake := faketg.Start(testToken)
	defer whFake.Close()
	wh, err := New(ctx, Config{Token: testToken, SecretToken: testSecret, APIURL: whFake.URL}, h, logger)
	if err == nil {
		post(t, wh, testSecret[:5], []byte(`{}`))
		post(t, wh, testSecret, []byte(`{"update_id":"`+testToken+`"}`))
	}

	var all strings.Builder
	failures := 0
	for _, e := range errs {
		if e != nil {
			failures++
		}
		all.WriteString(chainText(e))
	}
	if failures < 12 {
		t.Fatalf("only %d of %d scenarios failed; the test does not exercise what it claims", failures, len(errs))
	}
	all.WriteString(logs.String())
	_, secretHalf, _ := strings.Cut(testToken, ":")
	for _, secret := range []string{testToken, secretHalf, testSecret} {
		if i := strings.Index(all.String(), secret); i >= 0 {
			t.Fatalf("secret %q leaked: …%s…", secret, all.String()[max(0, i-200):min(all.Len(), i+100)])
		}
	}
	if !strings.Contains(all.String(), redacted) {
		t.Error("no redacted URL seen: transport errors were not exercised")
	}
	var se *core.SendError
	if !errors.As(errs[len(errs)-1], &se) || !errors.Is(se, context.Canceled) {
		t.Errorf("redaction lost the cause: %v", errs[len(errs)-1])
	}
}
