package convtest_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents"
	"github.com/switchboard-gw/switchboard/intents/convtest"
)

func sample(t *testing.T) *intents.Understander {
	t.Helper()
	bot, err := intents.LoadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	u, err := intents.New(t.Context(), bot, intents.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSampleBot runs the sample bot's own conversation tests.
func TestSampleBot(t *testing.T) {
	u := sample(t)
	files, err := convtest.DefaultFiles("..")
	if err != nil || len(files) == 0 {
		t.Fatalf("DefaultFiles = %v, %v", files, err)
	}
	var out bytes.Buffer
	start := time.Now()
	failed, err := convtest.Run(t.Context(), files, u, convtest.Options{}, &out)
	if err != nil || failed != 0 {
		t.Fatalf("Run = %d failed, %v:\n%s", failed, err, out.String())
	}
	if !strings.Contains(out.String(), " passed, 0 failed\n") || strings.Contains(out.String(), "FAIL") {
		t.Errorf("output:\n%s", out.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("running the sample tests took %v", d)
	}
	t.Logf("%s(%v)", out.String(), time.Since(start))
}

// TestFailureDiff checks that a failing test is reported with what was
// expected and what the bot said, per step, and that the other tests of
// the file still run.
func TestFailureDiff(t *testing.T) {
	u := sample(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "f.yaml")
	src := `- name: wrong expectations
  steps:
    - user: where is my order
      bot: {intent: opening_hours, flow: "", says: "/^Nope/", slots: {order_id: AB123456}, handoff: true}
    - user: AB123456
      bot: {says: "AB123456", not_says: "on its way", quick_replies: [Retry]}
- name: right
  steps:
    - user: hello
      bot: {intent: greeting}
`
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	failed, err := convtest.Run(t.Context(), []string{file}, u, convtest.Options{Verbose: true}, &out)
	if err != nil || failed != 1 {
		t.Fatalf("Run = %d, %v\n%s", failed, err, out.String())
	}
	for _, want := range []string{
		"FAIL  wrong expectations  " + file + ":1  2 steps",
		`step 1 (line 3): user: "where is my order"`,
		`intent: want "opening_hours", got "order_status"`,
		`flow: want "", got "order_status"`,
		`slots.order_id: want "AB123456", got ""`,
		"handoff: want true, got false",
		`says: want "/^Nope/" in the replies, got:`,
		"    | I can check that for you.",
		`step 2 (line 5): user: "AB123456"`,
		`not_says: "on its way" is in the replies:`,
		`quick_replies: want "Retry", got []`,
		"PASS  right",
		"you> hello",
		"1 passed, 1 failed\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestRunErrors(t *testing.T) {
	u := sample(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("- name: x\n  steps: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := convtest.Run(t.Context(), []string{bad}, u, convtest.Options{}, &out); err == nil ||
		!strings.Contains(err.Error(), bad+":2: test \"x\".steps: want a list of steps") {
		t.Errorf("invalid file: %v", err)
	}
	if _, err := convtest.Run(t.Context(), []string{filepath.Join(dir, "missing.yaml")}, u, convtest.Options{}, &out); err == nil {
		t.Error("missing file accepted")
	}
	if _, err := convtest.Run(t.Context(), nil, u, convtest.Options{}, &out); err == nil {
		t.Error("no files accepted")
	}
	good := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(good, []byte("- name: x\n  steps: [{user: hi}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := convtest.Run(ctx, []string{good}, u, convtest.Options{}, &out); err == nil {
		t.Error("canceled context: no error")
	}
	// An Understander error fails the test, not the run.
	failed, err := convtest.Run(t.Context(), []string{good}, failing{}, convtest.Options{}, &out)
	if err != nil || failed != 1 || !strings.Contains(out.String(), "error: engine: understand") {
		t.Errorf("failing understander: %d, %v\n%s", failed, err, out.String())
	}
	entries, _ := os.ReadDir(os.TempDir())
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "switchboard-convtest-") {
			t.Errorf("temporary directory %s left behind", e.Name())
		}
	}
}

type failing struct{}

func (failing) Understand(context.Context, core.Input) (core.Decision, error) {
	return core.Decision{}, os.ErrInvalid
}

// Without -v a failing step still shows what the bot said, also when only
// the intent or a slot was wrong (it used to print only the diff).
func TestFailureShowsRepliesWithoutVerbose(t *testing.T) {
	u := sample(t)
	file := filepath.Join(t.TempDir(), "f.yaml")
	src := `- name: wrong intent
  steps:
    - user: what are your opening hours
      bot: {intent: order_status}
`
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	failed, err := convtest.Run(t.Context(), []string{file}, u, convtest.Options{}, &out)
	if err != nil || failed != 1 {
		t.Fatalf("Run = %d, %v\n%s", failed, err, out.String())
	}
	for _, want := range []string{
		`intent: want "order_status", got "opening_hours"`,
		"  bot said:",
		"    | We're open Monday to Friday",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Count(out.String(), "We're open Monday to Friday") != 1 {
		t.Errorf("replies shown more than once:\n%s", out.String())
	}
}
