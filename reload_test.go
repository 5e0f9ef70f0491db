package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyBot copies the sample bot's YAML (and its tests folder) to a temp dir.
func copyBot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{".", "tests"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
		entries, err := os.ReadDir(filepath.Join("intents", sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
				continue
			}
			b, err := os.ReadFile(filepath.Join("intents", sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, sub, e.Name()), b, 0o644)
		}
	}
	return dir
}

// TestSampleBotConversationTests runs `switchboard test` on the sample
// bot's own tests (intents/tests), so CI runs them.
func TestSampleBotConversationTests(t *testing.T) {
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"test", "--config", "config.yaml"})
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("switchboard test: %v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), " passed, 0 failed") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// TestBrokenConversationTest: a failing expectation exits 1 and shows what
// was expected next to what the bot did.
func TestBrokenConversationTest(t *testing.T) {
	f := filepath.Join(t.TempDir(), "broken_test.yaml")
	os.WriteFile(f, []byte("- name: hours are wrong on purpose\n  steps:\n    - user: what are your opening hours\n      bot: {intent: shipping_costs, says: \"open 24/7\"}\n"), 0o644)
	cmd := newRootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"test", "--config", "config.yaml", f})
	err := cmd.ExecuteContext(context.Background())
	var ee exitError
	if !errors.As(err, &ee) || ee.code != 1 {
		t.Fatalf("err = %v, want exit 1", err)
	}
	got := out.String()
	for _, want := range []string{"FAIL", "hours are wrong on purpose", "shipping_costs", "opening_hours", "open 24/7", "1 failed"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestServeHotReload edits the bot's YAML while serve runs: the answer
// changes without a restart; an invalid edit is rejected and the previous
// bot keeps answering.
func TestServeHotReload(t *testing.T) {
	dir := copyBot(t)
	cfg := testConfig(t)
	cfg.Bot.Intents = dir
	// This test asks again every 200 ms until the edit shows (a reload with
	// the sentence encoder takes seconds on a loaded machine): no message limit.
	cfg.Limits.Messages = 0
	base, stop := startServe(t, cfg)
	resp, err := http.Post(base+"/api/web/session", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	var sess struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&sess)
	resp.Body.Close()
	n := 0
	ask := func(text string) string {
		t.Helper()
		n++
		body := fmt.Sprintf(`{"text":%s,"client_id":"c%d"}`, strconvQuote(text), n)
		req, _ := http.NewRequest("POST", base+"/api/web/messages", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+sess.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var posted struct{ ID string }
		json.NewDecoder(resp.Body).Decode(&posted)
		resp.Body.Close()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			req, _ := http.NewRequest("GET", base+"/api/web/messages", nil)
			req.Header.Set("Authorization", "Bearer "+sess.Token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var got struct {
				Messages []struct{ ID, From, Text string }
			}
			json.Unmarshal(b, &got)
			for _, m := range got.Messages {
				if m.ID == posted.ID+".r0" {
					return m.Text
				}
			}
		}
		t.Fatalf("no answer to %q", text)
		return ""
	}
	if a := ask("what are your opening hours"); !strings.Contains(a, "Monday to Friday") {
		t.Fatalf("before the edit: %q", a)
	}
	shop := filepath.Join(dir, "shop.yaml")
	orig, _ := os.ReadFile(shop)
	edited := strings.Replace(string(orig), "We're open Monday to Friday", "Holiday hours: we're open every day", 1)
	if edited == string(orig) {
		t.Fatal("the sample's opening-hours answer changed; update this test")
	}
	os.WriteFile(shop, []byte(edited), 0o644)
	var a string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if a = ask("what are your opening hours"); strings.Contains(a, "Holiday hours") {
			break
		}
	}
	if !strings.Contains(a, "Holiday hours") {
		t.Fatalf("the edit was not picked up: %q", a)
	}
	// An invalid edit (an unknown key) is rejected; the last good bot answers.
	os.WriteFile(shop, []byte(edited+"\nnot_a_key: true\n"), 0o644)
	time.Sleep(2 * time.Second)
	if a := ask("what are your opening hours"); !strings.Contains(a, "Holiday hours") {
		t.Fatalf("after an invalid edit: %q", a)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func strconvQuote(s string) string { b, _ := json.Marshal(s); return string(b) }
