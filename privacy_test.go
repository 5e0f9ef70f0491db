package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/internal/config"
)

// TestLoggerRedacts logs, at debug and info, in both formats, what a
// customer's message with an e-mail, a card number and a Chinese ID looks
// like to the engine and the adapters, and finds none of them in the log.
func TestLoggerRedacts(t *testing.T) {
	const (
		email = "li.wei@example.cn"
		card  = "4111 1111 1111 1111"
		id    = "11010519491231002X"
	)
	text := "邮箱 " + email + " 卡号 " + card + " 身份证 " + id
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Chdir(t.TempDir()) // defaults, no config.yaml
			cfg, err := config.Load("", func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			cfg.Log.Level, cfg.Log.Format = "debug", format
			var buf bytes.Buffer
			log := newLogger(cfg, &buf).With("platform", "web", "user", email)
			log.Debug("inbound", "text", text)
			log.Info("message: " + text)
			log.Warn("send failed", "err", errors.New("reply to "+email+": 502"))
			out := buf.String()
			for _, s := range []string{email, card, "4111111111111111", id} {
				if strings.Contains(out, s) {
					t.Errorf("the log contains %q:\n%s", s, out)
				}
			}
			if !strings.Contains(out, "[card ****1111]") || !strings.Contains(out, "[id]") || !strings.Contains(out, "[email]") {
				t.Errorf("masks missing:\n%s", out)
			}
		})
	}
	t.Run("privacy.redact empty logs as is", func(t *testing.T) {
		var buf bytes.Buffer
		cfg := &config.Config{Log: config.Log{Level: "info", Format: "text"}}
		newLogger(cfg, &buf).Info("message: " + text)
		if !strings.Contains(buf.String(), email) {
			t.Errorf("redacted although privacy.redact is empty:\n%s", buf.String())
		}
	})
}

func TestCheckPrivacyPatterns(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfgFile, []byte("privacy:\n  redact_patterns: ['(?i)vip-[0-9]{4}', '[unclosed']\n  redact: [email, cards]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runCheck(t, "--config", cfgFile)
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	for _, want := range []string{
		cfgFile + ": privacy.redact_patterns: pattern 2: invalid regular expression \"[unclosed\"",
		cfgFile + ": privacy.redact: unknown kind \"cards\"",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
