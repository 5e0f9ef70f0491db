package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// There is no Docker engine where the tests run (and hadolint is neither a
// Debian package nor a Go module), so the Dockerfile is checked statically
// for the rules the README promises; the pieces it runs (healthcheck,
// the bot directory rule) are tested as commands below.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	// Join continuation lines into instructions.
	var instr []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || line == "" && cur.Len() == 0 {
			continue
		}
		cont := strings.HasSuffix(line, "\\")
		cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
		if !cont {
			instr = append(instr, strings.Join(strings.Fields(cur.String()), " "))
			cur.Reset()
		}
	}
	find := func(prefix string) []string {
		var out []string
		for _, in := range instr {
			if strings.HasPrefix(in, prefix) {
				out = append(out, in)
			}
		}
		return out
	}
	hc := find("HEALTHCHECK")
	if len(hc) != 1 || strings.Contains(hc[0], "8080") || !strings.Contains(hc[0], `"healthcheck", "--config", "/etc/switchboard/config.yaml"`) {
		t.Errorf("HEALTHCHECK must follow server.addr, not a fixed port: %q", hc)
	}
	env := strings.Join(find("ENV"), " ")
	if !strings.Contains(env, "SWITCHBOARD_BOT_INTENTS=/etc/switchboard/bot") || strings.Contains(env, "SWITCHBOARD_BOT_SAMPLE") {
		t.Errorf("ENV %q: the bot directory must be /etc/switchboard/bot and the sample not allowed by default", env)
	}
	if v := find("VOLUME"); len(v) != 1 || v[0] != "VOLUME /data" {
		t.Errorf("VOLUME %q", v)
	}
	for _, f := range strings.Fields(env) {
		if v, ok := strings.CutPrefix(f, "SWITCHBOARD_BOT_INTENTS="); ok && strings.HasPrefix(v, "/data") {
			t.Errorf("the bot directory %s is inside the /data volume", v)
		}
	}
	for _, in := range find("COPY") {
		if strings.Contains(in, "intents") {
			t.Errorf("the sample bot is baked into the image: %q", in)
		}
	}
	if u := find("USER"); len(u) != 1 || strings.HasPrefix(u[0], "USER root") {
		t.Errorf("USER %q: run as non-root", u)
	}
	ignore, err := os.ReadFile(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git", "data/", "*.db"} {
		if !strings.Contains("\n"+string(ignore)+"\n", "\n"+want+"\n") {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		":9000":          "http://127.0.0.1:9000/healthz",
		"0.0.0.0:9000":   "http://127.0.0.1:9000/healthz",
		"[::]:9000":      "http://[::1]:9000/healthz",
		"10.1.2.3:80":    "http://10.1.2.3:80/healthz",
		"localhost:8081": "http://localhost:8081/healthz",
	} {
		if got, err := healthURL(addr); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

// The health check probes the port in server.addr (it used to probe 8080
// whatever the gateway listened on).
func TestHealthcheckFollowsServerAddr(t *testing.T) {
	cfg := testConfig(t)
	base, _ := startServe(t, cfg)
	addr := strings.TrimPrefix(base, "http://")
	_, port, _ := strings.Cut(addr, ":")
	run := func(env map[string]string, args ...string) error {
		for k, v := range env {
			t.Setenv(k, v)
		}
		cmd := newRootCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"healthcheck"}, args...))
		return cmd.ExecuteContext(context.Background())
	}
	cfgFile := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(cfgFile, []byte("server:\n  addr: \":"+port+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := run(nil, "--config", cfgFile); err != nil {
		t.Errorf("healthcheck with server.addr :%s: %v", port, err)
	}
	if err := run(map[string]string{"SWITCHBOARD_SERVER_ADDR": "127.0.0.1:" + port}, "--config", "config.yaml"); err != nil {
		t.Errorf("healthcheck with SWITCHBOARD_SERVER_ADDR: %v", err)
	}
	if err := run(map[string]string{"SWITCHBOARD_HEALTH_URL": base + "/healthz"}); err != nil {
		t.Errorf("healthcheck with SWITCHBOARD_HEALTH_URL: %v", err)
	}
}

// A bot directory that does not exist is an error (the Docker image's
// /etc/switchboard/bot when nothing was mounted), unless
// SWITCHBOARD_BOT_SAMPLE=1 allows the sample shop bot.
func TestMissingBotDirNeedsSampleOptIn(t *testing.T) {
	cfg := testConfig(t)
	cfg.Bot.Intents = filepath.Join(t.TempDir(), "etc", "switchboard", "bot")
	log := testLogger()
	t.Setenv(sampleBotEnv, "")
	if _, _, err := loadBot(cfg, log); err == nil || !strings.Contains(err.Error(), "SWITCHBOARD_BOT_SAMPLE=1") ||
		!strings.Contains(err.Error(), cfg.Bot.Intents) {
		t.Fatalf("loadBot without a bot = %v", err)
	}
	t.Setenv(sampleBotEnv, "1")
	bot, from, err := loadBot(cfg, log)
	if err != nil || from != "embedded sample bot" || len(bot.Intents) == 0 {
		t.Fatalf("loadBot with %s=1 = %v, %q", sampleBotEnv, err, from)
	}
	// serve refuses to start without it.
	t.Setenv(sampleBotEnv, "")
	if err := serve(context.Background(), cfg, log, nil); err == nil || !strings.Contains(err.Error(), sampleBotEnv) {
		t.Fatalf("serve without a bot = %v", err)
	}
}
