package redact

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// TestHandlerLeavesNoTrace logs a conversation's e-mail, card number and
// Chinese ID in every way a caller might (message, string attribute, group,
// With, error, byte slice, integer) at debug and info, through the text and
// JSON handlers, and finds none of them in the output.
func TestHandlerLeavesNoTrace(t *testing.T) {
	const (
		email = "jane.doe@example.com"
		card  = "4111 1111 1111 1111"
		id    = "11010519491231002X"
	)
	secrets := []string{email, card, "4111111111111111", id, "1111 1111 1111"}
	r := all(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			opts := &slog.HandlerOptions{Level: slog.LevelDebug}
			var next slog.Handler = slog.NewTextHandler(&buf, opts)
			if format == "json" {
				next = slog.NewJSONHandler(&buf, opts)
			}
			log := slog.New(Handler(next, r)).With("customer", email)
			text := "my mail is " + email + ", card " + card + ", 身份证" + id
			log.Debug("inbound message: "+text, "text", text, "order", "AB123456")
			log.Info("reply", slog.Group("msg", slog.String("body", text), slog.Int("n", 1)))
			log.WithGroup("conv").Warn("send failed", "err", errors.New("send "+text+": 500"), "raw", []byte(text))
			log.Error("odd", "phone", 13812345678, "cardnum", int64(4111111111111111))
			out := buf.String()
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("log contains %q:\n%s", s, out)
				}
			}
			for _, want := range []string{"[email]", "[card ****1111]", "[id]", "[phone]", "AB123456", "inbound message", "send failed"} {
				if !strings.Contains(out, want) {
					t.Errorf("log lacks %q:\n%s", want, out)
				}
			}
			if n := strings.Count(out, "\n"); n != 4 {
				t.Errorf("%d lines logged, want 4:\n%s", n, out)
			}
		})
	}
}

func TestHandlerKeepsOtherValues(t *testing.T) {
	var buf bytes.Buffer
	h := Handler(slog.NewJSONHandler(&buf, nil), all(t))
	slog.New(h).Info("stats", "count", 42, "ok", true, "ids", []int{1, 2})
	if got := buf.String(); !strings.Contains(got, `"count":42`) || !strings.Contains(got, `"ok":true`) || !strings.Contains(got, `"ids":[1,2]`) {
		t.Errorf("values changed: %s", got)
	}
	if !h.Enabled(context.Background(), slog.LevelInfo) || h.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("Enabled does not follow the wrapped handler")
	}
	next := slog.NewTextHandler(&buf, nil)
	if Handler(next, nil) != slog.Handler(next) {
		t.Error("Handler with a nil Redactor should return next")
	}
}
