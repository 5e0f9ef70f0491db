package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestExplainCommand(t *testing.T) {
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"explain", "--config", "config.yaml", "--top", "2", "are you a bot", "我收到的东西坏了", "who won the match last night"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("explain: %v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		`text: "are you a bot" (language en)`, "decision: answer with smalltalk:bot_identity",
		`text: "我收到的东西坏了" (language zh)`, "decision: answer with damaged_or_wrong_item",
		"decision: fallback", "below the threshold", "threshold: 0.", "calibrated", "  2. ", "classifier 0.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "  3. ") {
		t.Errorf("--top 2 printed a third candidate:\n%s", got)
	}
	cmd = newRootCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"explain", "--config", "config.yaml", "--top", "0", "hi"})
	if err := cmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "--top") {
		t.Errorf("--top 0: %v", err)
	}
}

func TestChatDebug(t *testing.T) {
	cfg := testConfig(t)
	var out bytes.Buffer
	if err := chat(context.Background(), cfg, slog.New(slog.DiscardHandler), "dbg", strings.NewReader("do you sell gift cards\n"), &out, false, true); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	i, j := strings.Index(got, "debug> decision: answer with faq:gift_cards"), strings.Index(got, "bot> ")
	if i < 0 || j < 0 || i > j || !strings.Contains(got, "debug> threshold: ") {
		t.Fatalf("want the explanation, then the reply:\n%s", got)
	}
}

func TestCheckWarnsAboutOverlapsAndFewExamples(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bot")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	bot := `intents:
  - name: refund
    examples: {en: [I want my money back, refund please, give me a refund, money back for my order, refund my purchase, I need a refund]}
    responses: {en: [Refund.]}
  - name: refund_status
    examples: {en: [where is my refund, refund status, my money back status, refund not received, status of my refund, refund please check]}
    responses: {en: [Status.]}
fallback: {en: ["Sorry?"]}
`
	if err := os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte(bot), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(filepath.Dir(dir), "c.yaml")
	if err := os.WriteFile(cfgFile, []byte("bot:\n  intents: "+dir+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCheck(t, "--config", cfgFile)
	if err != nil {
		t.Fatalf("warnings must not fail check: %v\n%s", err, errOut)
	}
	if !strings.Contains(out, "bot: "+dir+": ok") {
		t.Errorf("stdout:\n%s", out)
	}
	for _, want := range []string{"bot.yaml:2: warning: intent \"refund\" has only 6 en examples", "warning: intent \"refund", "overlaps intent"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}
