package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-gw/switchboard/internal/bench"
	"github.com/switchboard-gw/switchboard/internal/config"
)

// runBench runs `switchboard bench` with args and --json and returns the
// report and the command's error (exit status 1 when the report has
// problems).
func runBench(t *testing.T, args ...string) (*bench.Report, error) {
	t.Helper()
	cmd := newBenchCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs(append(args, "--json", "--dir", t.TempDir()))
	err := cmd.Execute()
	var rep bench.Report
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("bench %v: %v; output %q, stderr %q", args, errors.Join(err, jerr), out.String(), errOut.String())
	}
	if errOut.Len() > 0 {
		t.Logf("bench stderr:\n%s", errOut.String())
	}
	return &rep, err
}

// small is a bench of every platform that takes a few seconds.
var small = []string{"--messages", "200", "--connections", "16", "--web-sessions", "16", "--grace", "3s"}

// TestBenchAllPlatforms runs a small bench of every platform through the
// real serve: every message is acknowledged and answered exactly once,
// every forged or malformed request is refused, and the gateway's debug
// log holds no secret.
func TestBenchAllPlatforms(t *testing.T) {
	rep, err := runBench(t, append(small, "--log-level", "debug")...)
	if err != nil {
		t.Errorf("bench failed: %v (problems: %q)", err, rep.Problems())
	}
	if len(rep.Rows) != len(bench.AllPlatforms)+1 {
		t.Fatalf("rows %+v, want one per platform and the total", rep.Rows)
	}
	for _, r := range rep.Rows {
		if r.Acked == 0 || r.Answered == 0 || r.Lost != 0 || r.Duplicated != 0 || r.Errors != 0 {
			t.Errorf("%s: %+v; want messages acknowledged and answered, none lost, duplicated or failed", r.Platform, r)
		}
	}
	if tot := rep.Rows[len(rep.Rows)-1]; tot.Sent != 200 || tot.Acked != 200 || tot.PerSec <= 0 || tot.ReplyP50 <= 0 {
		t.Errorf("total %+v: want 200 messages sent and acknowledged, a rate and a reply latency", tot)
	}
	if rep.Unmatched != 0 || rep.OutboxLeft != 0 {
		t.Errorf("unmatched replies %d, outbox left %d; want 0 and 0", rep.Unmatched, rep.OutboxLeft)
	}
	s := rep.Security
	if want := 4 * len(bench.AllPlatforms); s.Sent != want || s.Refused != s.Sent {
		t.Errorf("bad requests: %d sent, %d refused; want %d and %d: %+v", s.Sent, s.Refused, want, want, s.BadRequests)
	}
	if s.LogLines < 200 || len(s.Leaks) != 0 {
		t.Errorf("log scan: %d lines, leaks %+v; want the debug log of every message and no leak", s.LogLines, s.Leaks)
	}
}

// TestBenchSlowPlatform runs the small bench with fake APIs that answer
// 429 + Retry-After to 30% of the sends and delay every send: the
// outbox honours the 429s and nothing is lost. Nothing is duplicated
// either: a 429 means the platform did not take the message, and the delay
// stays far below the adapters' timeouts, so no send can time out after
// the platform accepted it (the only way to duplicate without a crash).
func TestBenchSlowPlatform(t *testing.T) {
	// Only the rate-limited platforms, so that all 200 sends meet the
	// slow fakes (with web and WeChat in the mix only a dozen would), and a
	// grace long enough for a reply that meets several 429s in a row.
	args := []string{"--messages", "200", "--connections", "16", "--platforms", "slack,telegram,discord", "--grace", "20s",
		"--slow-platform", "--slow-rate", "0.3", "--slow-latency", "20ms"}
	rep, err := runBench(t, args...)
	if err != nil {
		t.Errorf("bench failed: %v (problems: %q)", err, rep.Problems())
	}
	tot := rep.Rows[len(rep.Rows)-1]
	if tot.Acked != 200 || tot.Lost != 0 || tot.Duplicated != 0 {
		t.Errorf("total %+v: want 200 acknowledged, none lost or duplicated", tot)
	}
	var injected int64
	for _, n := range rep.Slow.Injected {
		injected += n
	}
	if injected == 0 {
		t.Errorf("no send was answered 429 (%+v): the test tested nothing", rep.Slow)
	}
}

// TestBenchFindsLeakedSecret runs the bench on a gateway that logs its
// Telegram token: the scan must find it and the report must fail.
func TestBenchFindsLeakedSecret(t *testing.T) {
	cfg, err := config.Load("", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	leaky := func(ctx context.Context, cfg *config.Config, log *slog.Logger, ready chan<- string) error {
		log.Debug("calling the Bot API", "url", "https://api.telegram.org/bot"+cfg.Telegram.Token+"/getMe")
		return serve(ctx, cfg, log, ready)
	}
	rep, err := bench.Run(context.Background(), bench.Options{Serve: leaky, Config: cfg, Dir: t.TempDir(),
		Platforms: []string{bench.Telegram}, Messages: 5, Connections: 2, LogLevel: slog.LevelDebug})
	if err != nil {
		t.Fatal(err)
	}
	leaks := rep.Security.Leaks
	if !slices.ContainsFunc(leaks, func(l bench.Leak) bool { return l.Secret == "telegram.token" && l.Count == 1 }) {
		t.Fatalf("leaks %+v: want telegram.token found once", leaks)
	}
	if p := strings.Join(rep.Problems(), "\n"); !strings.Contains(p, "SECURITY: the gateway's log contains telegram.token") {
		t.Fatalf("problems %q: want a SECURITY line", p)
	}
	if rep.Dir == "" {
		t.Error("the working directory was removed although the log holds a secret")
	}
}
