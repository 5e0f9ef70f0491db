package intents

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Bot is a validated bot definition: everything the bot owner wrote in the
// YAML files of one directory, merged. Load and LoadDir return it; it is never
// partially valid. A Bot is not modified after loading and is safe for
// concurrent reads.
type Bot struct {
	// DefaultLanguage answers when the customer's language has no response.
	// It is settings.default_language, "en" when unset.
	DefaultLanguage string
	// Intents in file order, then in the order written.
	Intents []Intent
	// FAQs in file order, then in the order written.
	FAQs []FAQ
	// Fallback is said when the bot does not understand. It has at least one
	// language.
	Fallback Localized
	// Handoff is said when a conversation is handed to a human; it may be
	// empty.
	Handoff Localized
	// SessionTimeout is settings.session_timeout (default 30m): a customer
	// who writes again after longer than this starts afresh (slots and the
	// active flow are forgotten). 0 means never.
	SessionTimeout time.Duration
	// Location is settings.time_zone (default UTC): relative dates such as
	// "tomorrow" are computed in it.
	Location *time.Location
	// DayFirst is settings.date_order: dmy; 3/12 is then 3 December.
	DayFirst bool
	// Entities are the entity types by name: the built-ins and the
	// owner's list and regex entities.
	Entities map[string]*Entity
	// Flows in file order, then in the order written.
	Flows []Flow
	// NoSmallTalk is settings.small_talk: off: no built-in small talk (see
	// SmallTalkPrefix).
	NoSmallTalk bool
	// Messages are the top-level responses: texts for moments the bot
	// speaks on its own (see the Msg constants); keys not given use
	// built-in English and Chinese texts.
	Messages map[string]Localized

	files    []string
	warnings []Problem
}

// Intent is one thing a customer may want, recognised from example phrases.
type Intent struct {
	Name string
	// Examples are the training phrases, per language.
	Examples map[string][]string
	// Responses are the answer variants per language; one is picked at random.
	// Empty only when Handoff is true and the bot has a Handoff message.
	Responses Localized
	// QuickReplies are suggested answers shown as buttons, per language.
	QuickReplies map[string][]string
	// Handoff marks "talk to a human": recognising it hands the conversation
	// to an agent.
	Handoff bool
	// Pos is where the intent is defined.
	Pos Pos

	responsesBad bool // responses had problems (already reported)
}

// FAQ is one frequently asked question and its answer. FAQs are recognised
// like intents, from their question variants.
type FAQ struct {
	ID string
	// Questions are the ways to ask it, per language.
	Questions map[string][]string
	// Answer holds the answer variants per language.
	Answer Localized
	// QuickReplies are suggested answers shown as buttons, per language.
	QuickReplies map[string][]string
	// Pos is where the entry is defined.
	Pos Pos
}

// Label is the classifier label of the FAQ and the intent name reported in
// decisions: "faq:" followed by its id. Intent names cannot contain ':', so
// labels of intents and FAQs never collide.
func (f FAQ) Label() string { return faqPrefix + f.ID }

const faqPrefix = "faq:"

// Pos is a position in a bot file. Line 0 means the file as a whole.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Files returns the names of the files the bot was loaded from, in load
// order, as they appear in problems.
func (b *Bot) Files() []string { return append([]string(nil), b.files...) }

// Warnings returns the warning-level problems found while loading: things
// that work but are probably not what the bot owner meant (a language with
// responses but no examples, few examples, the same phrase under two
// intents). They do not make Load fail.
func (b *Bot) Warnings() []Problem { return append([]Problem(nil), b.warnings...) }

// Languages returns the languages that have examples or questions, sorted.
func (b *Bot) Languages() []string {
	set := map[string]bool{}
	for _, in := range b.Intents {
		for l := range in.Examples {
			set[l] = true
		}
	}
	for _, f := range b.FAQs {
		for l := range f.Questions {
			set[l] = true
		}
	}
	return sortedKeys(set)
}

// Problem is one thing wrong in the bot files, at File:Line (Line 0: the file
// as a whole, or the directory when File names it).
type Problem struct {
	File string
	Line int
	Msg  string
	// Warning is true for problems that do not make loading fail.
	Warning bool
}

// String formats the problem as "file:line: msg", or "file:line: warning: msg".
func (p Problem) String() string {
	s := Pos{p.File, p.Line}.String() + ": "
	if p.Warning {
		s += "warning: "
	}
	return s + p.Msg
}

// ValidationError lists every problem found in the bot files. Load returns it
// when at least one problem is an error; Problems then also holds the
// warnings, sorted by file (in load order) and line.
type ValidationError struct {
	Problems []Problem
}

// Error prints one problem per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Errors returns the number of problems that are errors (not warnings).
func (e *ValidationError) Errors() int {
	n := 0
	for _, p := range e.Problems {
		if !p.Warning {
			n++
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
