package intents

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestLoadSample(t *testing.T) {
	bot, err := Load(Sample(), ".")
	if err != nil {
		t.Fatalf("sample bot does not validate:\n%v", err)
	}
	if w := bot.Warnings(); len(w) != 0 {
		t.Errorf("sample bot has warnings: %v", w)
	}
	if got, want := bot.Files(), []string{"faq.yaml", "flows.yaml", "shop.yaml", "support.yaml", "welcome.yaml"}; !slices.Equal(got, want) {
		t.Errorf("Files() = %v, want %v", got, want)
	}
	if bot.DefaultLanguage != "en" {
		t.Errorf("DefaultLanguage = %q, want en", bot.DefaultLanguage)
	}
	if got, want := bot.Languages(), []string{"en", "zh"}; !slices.Equal(got, want) {
		t.Errorf("Languages() = %v, want %v", got, want)
	}
	wantIntents := []string{"greeting", "opening_hours", "order_status", "returns_policy", "return_request", "change_address",
		"talk_to_human", "thanks", "goodbye", "cancel_order", "damaged_or_wrong_item", "not_received", "change_size_colour",
		"talk_to_manager", "data_deletion"}
	var names []string
	for _, in := range bot.Intents {
		names = append(names, in.Name)
		for _, lang := range []string{"en", "zh"} {
			if n := len(in.Examples[lang]); n < 10 {
				t.Errorf("intent %s has %d %s examples, want >= 10", in.Name, n, lang)
			}
		}
	}
	if !slices.Equal(names, wantIntents) {
		t.Errorf("intents = %v, want %v", names, wantIntents)
	}
	var ids []string
	for _, f := range bot.FAQs {
		ids = append(ids, f.ID)
	}
	if want := []string{"shipping_costs", "delivery_time", "payment_methods", "refund_timing", "gift_cards", "invoices", "physical_store"}; !slices.Equal(ids, want) {
		t.Errorf("faq ids = %v, want %v", ids, want)
	}
	human := bot.Intents[slices.Index(names, "talk_to_human")]
	if !human.Handoff || len(human.Responses) != 0 || len(bot.Handoff) == 0 {
		t.Errorf("talk_to_human: handoff %v, %d responses, bot handoff %d languages; want a handoff intent using the bot's handoff message",
			human.Handoff, len(human.Responses), len(bot.Handoff))
	}
	if want := lineOf(t, "shop.yaml", "  - name: greeting"); bot.Intents[0].Pos != (Pos{"shop.yaml", want}) {
		t.Errorf("greeting at %v, want shop.yaml:%d", bot.Intents[0].Pos, want)
	}
	var flows []string
	for _, f := range bot.Flows {
		flows = append(flows, f.Name)
		if bot.flowFor(f.Intent) != &bot.Flows[len(flows)-1] {
			t.Errorf("flow %s: its intent %q does not start it", f.Name, f.Intent)
		}
	}
	if want := []string{"order_status", "return_request", "change_address"}; !slices.Equal(flows, want) {
		t.Errorf("flows = %v, want %v", flows, want)
	}
	if bot.SessionTimeout != 30*time.Minute || bot.Location.String() != "Europe/Berlin" || bot.DayFirst {
		t.Errorf("settings: session timeout %v, zone %v, day first %v", bot.SessionTimeout, bot.Location, bot.DayFirst)
	}
}

// TestLoadInvalid loads each directory under testdata/invalid and compares
// the problems with its want.txt, line for line.
func TestLoadInvalid(t *testing.T) {
	fsys := os.DirFS("testdata/invalid")
	cases, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			want, err := fs.ReadFile(fsys, c.Name()+"/want.txt")
			if err != nil {
				t.Fatal(err)
			}
			bot, err := Load(fsys, c.Name())
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Load = %v, %v; want a *ValidationError", bot, err)
			}
			if bot != nil {
				t.Errorf("Load returned a bot with a validation error")
			}
			if verr.Errors() == 0 {
				t.Errorf("ValidationError without errors: %v", verr)
			}
			got := strings.Split(verr.Error(), "\n")
			wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
			if !slices.Equal(got, wantLines) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
			}
		})
	}
}

func TestValidationErrorProblems(t *testing.T) {
	_, err := Load(os.DirFS("testdata/invalid"), "languages")
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want *ValidationError", err)
	}
	want := []Problem{
		{File: "languages/bot.yaml", Line: 2, Msg: `language "English": want a language code such as en, zh or zh-Hant`},
		{File: "languages/bot.yaml", Line: 7, Msg: `intent "greeting".examples: language "en" given twice (first at line 6)`},
		{File: "languages/bot.yaml", Line: 8, Msg: `language "english": want a language code such as en, zh or zh-Hant`},
		{File: "languages/bot.yaml", Line: 11, Msg: `intent "goodbye" has fr responses but no fr examples`, Warning: true},
		{File: "languages/bot.yaml", Line: 11, Msg: `intent "goodbye" has zh examples but no zh responses; zh customers get the en one`, Warning: true},
		{File: "languages/bot.yaml", Line: 19, Msg: `no zh fallback, though there are zh examples`, Warning: true},
	}
	if !slices.Equal(verr.Problems, want) {
		t.Errorf("Problems =\n%#v\nwant\n%#v", verr.Problems, want)
	}
	if verr.Errors() != 3 {
		t.Errorf("Errors() = %d, want 3", verr.Errors())
	}
}

func TestLoadSmallCases(t *testing.T) {
	const (
		fallback = "fallback: {en: \"Sorry?\"}\n"
		intents  = "intents:\n" +
			"  - name: a\n    examples: {en: [one, two, three, four, five]}\n    responses: {en: A}\n" +
			"  - name: b\n    examples: {en: [six, seven, eight, nine, ten]}\n    responses: {en: B}\n"
		valid = fallback + intents
	)
	tests := []struct {
		name     string
		fsys     fstest.MapFS
		dir      string
		problems []string // empty: must load
		warnings []string
	}{
		{name: "no files", fsys: fstest.MapFS{"bot/readme.txt": {Data: []byte("hi")}}, dir: "bot",
			problems: []string{"bot: no bot files (*.yaml, *.yml)"}},
		{name: "yml and subdirectories", dir: "bot", fsys: fstest.MapFS{
			"bot/a.yml":         {Data: []byte(valid)},
			"bot/sub/bad.yaml":  {Data: []byte("nonsense: 1\n")},
			"bot/.hidden.yaml":  {Data: []byte("nonsense: 1\n")},
			"bot/notes.md.yaml": {Data: []byte("fallback: {zh: 抱歉}\n")},
		}},
		{name: "single file", dir: "bot/a.yaml", fsys: fstest.MapFS{"bot/a.yaml": {Data: []byte(valid)}}},
		{name: "several documents", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte(
			"fallback: {en: \"Sorry?\"}\n---\nintents: []\n---\n# nothing\n---\nfaq: x\n")}},
			problems: []string{"a.yaml:7: faq: want a list, got \"x\""}},
		{name: "fallback split by language", dir: ".", fsys: fstest.MapFS{
			"a.yaml": {Data: []byte(valid)},
			"b.yaml": {Data: []byte("fallback:\n  zh: 抱歉？\n")},
		}},
		{name: "empty fallback", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte(intents + "fallback: {}\n")}},
			problems: []string{`.: no fallback response: add fallback: {en: ["Sorry, I didn't get that."]}`}},
		{name: "invalid fallback", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte(intents + "fallback: [Sorry]\n")}},
			problems: []string{`a.yaml:8: fallback: want a mapping, got a list`}},
		{name: "top level not a mapping", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte("- 1\n- 2\n")}},
			problems: []string{"a.yaml:1: top level: want a mapping, got a list",
				`.: no fallback response: add fallback: {en: ["Sorry, I didn't get that."]}`}},
		// yaml.v3 reports parser errors one line early; Load corrects that.
		{name: "yaml parser error line", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte("a: 1\nb: [x, y\nc: 2\n")}},
			problems: []string{"a.yaml:2: YAML syntax: did not find expected ',' or ']'"}},
		{name: "yaml parser error line in block", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte("a:\n  - x\n - y\n")}},
			problems: []string{"a.yaml:3: YAML syntax: did not find expected key"}},
		{name: "yaml scanner error line", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte("a: 1\nb: 2\n  c: 3\n")}},
			problems: []string{"a.yaml:3: YAML syntax: mapping values are not allowed in this context"}},
		{name: "yaml error without line", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte("a: \x01\n")}},
			problems: []string{"a.yaml: YAML syntax: control characters are not allowed"}},
		{name: "handoff intent uses handoff message", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte(valid +
			"  - name: human\n    handoff: true\n    examples: {en: [agent, human, person, someone real, staff]}\n" +
			"handoff: {en: Connecting you.}\n")}}},
		{name: "warnings", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte(valid +
			"  - name: c\n    examples: {en: [one, eleven, Eleven!, twelve]}\n    responses: {en: C}\n")}},
			warnings: []string{
				`a.yaml:9: warning: intent "c": example "one" is also an example of intent "a" (a.yaml:3)`,
				`a.yaml:9: warning: intent "c": example "Eleven!" given twice`,
				`a.yaml:9: warning: intent "c" has 2 en examples; 10 or more work best`,
			}},
		{name: "bad names", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte(valid +
			"  - name: faq:x\n    examples: {en: x}\n    responses: {en: x}\n" +
			"faq:\n  - id: \"with space\"\n    questions: {en: x}\n    answer: {en: x}\n")}},
			problems: []string{
				`a.yaml:9: name "faq:x": use letters, digits, '_', '-' and '.' only`,
				`a.yaml:13: id "with space": use letters, digits, '_', '-' and '.' only`,
			}},
		{name: "non-text key and empty text", dir: ".", fsys: fstest.MapFS{"a.yaml": {Data: []byte(valid +
			"handoff: {[en]: x, en: \"  \"}\n")}},
			problems: []string{`a.yaml:9: handoff: keys must be text, got a list`, `a.yaml:9: handoff.en: empty text`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot, err := Load(tt.fsys, tt.dir)
			if len(tt.problems) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				var got []string
				for _, w := range bot.Warnings() {
					got = append(got, w.String())
				}
				if !slices.Equal(got, tt.warnings) {
					t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.warnings, "\n"))
				}
				return
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Load = %v; want *ValidationError", err)
			}
			if got := strings.Split(verr.Error(), "\n"); !slices.Equal(got, tt.problems) {
				t.Errorf("problems:\n%s\nwant:\n%s", verr, strings.Join(tt.problems, "\n"))
			}
		})
	}
}

func TestLoadNotExist(t *testing.T) {
	_, err := Load(fstest.MapFS{}, "intents")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want fs.ErrNotExist", err)
	}
	var verr *ValidationError
	if errors.As(err, &verr) {
		t.Errorf("missing directory reported as a validation error")
	}
	_, err = LoadDir(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDir(missing) = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadDirNamesOSPaths(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bot.yaml"), []byte("intents: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, filepath.Join(dir, "bot.yaml")} {
		_, err := LoadDir(path)
		want := filepath.Join(dir, "bot.yaml") + ":1: intents: want a list, got a mapping"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadDir(%s) = %v, want it to contain %q", path, err, want)
		}
	}
	// The repository's own directory is the sample bot.
	bot, err := LoadDir(".")
	if err != nil {
		t.Fatalf("LoadDir(.): %v", err)
	}
	if got := bot.Files(); !slices.Equal(got, []string{"faq.yaml", "flows.yaml", "shop.yaml", "support.yaml", "welcome.yaml"}) {
		t.Errorf("LoadDir(.) files = %v", got)
	}
}

// lineOf returns the 1-based line of the embedded sample file on which
// prefix starts a line.
func lineOf(t *testing.T, file, prefix string) int {
	t.Helper()
	b, err := fs.ReadFile(Sample(), file)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line starting with %q", file, prefix)
	return 0
}
