// Package convtest runs conversation tests: YAML files that say what a
// customer writes and what the bot must answer, turn by turn. Each test
// runs in-process through the real core.Engine on a throwaway store/bolt
// database, one fresh conversation per test, so flows, slots, session
// timeouts and handoff rules behave exactly as in production. Nothing is
// trained for the tests themselves: they run against the Understander they
// are given.
//
// A test file is a list of tests:
//
//   - name: order status asks for the number
//     user_name: Ann                   # optional display name
//     language: zh                     # optional language hint on every message
//     now: 2026-11-24T10:00:00+01:00   # optional clock at the first step
//     steps:
//   - user: where is my order
//     bot: {intent: order_status, says: "order number", flow: order_status}
//   - user: it's AB123456
//     bot: {slots: {order_id: AB123456}, says: "/Order AB\d{6}/", flow: ""}
//   - wait: 31m                    # move the clock before this message
//     user: hello
//     bot: {intent: greeting}
//
// Expectations under bot: (each optional): intent (the recognised intent,
// "faq:<id>" for FAQ entries, "" for none), says and not_says (a text or a
// list; each is a substring of the replies joined by newlines, or /regex/),
// slots (each listed slot has this value, "" for unset), flow (the active
// flow after the message, "" for none), handoff and fallback (true or
// false), language (of the replies), quick_replies (each is offered).
package convtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/fakeclock"
	"github.com/switchboard-gw/switchboard/store/bolt"
)

// Options configure Run. The zero value is usable.
type Options struct {
	// Logger receives the engine's logs; nil discards them.
	Logger *slog.Logger
	// Handoff are the engine's handoff rules (as configured for serve).
	// When no desk is set, a stand-in desk is used so that handoffs happen
	// and can be expected with handoff: true.
	Handoff core.HandoffOptions
	// Now is the clock at the first step of tests without now:; zero means
	// the time Run starts.
	Now time.Time
	// Verbose prints every step of passing tests too.
	Verbose bool
}

// Result is the outcome of one test.
type Result struct {
	Test     Test
	Failures []string // empty when the test passed
	Trace    []string // the conversation, with Options.Verbose
	Took     time.Duration
}

// Run runs the tests of files against u and prints one line per test and a
// readable diff (expected and got, per step) for each failure to w,
// followed by "N passed, M failed". It returns the number of failed tests.
//
// It returns an error, and runs nothing, when a file cannot be read or is
// not a valid test file (a *ParseError lists every problem as file:line);
// and an error when the throwaway store cannot be created or ctx is done.
// An Understander or engine error inside a test fails that test only.
func Run(ctx context.Context, files []string, u core.Understander, opts Options, w io.Writer) (failed int, err error) {
	if len(files) == 0 {
		return 0, errors.New("convtest: no test files")
	}
	var all [][]Test
	var problems []string
	for _, f := range files {
		tests, err := LoadFile(f)
		var perr *ParseError
		switch {
		case errors.As(err, &perr):
			problems = append(problems, perr.Problems...)
		case err != nil:
			return 0, err
		}
		all = append(all, tests)
	}
	if len(problems) > 0 {
		return 0, &ParseError{Problems: problems}
	}
	start := time.Now()
	if opts.Now.IsZero() {
		opts.Now = start
	}
	width := 0
	for _, tests := range all {
		for _, t := range tests {
			width = max(width, len([]rune(t.Name)))
		}
	}
	passed := 0
	for i, f := range files {
		results, err := runFile(ctx, all[i], u, opts)
		if err != nil {
			return failed, fmt.Errorf("convtest: %s: %w", f, err)
		}
		for _, r := range results {
			status := "PASS"
			if len(r.Failures) > 0 {
				status = "FAIL"
				failed++
			} else {
				passed++
			}
			steps := fmt.Sprintf("%d steps", len(r.Test.Steps))
			if len(r.Test.Steps) == 1 {
				steps = "1 step"
			}
			fmt.Fprintf(w, "%s  %-*s  %s:%d  %s  %s\n", status, width, r.Test.Name, r.Test.File, r.Test.Line,
				steps, r.Took.Round(time.Millisecond))
			for _, line := range append(r.Trace, r.Failures...) {
				fmt.Fprintf(w, "      %s\n", line)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", passed, failed)
	return failed, nil
}

// runFile runs the tests of one file on one throwaway database.
func runFile(ctx context.Context, tests []Test, u core.Understander, opts Options) (results []Result, err error) {
	dir, err := os.MkdirTemp("", "switchboard-convtest-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = rerr
		}
	}()
	// One clock for the engine and the store, set to each test's time: the
	// store judges dedupe and key-value expiry by the test's date, not the
	// machine's.
	clk := fakeclock.New(opts.Now)
	st, err := bolt.Open(ctx, filepath.Join(dir, "t.db"), bolt.Options{Logger: opts.Logger, Now: clk.Now})
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := st.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	h := opts.Handoff
	if h.DeskPlatform == "" || h.DeskChat == "" {
		h.DeskPlatform, h.DeskChat = "convtest-desk", "cases"
	}
	e := core.NewEngine(st, u, core.EngineOptions{Logger: opts.Logger, Now: clk.Now, Handoff: h})
	for i, t := range tests {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		clk.Set(opts.Now)
		if !t.Now.IsZero() {
			clk.Set(t.Now)
		}
		key := core.ConversationKey{Platform: "convtest", Chat: fmt.Sprintf("test%d", i), User: "customer"}
		start := time.Now()
		r := Result{Test: t}
		for j, s := range t.Steps {
			clk.Add(s.Wait)
			res, err := e.Handle(ctx, core.Message{Key: key, ID: fmt.Sprintf("test%d.step%d", i, j+1), Text: s.User,
				UserName: t.UserName, Language: t.Language, Received: clk.Now()})
			if err != nil {
				if ctx.Err() != nil {
					return results, ctx.Err()
				}
				r.Failures = append(r.Failures, fmt.Sprintf("step %d (line %d): user: %q", j+1, s.Line, s.User), "  error: "+err.Error())
				break
			}
			if diffs := check(s.Bot, res); len(diffs) > 0 {
				r.Failures = append(r.Failures, fmt.Sprintf("step %d (line %d): user: %q", j+1, s.Line, s.User))
				r.Failures = append(r.Failures, diffs...)
			}
			if opts.Verbose {
				r.Trace = append(r.Trace, "you> "+s.User)
				for _, reply := range res.Replies {
					r.Trace = append(r.Trace, "bot> "+strings.ReplaceAll(reply.Text, "\n", "\n     "))
				}
			}
			clk.Add(time.Second)
		}
		r.Took = time.Since(start)
		results = append(results, r)
	}
	return results, nil
}

// check compares one step's answer with the expectations and returns one
// "  what: want …, got …" line (or several) per difference, followed, when
// there is any, by what the bot said (once).
func check(want Expect, res core.Result) []string {
	d := res.Decision
	var texts, quick []string
	for _, r := range res.Replies {
		texts = append(texts, r.Text)
		quick = append(quick, r.QuickReplies...)
	}
	said := strings.Join(texts, "\n")
	var diffs []string
	diff := func(what string, want, got any) {
		diffs = append(diffs, fmt.Sprintf("  %s: want %q, got %q", what, want, got))
	}
	if want.Intent != nil && *want.Intent != d.Intent {
		diff("intent", *want.Intent, d.Intent)
	}
	if want.Flow != nil && *want.Flow != d.State.Flow {
		diff("flow", *want.Flow, d.State.Flow)
	}
	if want.Language != nil && *want.Language != d.Language {
		diff("language", *want.Language, d.Language)
	}
	if want.Handoff != nil && *want.Handoff != d.Handoff {
		diffs = append(diffs, fmt.Sprintf("  handoff: want %v, got %v (reason %q)", *want.Handoff, d.Handoff, d.HandoffReason))
	}
	if want.Fallback != nil && *want.Fallback != d.Fallback {
		diffs = append(diffs, fmt.Sprintf("  fallback: want %v, got %v", *want.Fallback, d.Fallback))
	}
	names := make([]string, 0, len(want.Slots))
	for k := range want.Slots {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if got := d.State.Slots[k]; got != want.Slots[k] {
			diff("slots."+k, want.Slots[k], got)
		}
	}
	quoted := false // the replies are already in diffs
	for _, p := range want.Says {
		if !p.Match(said) && !quoted {
			diffs = append(diffs, fmt.Sprintf("  says: want %q in the replies, got:", p.Source))
			diffs = append(diffs, quote(texts)...)
			quoted = true
		} else if !p.Match(said) {
			diffs = append(diffs, fmt.Sprintf("  says: want %q in the replies", p.Source))
		}
	}
	for _, p := range want.NotSays {
		if p.Match(said) && !quoted {
			diffs = append(diffs, fmt.Sprintf("  not_says: %q is in the replies:", p.Source))
			diffs = append(diffs, quote(texts)...)
			quoted = true
		} else if p.Match(said) {
			diffs = append(diffs, fmt.Sprintf("  not_says: %q is in the replies", p.Source))
		}
	}
	for _, q := range want.QuickReplies {
		if !contains(quick, q) {
			diff("quick_replies", q, quick)
		}
	}
	if len(diffs) > 0 && !quoted {
		// What the bot said explains most failures (a wrong intent, a
		// missing slot); shown without -v.
		diffs = append(diffs, "  bot said:")
		diffs = append(diffs, quote(texts)...)
	}
	return diffs
}

func quote(texts []string) []string {
	if len(texts) == 0 {
		return []string{"    | (no reply)"}
	}
	var out []string
	for _, t := range texts {
		for _, line := range strings.Split(t, "\n") {
			out = append(out, "    | "+line)
		}
	}
	return out
}
