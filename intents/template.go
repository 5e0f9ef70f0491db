package intents

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Data is what a response template sees: {{.UserName}}, {{.Slots.order_id}},
// {{.Language}}, and {{.Date .Slots.pickup_date}} (see Date). A slot that
// is not set renders as the empty string.
type Data struct {
	UserName string
	Slots    map[string]string
	Language string
}

// Template is one response variant: a Go text/template. Templates are parsed
// with missingkey=zero (an unset slot renders as "") and executed once with
// empty Data when the bot is loaded, which catches unknown functions and
// misspelt fields outside conditionals. A Template is safe for concurrent use.
type Template struct {
	src  string
	tmpl *template.Template
	pos  Pos // where the bot file defines it; zero for ParseTemplate
}

// ParseTemplate parses src as a response template. It returns an error when
// src does not parse or does not execute on empty Data (e.g. it names a field
// Data does not have); the message leaves out text/template's own prefix.
func ParseTemplate(src string) (*Template, error) {
	t, err := template.New("t").Option("missingkey=zero").Parse(src)
	if err != nil {
		return nil, errors.New(cleanTemplateErr(err))
	}
	tp := &Template{src: src, tmpl: t}
	if _, err := tp.Execute(Data{}); err != nil {
		return nil, err
	}
	return tp, nil
}

// Source returns the template text as written.
func (t *Template) Source() string { return t.src }

// Pos returns where the template is defined in the bot files (the zero Pos
// for templates made with ParseTemplate).
func (t *Template) Pos() Pos { return t.pos }

// SlotRefs returns the slot names the template reads, as {{.Slots.name}} or
// {{index .Slots "name"}}, in order of appearance, without duplicates. A
// template that reads .Slots in another way (ranges over it, passes it to a
// function) has refs it cannot list; dynamic is then true.
func (t *Template) SlotRefs() (refs []string, dynamic bool) {
	seen := map[string]bool{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			refs = append(refs, name)
		}
	}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			if len(n.Args) >= 3 {
				if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "index" {
					if f, ok := n.Args[1].(*parse.FieldNode); ok && len(f.Ident) == 1 && f.Ident[0] == "Slots" {
						if s, ok := n.Args[2].(*parse.StringNode); ok {
							add(s.Text)
							for _, a := range n.Args[3:] {
								walk(a)
							}
							return
						}
					}
				}
			}
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			if len(n.Ident) >= 2 && n.Ident[0] == "Slots" {
				add(n.Ident[1])
			} else if len(n.Ident) == 1 && n.Ident[0] == "Slots" {
				dynamic = true
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	if t.tmpl.Tree != nil {
		walk(t.tmpl.Tree.Root)
	}
	return refs, dynamic
}

// maxOutput bounds what one template may render.
const maxOutput = 64 << 10

// Execute renders the template with d, trimming surrounding white space. It
// returns an error when execution fails or the output exceeds 64 KiB.
func (t *Template) Execute(d Data) (string, error) {
	w := &limitedBuilder{max: maxOutput}
	if err := t.tmpl.Execute(w, d); err != nil {
		return "", errors.New(cleanTemplateErr(err))
	}
	return strings.TrimSpace(w.b.String()), nil
}

// limitedBuilder is a strings.Builder that fails past max bytes, which stops
// the template's execution.
type limitedBuilder struct {
	b   strings.Builder
	max int
}

func (w *limitedBuilder) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.max {
		return 0, fmt.Errorf("output longer than %d bytes", w.max)
	}
	return w.b.Write(p)
}

var templateErrPrefix = regexp.MustCompile(`^template: t:[0-9:]*:? ?(executing "t" )?`)

// cleanTemplateErr drops text/template's "template: t:1:5: executing "t""
// prefix, which names our internal template name rather than the file.
func cleanTemplateErr(err error) string {
	msg := templateErrPrefix.ReplaceAllString(err.Error(), "")
	return strings.ReplaceAll(msg, "type intents.Data", "the template data (UserName, Slots, Language)")
}

// Localized holds text variants per language (lower-case BCP-47-ish keys such
// as "en", "zh", "zh-hant").
type Localized map[string][]*Template

// Languages returns the languages that have at least one variant, sorted.
func (l Localized) Languages() []string {
	var langs []string
	for _, k := range sortedKeys(l) {
		if len(l[k]) > 0 {
			langs = append(langs, k)
		}
	}
	return langs
}

// Lookup returns the variants to answer a customer writing in lang: those of
// lang (or of a language with the same base, "zh" for "zh-cn"), else those of
// def, else those of the alphabetically first language. It returns the
// language it chose, and "" and nil when l is empty.
func (l Localized) Lookup(lang, def string) (string, []*Template) {
	langs := l.Languages()
	if len(langs) == 0 {
		return "", nil
	}
	if m, ok := matchLanguage(langs, lang); ok {
		return m, l[m]
	}
	if m, ok := matchLanguage(langs, def); ok {
		return m, l[m]
	}
	return langs[0], l[langs[0]]
}

// Render picks one variant of the language Lookup chooses at random with rng
// and executes it with d. It returns the text and the language it is written
// in. If the picked variant fails to execute (say "{{if .UserName}}{{.UserName.X}}{{end}}"
// with a user name set) the others are tried in turn; the error says why the
// last one failed. Render returns an error when l is empty.
func (l Localized) Render(rng *rand.Rand, lang, def string, d Data) (text, language string, err error) {
	language, variants := l.Lookup(lang, def)
	if len(variants) == 0 {
		return "", "", errors.New("no response variants")
	}
	d.Language = language
	start := rng.IntN(len(variants))
	for i := range variants {
		t := variants[(start+i)%len(variants)]
		text, err = t.Execute(d)
		if err == nil {
			return text, language, nil
		}
	}
	return "", language, fmt.Errorf("render %s response: %w", language, err)
}

// matchLanguage finds want among langs (sorted, lower-case): exactly, then by
// base language ("zh-cn" → "zh"), then the first with the same base ("zh" →
// "zh-hans").
func matchLanguage(langs []string, want string) (string, bool) {
	want = strings.ToLower(strings.TrimSpace(want))
	if want == "" {
		return "", false
	}
	base := baseLanguage(want)
	for _, l := range langs {
		if l == want {
			return l, true
		}
	}
	for _, l := range langs {
		if l == base {
			return l, true
		}
	}
	for _, l := range langs {
		if baseLanguage(l) == base {
			return l, true
		}
	}
	return "", false
}

func baseLanguage(tag string) string {
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		return tag[:i]
	}
	return tag
}

// lookupStrings returns the strings of m in lang (matched like Lookup), or
// nil: quick replies are shown only in the language of the reply.
func lookupStrings(m map[string][]string, lang string) []string {
	langs := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		if len(m[k]) > 0 {
			langs = append(langs, k)
		}
	}
	if l, ok := matchLanguage(langs, lang); ok {
		return m[l]
	}
	return nil
}

// Date shows an ISO 8601 date (the value of a date slot, "2026-12-18") to
// the customer in the reply's language, as {{.Date .Slots.pickup_date}}:
// "Friday 18 December" in English, "12月18日（周五）" in Chinese. Text that
// is not such a date, and dates in other languages, are returned unchanged.
func (d Data) Date(iso string) string {
	t, err := time.Parse("2006-01-02", strings.TrimSpace(iso))
	if err != nil {
		return iso
	}
	switch baseLanguage(strings.ToLower(d.Language)) {
	case "en":
		return t.Format("Monday 2 January")
	case "zh":
		return fmt.Sprintf("%d月%d日（周%s）", t.Month(), t.Day(), []string{"日", "一", "二", "三", "四", "五", "六"}[t.Weekday()])
	}
	return iso
}
