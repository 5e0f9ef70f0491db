package convtest

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	src := `- name: full
  user_name: Ann
  language: zh
  now: 2026-11-24T10:00:00+01:00
  steps:
    - user: where is my order
      bot:
        intent: order_status
        says: [order number, "/AB\\d+/"]
        not_says: Sorry
        slots: {order_id: AB123456, gone: ~}
        handoff: false
        flow: ""
        language: en
        fallback: false
        quick_replies: [Yes]
    - wait: 31m
      user: hi
- name: minimal
  steps: [{user: hello}]
`
	tests, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(tests) != 2 || tests[0].Name != "full" || tests[0].Line != 1 || tests[1].Line != 19 {
		t.Fatalf("tests = %+v", tests)
	}
	full := tests[0]
	if full.UserName != "Ann" || full.Language != "zh" || !full.Now.Equal(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)) ||
		len(full.Steps) != 2 || full.Steps[1].Wait != 31*time.Minute || full.Steps[1].Line != 17 {
		t.Errorf("full = %+v", full)
	}
	e := full.Steps[0].Bot
	if *e.Intent != "order_status" || *e.Flow != "" || *e.Language != "en" || *e.Handoff || *e.Fallback ||
		e.Slots["order_id"] != "AB123456" || e.Slots["gone"] != "" || !slices.Equal(e.QuickReplies, []string{"Yes"}) {
		t.Errorf("expect = %+v", e)
	}
	if len(e.Says) != 2 || !e.Says[0].Match("your order number?") || !e.Says[1].Match("it is AB12") || e.Says[1].Match("AB") ||
		len(e.NotSays) != 1 || !e.NotSays[0].Match("Sorry!") {
		t.Errorf("patterns = %+v %+v", e.Says, e.NotSays)
	}
	if b := tests[1].Steps[0].Bot; b.Intent != nil || b.Says != nil || b.Handoff != nil {
		t.Errorf("minimal expectations = %+v", b)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		problems  []string
	}{
		{"empty", "", []string{"t.yaml: no tests"}},
		{"not a list", "name: x\n", []string{`t.yaml:1: want a list of tests, got a mapping`}},
		{"syntax", "- name: [x\n", []string{"t.yaml:2: YAML syntax: did not find expected ',' or ']'"}},
		{"missing", "- steps: [{bot: {intent: x}}]\n", []string{
			"t.yaml:1: test: missing name",
			`t.yaml:1: test "" step 1: missing user (the customer's message)`,
		}},
		{"unknown keys", "- name: x\n  step: []\n  steps:\n    - user: hi\n      bot: {intnet: a, handoff: yes please}\n", []string{
			`t.yaml:2: test: unknown key "step"; want one of name, user_name, language, now, steps`,
			`t.yaml:5: test "x" step 1.bot: unknown key "intnet"; want one of intent, says, not_says, slots, handoff, flow, language, fallback, quick_replies`,
			`t.yaml:5: test "x" step 1.bot.handoff: want true or false, got "yes please"`,
		}},
		{"bad values", "- name: x\n  now: tomorrow\n  steps:\n    - user: \"\"\n    - user: hi\n      wait: soon\n      bot: {says: \"/[/\", slots: [a]}\n", []string{
			`t.yaml:2: test "x".now: want a time such as 2026-11-24T10:00:00+01:00`,
			`t.yaml:4: test "x" step 1.user: empty message`,
			`t.yaml:6: test "x" step 2.wait: want a duration such as 31m`,
			"t.yaml:7: test \"x\" step 2.bot.says: invalid regex /[/: error parsing regexp: missing closing ]: `[`",
			`t.yaml:7: test "x" step 2.bot.slots: want a mapping of slot names to values, got a list`,
		}},
		{"duplicate names", "- {name: x, steps: [{user: a}]}\n- {name: x, steps: [{user: b}]}\n", []string{
			`t.yaml:2: duplicate test name "x" (first at line 1)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v", err)
			}
			if !slices.Equal(perr.Problems, tt.problems) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(perr.Problems, "\n"), strings.Join(tt.problems, "\n"))
			}
		})
	}
}

func TestDefaultFiles(t *testing.T) {
	dir := t.TempDir()
	if files, err := DefaultFiles(dir); err != nil || len(files) != 0 {
		t.Errorf("no tests dir: %v %v", files, err)
	}
	tests := filepath.Join(dir, "tests")
	for _, name := range []string{"b.yaml", "a.yml", ".hidden.yaml", "notes.md"} {
		if err := os.MkdirAll(tests, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tests, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files, err := DefaultFiles(dir)
	want := []string{filepath.Join(tests, "a.yml"), filepath.Join(tests, "b.yaml")}
	if err != nil || !slices.Equal(files, want) {
		t.Errorf("DefaultFiles = %v, %v; want %v", files, err, want)
	}
}

// FuzzParse feeds arbitrary bytes as a test file: Parse must not panic and
// must return tests or a *ParseError whose problems name the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte("- name: a\n  steps:\n    - user: hi\n      bot: {intent: x, says: [\"/a+/\", b], slots: {s: v}, handoff: true}\n"))
	f.Add([]byte("- name: a\n  now: 2026-11-24T10:00:00Z\n  steps: [{wait: 5m, user: x}]\n---\n- {name: b, steps: [{user: y}]}\n"))
	f.Add([]byte("- &a {name: x}\n- *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tests, err := Parse("f.yaml", data)
		if err != nil {
			var perr *ParseError
			if !errors.As(err, &perr) || len(perr.Problems) == 0 || tests != nil {
				t.Fatalf("Parse = %v, %v", tests, err)
			}
			for _, p := range perr.Problems {
				if !strings.HasPrefix(p, "f.yaml") {
					t.Fatalf("problem %q does not name the file", p)
				}
			}
			return
		}
		for _, tt := range tests {
			if tt.Name == "" || len(tt.Steps) == 0 {
				t.Fatalf("test without name or steps: %+v", tt)
			}
			for _, s := range tt.Steps {
				if strings.TrimSpace(s.User) == "" || s.Wait < 0 {
					t.Fatalf("bad step %+v", s)
				}
			}
		}
	})
}
