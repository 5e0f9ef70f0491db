package convtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Test is one conversation: the customer's messages and what the bot must
// answer to each.
type Test struct {
	Name string
	File string
	Line int
	// UserName is the customer's display name ("" when not given).
	UserName string
	// Language is a language hint sent with every message ("" to detect).
	Language string
	// Now is the clock at the first step; zero means Options.Now.
	Now   time.Time
	Steps []Step
}

// Step is one customer message and the expectations on the answer.
type Step struct {
	Line int
	// Wait advances the clock before the message (to test session timeouts).
	Wait time.Duration
	User string
	Bot  Expect
}

// Expect lists what the bot's answer to one step must satisfy; nil fields
// are not checked.
type Expect struct {
	Intent   *string
	Says     []Pattern // each must match the replies (joined by newlines)
	NotSays  []Pattern // none may match
	Slots    map[string]string
	Handoff  *bool
	Flow     *string
	Language *string
	Fallback *bool
	// QuickReplies must all be among the quick replies offered.
	QuickReplies []string
}

// Pattern is a substring, or a regular expression written as /re/.
type Pattern struct {
	Source string
	re     *regexp.Regexp
}

// Match reports whether s contains the substring or matches the regex.
func (p Pattern) Match(s string) bool {
	if p.re != nil {
		return p.re.MatchString(s)
	}
	return strings.Contains(s, p.Source)
}

// ParseError lists the problems of test files, one "file:line: problem" per
// line.
type ParseError struct {
	Problems []string
}

func (e *ParseError) Error() string { return strings.Join(e.Problems, "\n") }

// LoadFile reads and parses one test file.
func LoadFile(path string) ([]Test, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("convtest: %w", err)
	}
	return Parse(path, data)
}

// Parse parses the tests of one file; name is used in problems. It returns a
// *ParseError listing every problem when data is not a valid test file: a
// YAML list of tests, each with a name and steps, each step with a user
// message and an optional bot mapping (intent, says, not_says, slots,
// handoff, flow, language, fallback, quick_replies) and wait.
func Parse(name string, data []byte) ([]Test, error) {
	p := &parser{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var tests []Test
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, msg := 0, strings.TrimPrefix(err.Error(), "yaml: ")
			if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
				line, _ = strconv.Atoi(m[1])
				msg = m[2]
				if strings.HasPrefix(msg, "did not find expected") {
					line++ // yaml.v3 reports its parser's errors with 0-based lines
				}
			}
			p.errorf(line, "YAML syntax: %s", msg)
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind != yaml.SequenceNode {
			p.errorf(root.Line, "want a list of tests, got %s", describe(root))
			continue
		}
		for _, n := range root.Content {
			if t, ok := p.test(n); ok {
				tests = append(tests, t)
			}
		}
	}
	if len(tests) == 0 && len(p.problems) == 0 {
		p.errorf(0, "no tests")
	}
	seen := map[string]int{}
	for _, t := range tests {
		if first, dup := seen[t.Name]; dup {
			p.errorf(t.Line, "duplicate test name %q (first at line %d)", t.Name, first)
		}
		seen[t.Name] = t.Line
	}
	if len(p.problems) > 0 {
		return nil, &ParseError{Problems: p.problems}
	}
	return tests, nil
}

type parser struct {
	file     string
	problems []string
}

func (p *parser) errorf(line int, format string, args ...any) {
	where := p.file
	if line > 0 {
		where = fmt.Sprintf("%s:%d", p.file, line)
	}
	p.problems = append(p.problems, where+": "+fmt.Sprintf(format, args...))
}

// pairs returns the key/value nodes of a mapping, reporting other nodes,
// duplicate and unknown keys.
func (p *parser) pairs(n *yaml.Node, ctx string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.errorf(n.Line, "%s: want a mapping, got %s", ctx, describe(n))
		return nil
	}
	m := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errorf(k.Line, "%s: keys must be text", ctx)
		case m[k.Value] != nil:
			p.errorf(k.Line, "%s: duplicate key %q", ctx, k.Value)
		case !contains(allowed, k.Value):
			p.errorf(k.Line, "%s: unknown key %q; want one of %s", ctx, k.Value, strings.Join(allowed, ", "))
		default:
			m[k.Value] = v
		}
	}
	return m
}

func (p *parser) text(n *yaml.Node, ctx string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n.Line, "%s: want text, got %s", ctx, describe(n))
		return "", false
	}
	return n.Value, true
}

func (p *parser) boolean(n *yaml.Node, ctx string) *bool {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		p.errorf(n.Line, "%s: want true or false, got %s", ctx, describe(n))
		return nil
	}
	return &b
}

func (p *parser) test(n *yaml.Node) (Test, bool) {
	m := p.pairs(n, "test", "name", "user_name", "language", "now", "steps")
	if m == nil {
		return Test{}, false
	}
	t := Test{File: p.file, Line: n.Line}
	ok := true
	if v := m["name"]; v == nil {
		p.errorf(n.Line, "test: missing name")
		ok = false
	} else if t.Name, ok = p.text(v, "test name"); ok && strings.TrimSpace(t.Name) == "" {
		p.errorf(v.Line, "test: empty name")
		ok = false
	}
	ctx := fmt.Sprintf("test %q", t.Name)
	if v := m["user_name"]; v != nil {
		t.UserName, _ = p.text(v, ctx+".user_name")
	}
	if v := m["language"]; v != nil {
		t.Language, _ = p.text(v, ctx+".language")
	}
	if v := m["now"]; v != nil {
		if s, good := p.text(v, ctx+".now"); good {
			now, err := time.Parse(time.RFC3339, s)
			if err != nil {
				p.errorf(v.Line, "%s.now: want a time such as 2026-11-24T10:00:00+01:00", ctx)
			}
			t.Now = now
		}
	}
	steps := m["steps"]
	switch {
	case steps == nil:
		p.errorf(n.Line, "%s: missing steps", ctx)
		ok = false
	case steps.Kind != yaml.SequenceNode || len(steps.Content) == 0:
		p.errorf(steps.Line, "%s.steps: want a list of steps, got %s", ctx, describe(steps))
		ok = false
	default:
		for i, sn := range steps.Content {
			if s, good := p.step(sn, fmt.Sprintf("%s step %d", ctx, i+1)); good {
				t.Steps = append(t.Steps, s)
			} else {
				ok = false
			}
		}
	}
	return t, ok
}

func (p *parser) step(n *yaml.Node, ctx string) (Step, bool) {
	m := p.pairs(n, ctx, "user", "bot", "wait")
	if m == nil {
		return Step{}, false
	}
	s := Step{Line: n.Line}
	ok := true
	if v := m["user"]; v == nil {
		p.errorf(n.Line, "%s: missing user (the customer's message)", ctx)
		ok = false
	} else if s.User, ok = p.text(v, ctx+".user"); ok && strings.TrimSpace(s.User) == "" {
		p.errorf(v.Line, "%s.user: empty message", ctx)
		ok = false
	}
	if v := m["wait"]; v != nil {
		if w, good := p.text(v, ctx+".wait"); good {
			d, err := time.ParseDuration(w)
			if err != nil || d < 0 {
				p.errorf(v.Line, "%s.wait: want a duration such as 31m", ctx)
				ok = false
			}
			s.Wait = d
		}
	}
	if v := m["bot"]; v != nil {
		before := len(p.problems)
		s.Bot = p.expect(v, ctx+".bot")
		ok = ok && len(p.problems) == before
	}
	return s, ok
}

func (p *parser) expect(n *yaml.Node, ctx string) Expect {
	var e Expect
	m := p.pairs(n, ctx, "intent", "says", "not_says", "slots", "handoff", "flow", "language", "fallback", "quick_replies")
	str := func(key string) *string {
		if v := m[key]; v != nil {
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				empty := ""
				return &empty
			}
			if s, ok := p.text(v, ctx+"."+key); ok {
				return &s
			}
		}
		return nil
	}
	e.Intent, e.Flow, e.Language = str("intent"), str("flow"), str("language")
	if v := m["handoff"]; v != nil {
		e.Handoff = p.boolean(v, ctx+".handoff")
	}
	if v := m["fallback"]; v != nil {
		e.Fallback = p.boolean(v, ctx+".fallback")
	}
	e.Says = p.patterns(m["says"], ctx+".says")
	e.NotSays = p.patterns(m["not_says"], ctx+".not_says")
	if v := m["quick_replies"]; v != nil {
		for _, pat := range p.patterns(v, ctx+".quick_replies") {
			e.QuickReplies = append(e.QuickReplies, pat.Source)
		}
	}
	if v := m["slots"]; v != nil {
		if v.Kind != yaml.MappingNode {
			p.errorf(v.Line, "%s.slots: want a mapping of slot names to values, got %s", ctx, describe(v))
		} else {
			e.Slots = map[string]string{}
			for i := 0; i+1 < len(v.Content); i += 2 {
				k, val := v.Content[i], v.Content[i+1]
				if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode {
					p.errorf(k.Line, "%s.slots: want slot: value", ctx)
					continue
				}
				e.Slots[k.Value] = val.Value
				if val.Tag == "!!null" {
					e.Slots[k.Value] = ""
				}
			}
		}
	}
	return e
}

// patterns reads one text or a list of texts; /…/ is a regex.
func (p *parser) patterns(n *yaml.Node, ctx string) []Pattern {
	if n == nil {
		return nil
	}
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	var out []Pattern
	for _, item := range items {
		s, ok := p.text(item, ctx)
		if !ok {
			continue
		}
		pat := Pattern{Source: s}
		if len(s) >= 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
			re, err := regexp.Compile(s[1 : len(s)-1])
			if err != nil {
				p.errorf(item.Line, "%s: invalid regex %s: %v", ctx, s, err)
				continue
			}
			pat.re = re
		}
		out = append(out, pat)
	}
	return out
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		if len(n.Value) > 40 {
			return fmt.Sprintf("%q…", n.Value[:40])
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "a document"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// DefaultFiles returns the conversation test files of a bot directory: the
// *.yaml and *.yml files of its tests/ subdirectory (which the bot loader
// does not read), sorted. It returns an empty list, and no error, when
// there is no tests/ directory.
func DefaultFiles(botDir string) ([]string, error) {
	dir := filepath.Join(botDir, "tests")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("convtest: %w", err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(files)
	return files, nil
}
