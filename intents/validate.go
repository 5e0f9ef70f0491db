package intents

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
)

// Thresholds for warnings about training data.
const (
	minExamples         = 5  // fewer examples in a language than this: warning
	recommendedExamples = 10 // what the warning recommends
)

// loader merges the files of one bot and collects problems.
type loader struct {
	bot      *Bot
	problems []Problem

	intentPos     map[string]Pos
	faqPos        map[string]Pos
	fallbackPos   map[string]Pos // per language
	handoffPos    map[string]Pos // per language
	defaultPos    *Pos
	examples      map[string]exampleOwner // normalized phrase → first owner
	settingPos    map[string]Pos          // settings other than default_language
	flowPos       map[string]Pos
	messagePos    map[string]map[string]Pos // responses: key → language → position
	unparsed      bool                      // a file had a YAML syntax error
	fallbackGiven bool                      // some file has a fallback key, maybe with errors
}

type exampleOwner struct {
	label string
	pos   Pos
}

func newLoader() *loader {
	return &loader{
		bot: &Bot{Fallback: Localized{}, Handoff: Localized{}, SessionTimeout: DefaultSessionTimeout,
			Location: time.UTC, Entities: builtinEntities(), Messages: map[string]Localized{}},
		settingPos:  map[string]Pos{},
		flowPos:     map[string]Pos{},
		messagePos:  map[string]map[string]Pos{},
		intentPos:   map[string]Pos{},
		faqPos:      map[string]Pos{},
		fallbackPos: map[string]Pos{},
		handoffPos:  map[string]Pos{},
		examples:    map[string]exampleOwner{},
	}
}

func (l *loader) errorf(file string, line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) warnf(file string, line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...), Warning: true})
}

func (l *loader) setDefaultLanguage(file string, line int, lang string) {
	if l.defaultPos != nil {
		l.errorf(file, line, "settings.default_language already set at %s", l.defaultPos)
		return
	}
	l.defaultPos = &Pos{file, line}
	l.bot.DefaultLanguage = lang
}

func (l *loader) addIntent(in Intent) {
	if first, dup := l.intentPos[in.Name]; dup {
		l.errorf(in.Pos.File, in.Pos.Line, "duplicate intent %q (first defined at %s)", in.Name, first)
		return
	}
	l.intentPos[in.Name] = in.Pos
	l.checkExamples(in.Name, in.Pos, in.Examples)
	l.bot.Intents = append(l.bot.Intents, in)
}

func (l *loader) addFlow(f Flow) {
	if first, dup := l.flowPos[f.Name]; dup {
		l.errorf(f.Pos.File, f.Pos.Line, "duplicate flow %q (first defined at %s)", f.Name, first)
		return
	}
	l.flowPos[f.Name] = f.Pos
	l.bot.Flows = append(l.bot.Flows, f)
}

func (l *loader) addFAQ(f FAQ) {
	if first, dup := l.faqPos[f.ID]; dup {
		l.errorf(f.Pos.File, f.Pos.Line, "duplicate faq id %q (first defined at %s)", f.ID, first)
		return
	}
	l.faqPos[f.ID] = f.Pos
	l.checkExamples(f.Label(), f.Pos, f.Questions)
	l.bot.FAQs = append(l.bot.FAQs, f)
}

// checkExamples warns about phrases that appear twice and languages with
// few phrases: both make the classifier worse without breaking it.
func (l *loader) checkExamples(label string, pos Pos, examples map[string][]string) {
	for _, lang := range sortedKeys(examples) {
		distinct := 0
		for _, ex := range examples[lang] {
			key := normalizePhrase(ex)
			first, dup := l.examples[key]
			switch {
			case !dup:
				l.examples[key] = exampleOwner{label, pos}
				distinct++
			case first.label == label:
				l.warnf(pos.File, pos.Line, "%s: example %q given twice", describeLabel(label), ex)
			default:
				l.warnf(pos.File, pos.Line, "%s: example %q is also an example of %s (%s)",
					describeLabel(label), ex, describeLabel(first.label), first.pos)
			}
		}
		if distinct < minExamples {
			l.warnf(pos.File, pos.Line, "%s has %d %s examples; %d or more work best",
				describeLabel(label), distinct, lang, recommendedExamples)
		}
	}
}

// addMessages merges the fallback or handoff message of one file, language
// by language.
func (l *loader) addMessages(file, what string, seen map[string]Pos, dst, src Localized, lines map[string]int) {
	for _, lang := range sortedKeys(src) {
		line := lines[lang]
		if first, dup := seen[lang]; dup {
			l.errorf(file, line, "%s for %q already defined at %s", what, lang, first)
			continue
		}
		seen[lang] = Pos{file, line}
		dst[lang] = src[lang]
	}
}

// finish runs the checks that need all files; dir names the directory in
// problems that belong to no file.
func (l *loader) finish(dir string) {
	b := l.bot
	if b.DefaultLanguage == "" {
		b.DefaultLanguage = "en"
	}
	if len(b.files) == 0 {
		l.errorf(dir, 0, "no bot files (*.yaml, *.yml)")
		return
	}
	if l.unparsed {
		return // what is missing may be in the part that did not parse
	}
	if len(b.Intents) == 0 && len(b.FAQs) == 0 && !l.hasErrors() {
		l.errorf(dir, 0, "no intents and no faq entries")
	}
	if len(b.Fallback) == 0 && !(l.fallbackGiven && l.hasErrors()) {
		l.errorf(dir, 0, "no fallback response: add fallback: {%s: [\"Sorry, I didn't get that.\"]}", b.DefaultLanguage)
	}
	l.checkFlows()
	for _, in := range b.Intents {
		if in.responsesBad || (len(in.Responses) == 0 && b.flowFor(in.Name) != nil) {
			continue // a flow's intent may leave the talking to its flow
		}
		if len(in.Responses) == 0 && !(in.Handoff && len(b.Handoff) > 0) {
			if in.Handoff {
				l.errorf(in.Pos.File, in.Pos.Line, "intent %q has no responses and the bot has no handoff message", in.Name)
			} else {
				l.errorf(in.Pos.File, in.Pos.Line, "intent %q has no responses", in.Name)
			}
			continue
		}
		responses := in.Responses
		if len(responses) == 0 {
			responses = b.Handoff
		}
		l.checkLanguages(fmt.Sprintf("intent %q", in.Name), in.Pos, in.Examples, responses, "responses")
	}
	for _, f := range b.FAQs {
		l.checkLanguages(fmt.Sprintf("faq %q", f.ID), f.Pos, f.Questions, f.Answer, "answer")
	}
	for _, lang := range b.Languages() {
		if _, ok := matchLanguage(b.Fallback.Languages(), lang); !ok && len(b.Fallback) > 0 {
			pos := l.fallbackPos[b.Fallback.Languages()[0]]
			l.warnf(pos.File, pos.Line, "no %s fallback, though there are %s examples", lang, lang)
		}
	}
}

// checkLanguages warns when the languages of examples and answers differ.
func (l *loader) checkLanguages(ctx string, pos Pos, examples map[string][]string, answers Localized, what string) {
	if len(examples) == 0 || len(answers) == 0 {
		return // already an error
	}
	exLangs := sortedKeys(examples)
	for _, lang := range answers.Languages() {
		if _, ok := matchLanguage(exLangs, lang); !ok {
			l.warnf(pos.File, pos.Line, "%s has %s %s but no %s examples", ctx, lang, what, lang)
		}
	}
	for _, lang := range exLangs {
		if _, ok := matchLanguage(answers.Languages(), lang); !ok {
			got, _ := answers.Lookup(lang, l.bot.DefaultLanguage)
			l.warnf(pos.File, pos.Line, "%s has %s examples but no %s %s; %s customers get the %s one", ctx, lang, lang, what, lang, got)
		}
	}
}

func (l *loader) hasErrors() bool {
	for _, p := range l.problems {
		if !p.Warning {
			return true
		}
	}
	return false
}

// result sorts the problems and returns the bot or a *ValidationError.
func (l *loader) result() (*Bot, error) {
	order := map[string]int{}
	for i, f := range l.bot.files {
		order[f] = i
	}
	rank := func(file string) int {
		if i, ok := order[file]; ok {
			return i
		}
		return len(order) // problems of the directory come last
	}
	sort.SliceStable(l.problems, func(i, j int) bool {
		a, b := l.problems[i], l.problems[j]
		if ra, rb := rank(a.File), rank(b.File); ra != rb {
			return ra < rb
		}
		return a.Line < b.Line
	})
	if l.hasErrors() {
		return nil, &ValidationError{Problems: l.problems}
	}
	l.bot.warnings = l.problems
	return l.bot, nil
}

func describeLabel(label string) string {
	if kind, ok := strings.CutPrefix(label, SmallTalkPrefix); ok {
		return fmt.Sprintf("the built-in small talk %q", kind)
	}
	if id, ok := strings.CutPrefix(label, faqPrefix); ok {
		return fmt.Sprintf("faq %q", id)
	}
	return fmt.Sprintf("intent %q", label)
}

// normalizePhrase folds case, punctuation and white space so that phrases
// differing only in those count as the same example.
func normalizePhrase(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}
