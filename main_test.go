package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/config"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// testConfig is the default configuration with the database in a temp dir
// and the repository's sample bot.
func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("config.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Path = filepath.Join(t.TempDir(), "sb.db")
	cfg.Server.Addr = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestChatThroughPipe(t *testing.T) {
	cfg := testConfig(t)
	in := strings.NewReader("what are your opening hours\n\n你们几点开门\n")
	var out bytes.Buffer
	log := slog.New(slog.DiscardHandler)
	if err := chat(context.Background(), cfg, log, "tester", in, &out, false, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two replies, got:\n%s", out.String())
	}
	if !strings.HasPrefix(lines[0], "bot> ") || !strings.Contains(lines[0], "open") {
		t.Errorf("English opening hours answer missing: %q", lines[0])
	}
	if !strings.Contains(lines[1], "营业") {
		t.Errorf("Chinese opening hours answer missing: %q", lines[1])
	}
	// Without a support desk (no Slack), asking for a person gets the
	// owner's "unavailable" text, not a promise that someone will answer.
	out.Reset()
	if err := chat(context.Background(), cfg, log, "tester2", strings.NewReader("I want to talk to a person\n"), &out, false, false); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "help@example-shop.com") || strings.Contains(got, "passing you") {
		t.Fatalf("handoff without a desk: %q", got)
	}
	// The conversation is remembered: a second chat on the same store and
	// user continues it (same engine and store as serve).
	out.Reset()
	if err := chat(context.Background(), cfg, log, "tester", strings.NewReader("thanks\n"), &out, false, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "bot> ") {
		t.Fatalf("second session: %q", out.String())
	}
}

func runCheck(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append([]string{"check"}, args...))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func TestCheck(t *testing.T) {
	t.Run("repository config and sample bot", func(t *testing.T) {
		out, errOut, err := runCheck(t, "--config", "config.yaml")
		if err != nil {
			t.Fatalf("check failed: %v\n%s", err, errOut)
		}
		if !strings.Contains(out, "config: config.yaml: ok") || !strings.Contains(out, "bot: intents/: ok") {
			t.Fatalf("unexpected output:\n%s", out)
		}
	})
	t.Run("broken intents file prints file:line and exits 1", func(t *testing.T) {
		dir := t.TempDir()
		bot := filepath.Join(dir, "bot.yaml")
		os.WriteFile(bot, []byte("intents:\n  - name: hello\n    examples:\n      en: [hi]\n    responses:\n      en: [\"Hello!\"]\n  - name: hello\n    examples:\n      en: [hey]\n    responses:\n      en: [\"{{.Broken\"]\n"), 0o600)
		cfgFile := filepath.Join(dir, "c.yaml")
		os.WriteFile(cfgFile, []byte("bot:\n  intents: "+dir+"\n"), 0o600)
		_, errOut, err := runCheck(t, "--config", cfgFile)
		var ee exitError
		if !errors.As(err, &ee) || ee.code != 1 {
			t.Fatalf("err = %v, want exit 1", err)
		}
		if !strings.Contains(errOut, bot+":7:") {
			t.Fatalf("no file:line for the duplicate intent:\n%s", errOut)
		}
		if !strings.Contains(errOut, bot+":11:") {
			t.Fatalf("no file:line for the broken template:\n%s", errOut)
		}
	})
	// server.addr: 9000 used to pass check, then serve died on net.Listen.
	t.Run("listen address without a colon", func(t *testing.T) {
		cfgFile := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(cfgFile, []byte("server:\n  addr: 9000\n"), 0o600)
		_, errOut, err := runCheck(t, "--config", cfgFile)
		if err == nil || !strings.Contains(errOut, `server.addr: "9000" is a port without a host part; write ":9000"`) {
			t.Fatalf("err = %v, stderr:\n%s", err, errOut)
		}
	})
	t.Run("misspelled environment variable is a warning naming the key", func(t *testing.T) {
		t.Setenv("SWITCHBOARD_HANDOFF_IDLE_RETRUN", "10m")
		_, errOut, err := runCheck(t, "--config", "config.yaml")
		if err != nil {
			t.Fatalf("a warning failed check: %v\n%s", err, errOut)
		}
		if !strings.Contains(errOut, "warning: SWITCHBOARD_HANDOFF_IDLE_RETRUN is not a configuration key (did you mean SWITCHBOARD_HANDOFF_IDLE_RETURN?)") {
			t.Fatalf("stderr:\n%s", errOut)
		}
	})
	t.Run("bad config key exits 1 naming the key", func(t *testing.T) {
		cfgFile := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(cfgFile, []byte("log:\n  level: loud\n"), 0o600)
		_, errOut, err := runCheck(t, "--config", cfgFile)
		if err == nil || !strings.Contains(errOut, "log.level") {
			t.Fatalf("err = %v, stderr:\n%s", err, errOut)
		}
	})
}

// TestServe runs the whole gateway on a free port: the web chat answers, the
// health, readiness and metrics endpoints work, the admin API is protected,
// and a cancelled context shuts it down cleanly.
func TestServe(t *testing.T) {
	cfg := testConfig(t)
	cfg.Server.AdminToken = "admin-secret-0123456789abcdefghij"
	base, stop := startServe(t, cfg)

	do := func(method, path, token, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if code, _ := do("GET", "/healthz", "", ""); code != 200 {
		t.Fatalf("/healthz = %d", code)
	}
	if code, body := do("GET", "/readyz", "", ""); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("/readyz = %d %s", code, body)
	}
	code, body := do("POST", "/api/web/session", "", "")
	if code != 201 {
		t.Fatalf("session = %d %s", code, body)
	}
	var sess struct{ Token string }
	json.Unmarshal([]byte(body), &sess)
	if code, body := do("POST", "/api/web/messages", sess.Token, `{"text":"how much is shipping","client_id":"c1"}`); code != 202 {
		t.Fatalf("post = %d %s", code, body)
	}
	var answer string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && answer == ""; time.Sleep(20 * time.Millisecond) {
		_, body := do("GET", "/api/web/messages", sess.Token, "")
		var got struct {
			Messages []struct{ From, Text string }
		}
		json.Unmarshal([]byte(body), &got)
		for _, m := range got.Messages {
			if m.From == "bot" {
				answer = m.Text
			}
		}
	}
	if !strings.Contains(strings.ToLower(answer), "shipping") {
		t.Fatalf("bot answer = %q, want the shipping FAQ", answer)
	}
	_, metrics := do("GET", "/metrics", "", "")
	for _, want := range []string{`switchboard_messages_in_total{platform="web"} 1`, `switchboard_messages_out_total{platform="web"} 1`, "switchboard_outbox_depth 0", "switchboard_handle_seconds_bucket"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := do("GET", "/admin/deadletters", "", ""); code != 401 {
		t.Errorf("admin without token = %d, want 401", code)
	}
	if code, body := do("GET", "/admin/deadletters", "admin-secret-0123456789abcdefghij", ""); code != 200 || !strings.Contains(body, `"dead_letters":[]`) {
		t.Errorf("admin dead letters = %d %s", code, body)
	}

	// Online backup: a consistent copy that opens and holds the conversation.
	code, backup := do("GET", "/admin/backup", "admin-secret-0123456789abcdefghij", "")
	if code != 200 || len(backup) < 4096 {
		t.Fatalf("/admin/backup = %d, %d bytes", code, len(backup))
	}
	bfile := filepath.Join(t.TempDir(), "backup.db")
	os.WriteFile(bfile, []byte(backup), 0o600)
	bst, err := bolt.Open(context.Background(), bfile, bolt.Options{})
	if err != nil {
		t.Fatalf("backup does not open: %v", err)
	}
	counters, _ := bst.Counters(context.Background())
	bst.Close()
	if counters["messages/web"] != 1 {
		t.Fatalf("backup counters = %v", counters)
	}

	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

func TestBackupAndCompactCommands(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "c.yaml")
	db := filepath.Join(dir, "sb.db")
	os.WriteFile(cfgFile, []byte("store:\n  path: "+db+"\n"), 0o600)
	run := func(args ...string) (string, error) {
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append(args, "--config", cfgFile))
		err := cmd.ExecuteContext(context.Background())
		return out.String(), err
	}
	if _, err := run("backup", "--out", filepath.Join(dir, "b.db")); err == nil || !strings.Contains(err.Error(), "no database at") {
		t.Fatalf("backup of a missing database: %v", err)
	}
	cfg := testConfig(t)
	cfg.Store.Path = db
	if err := chat(context.Background(), cfg, slog.New(slog.DiscardHandler), "u", strings.NewReader("hello\n"), io.Discard, false, false); err != nil {
		t.Fatal(err)
	}
	if out, err := run("backup", "--out", filepath.Join(dir, "b.db")); err != nil || !strings.Contains(out, "backup: wrote") {
		t.Fatalf("backup: %v %s", err, out)
	}
	if out, err := run("compact", "--out", filepath.Join(dir, "c.db")); err != nil || !strings.Contains(out, "compact:") {
		t.Fatalf("compact: %v %s", err, out)
	}
	if _, err := run("compact", "--out", filepath.Join(dir, "c.db")); err == nil {
		t.Fatal("compact overwrote an existing file")
	}
	for _, f := range []string{"b.db", "c.db"} {
		st, err := bolt.Open(context.Background(), filepath.Join(dir, f), bolt.Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c, _ := st.Counters(context.Background())
		st.Close()
		if c["messages/terminal"] != 1 {
			t.Fatalf("%s counters = %v", f, c)
		}
	}
}
