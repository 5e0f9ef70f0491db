package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaultsWithoutFile(t *testing.T) {
	t.Chdir(t.TempDir()) // no config.yaml here
	cfg, err := Load("", envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if cfg.Server.Addr != ":8080" || cfg.Store.Backend != "bolt" || cfg.Bot.Intents != "intents/" ||
		cfg.Handoff.AfterFallbacks != 2 || cfg.Handoff.IdleReturn != 30*time.Minute || !cfg.Web.Enabled ||
		cfg.Telegram.Mode != "webhook" || cfg.Store.DedupeTTL != 24*time.Hour {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
	if cfg.File != "" {
		t.Fatalf("File = %q, want empty", cfg.File)
	}
}

func TestFileAndEnvOverride(t *testing.T) {
	p := writeFile(t, "c.yaml", "server:\n  addr: \":9000\"\nslack:\n  enabled: true\n  bot_token: xoxb-file\n  signing_secret: fromfile\nhandoff:\n  idle_return: 10m\n")
	cfg, err := Load(p, envMap(map[string]string{
		"SWITCHBOARD_SLACK_SIGNING_SECRET":    "fromenv",
		"SWITCHBOARD_HANDOFF_AFTER_FALLBACKS": "5",
		"SWITCHBOARD_LOG_FORMAT":              "json",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != ":9000" {
		t.Errorf("addr = %q", cfg.Server.Addr)
	}
	if cfg.Slack.SigningSecret != "fromenv" {
		t.Errorf("env did not override file: %q", cfg.Slack.SigningSecret)
	}
	if cfg.Slack.BotToken != "xoxb-file" || cfg.Handoff.IdleReturn != 10*time.Minute {
		t.Errorf("file values lost: %+v", cfg.Slack)
	}
	if cfg.Handoff.AfterFallbacks != 5 || cfg.Log.Format != "json" {
		t.Errorf("env int/string override: %d %q", cfg.Handoff.AfterFallbacks, cfg.Log.Format)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if s := cfg.String(); strings.Contains(s, "fromenv") || strings.Contains(s, "xoxb-file") {
		t.Fatalf("String leaks a secret: %s", s)
	}
}

func TestSecretFile(t *testing.T) {
	secret := writeFile(t, "secret", "  s3cr3t\n")
	cfg, err := Load(writeFile(t, "c.yaml", "telegram:\n  enabled: true\n  token: \"123:abc\"\n"), envMap(map[string]string{
		"SWITCHBOARD_TELEGRAM_SECRET_TOKEN_FILE": secret,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Telegram.SecretToken != "s3cr3t" {
		t.Fatalf("secret from file = %q", cfg.Telegram.SecretToken)
	}
	// In the file too.
	cfg, err = Load(writeFile(t, "c.yaml", "wechat:\n  app_secret_file: "+secret+"\n"), envMap(nil))
	if err != nil || cfg.WeChat.AppSecret != "s3cr3t" {
		t.Fatalf("app_secret_file: %v %q", err, cfg.WeChat.AppSecret)
	}
	// Both set is ambiguous.
	_, err = Load(writeFile(t, "c.yaml", "wechat:\n  app_secret: x\n  app_secret_file: "+secret+"\n"), envMap(nil))
	if err == nil || !strings.Contains(err.Error(), "wechat.app_secret and wechat.app_secret_file are both set") {
		t.Fatalf("both set: %v", err)
	}
	// Missing file names the key.
	_, err = Load("", envMap(map[string]string{"SWITCHBOARD_SLACK_BOT_TOKEN_FILE": "/nonexistent/x"}))
	if err == nil || !strings.Contains(err.Error(), "slack.bot_token_file") {
		t.Fatalf("missing secret file: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name, yaml string
		env        map[string]string
		want       string // substring of the Load or Validate error
	}{
		{"unknown key", "slack:\n  singing_secret: x\n", nil, `unknown key "slack.singing_secret" (did you mean "slack.signing_secret"?)`},
		{"unknown section", "slak:\n  enabled: true\n", nil, `unknown section "slak" (did you mean "slack"?)`},
		// A duration without a unit used to be read as nanoseconds.
		{"duration without unit", "handoff:\n  idle_return: 30\n", nil, "handoff.idle_return: 30: missing unit, e.g. 30m"},
		{"duration without unit in env", "", map[string]string{"SWITCHBOARD_OUTBOX_MAX_BACKOFF": "300"}, "outbox.max_backoff: 300: missing unit"},
		{"duration as a float", "server:\n  shutdown_timeout: 1.5\n", nil, "server.shutdown_timeout: 1.5: missing unit"},
		// server.addr: 9000 passed check and then serve died.
		{"listen address without colon", "server:\n  addr: 9000\n", nil, `server.addr: "9000" is a port without a host part; write ":9000"`},
		{"listen address with a bad port", "server:\n  addr: \":99999\"\n", nil, "port 99999 is out of range"},
		{"listen address not host:port", "server:\n  addr: localhost\n", nil, `server.addr: "localhost": want host:port`},
		{"syntax", "server: [\n", nil, "c.yaml"},
		{"bad duration", "handoff:\n  idle_return: soon\n", nil, "idle_return"},
		{"slack without secret", "slack:\n  enabled: true\n  bot_token: x\n", nil, "slack.signing_secret: required when slack.enabled is true"},
		{"bad log level", "log:\n  level: loud\n", nil, "log.level: must be one of"},
		{"bad threshold", "bot:\n  confidence_threshold: 1.5\n", nil, "bot.confidence_threshold"},
		{"bad telegram mode", "", map[string]string{"SWITCHBOARD_TELEGRAM_MODE": "push"}, "telegram.mode"},
		{"bad aes key", "wechat:\n  encoding_aes_key: short\n", nil, "wechat.encoding_aes_key"},
		{"bad api url", "slack:\n  api_url: localhost:1234\n", nil, "slack.api_url: must be an http(s) URL"},
		{"nats not yet", "store:\n  backend: nats\n", nil, "store.backend"},
		{"relative public url", "server:\n  public_url: bot.example.com\n", nil, "server.public_url: must be an absolute http(s) URL"},
		{"negative idle warning", "handoff:\n  idle_warning: -5m\n", nil, "handoff.idle_warning: must not be negative"},
		{"negative edit window", "handoff:\n  edit_window: -1m\n", nil, "handoff.edit_window: must not be negative"},
		{"blank note prefix", "handoff:\n  note_prefix: \"  \"\n", nil, "handoff.note_prefix: must not be only spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ""
			if tt.yaml != "" {
				p = writeFile(t, "c.yaml", tt.yaml)
			} else {
				t.Chdir(t.TempDir())
			}
			cfg, err := Load(p, envMap(tt.env))
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("slack.signing_secret"); got != "SWITCHBOARD_SLACK_SIGNING_SECRET" {
		t.Fatal(got)
	}
	keys := Keys()
	found := false
	for _, k := range keys {
		if k == "telegram.secret_token_file" {
			found = true
		}
	}
	if !found {
		t.Fatal("secret _file twins missing from Keys()")
	}
}

func TestZeroDurationWithoutUnitAllowed(t *testing.T) {
	cfg, err := Load(writeFile(t, "c.yaml", "handoff:\n  idle_return: 0\n  unassigned_alert: \"0\"\n"), envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Handoff.IdleReturn != 0 || cfg.Handoff.UnassignedAlert != 0 {
		t.Fatalf("durations %s %s", cfg.Handoff.IdleReturn, cfg.Handoff.UnassignedAlert)
	}
}

func TestListenAddresses(t *testing.T) {
	for _, ok := range []string{":8080", "127.0.0.1:9000", "[::1]:80", "0.0.0.0:0", "localhost:http"} {
		if err := checkListenAddr(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"9000", "localhost", ":-1", "host:port-x", "a b:80", ":65536"} {
		if err := checkListenAddr(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{
		"SWITCHBOARD_SLACK_SINGING_SECRET=s3cr3t",
		"SWITCHBOARD_SLACK_SIGNING_SECRET=fine",
		"SWITCHBOARD_HANDOF_IDLE_RETURN=30m",
		"SWITCHBOARD_BOT_SAMPLE=1",
		"SWITCHBOARD_NONSENSE_ENTIRELY_DIFFERENT=x",
		"PATH=/usr/bin",
		"SWITCHBOARD_TELEGRAM_TOKEN_FILE=/run/secrets/tg",
	})
	want := []string{
		"SWITCHBOARD_HANDOF_IDLE_RETURN is not a configuration key (did you mean SWITCHBOARD_HANDOFF_IDLE_RETURN?); it is ignored",
		"SWITCHBOARD_NONSENSE_ENTIRELY_DIFFERENT is not a configuration key; it is ignored",
		"SWITCHBOARD_SLACK_SINGING_SECRET is not a configuration key (did you mean SWITCHBOARD_SLACK_SIGNING_SECRET?); it is ignored",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, w := range got {
		if strings.Contains(w, "s3cr3t") {
			t.Fatal("a value leaked into a warning")
		}
	}
}

func TestDurationKeysCoverEveryDuration(t *testing.T) {
	keys := durationKeys()
	for _, want := range []string{"handoff.idle_return", "server.shutdown_timeout", "outbox.base_backoff", "store.dedupe_ttl"} {
		if !slices.Contains(keys, want) {
			t.Errorf("durationKeys() = %v, missing %s", keys, want)
		}
	}
}
