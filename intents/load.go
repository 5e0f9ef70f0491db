package intents

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var sampleFS embed.FS

// Sample returns the sample bot shipped in the binary (a small online shop
// answering in English and Chinese): the *.yaml files of this package's
// directory. Load(Sample(), ".") loads it. The returned FS is read-only.
func Sample() fs.FS { return sampleFS }

// Load reads the bot files under dir in fsys and validates them. dir names a
// directory, whose *.yaml and *.yml files are read in name order
// (subdirectories are not read), or a single YAML file. Problems name files by
// their path in fsys.
//
// Load returns a *ValidationError listing every problem when the files do not
// form a valid bot (including YAML syntax errors and a directory without bot
// files), and another error, wrapping the fs error, when dir cannot be read;
// errors.Is(err, fs.ErrNotExist) tells that dir does not exist.
func Load(fsys fs.FS, dir string) (*Bot, error) {
	return load(fsys, path.Clean(dir), func(p string) string { return p })
}

// LoadDir is Load on the operating system's file system: path is a directory
// of bot files or one bot file. Problems name files by their OS path.
func LoadDir(dirPath string) (*Bot, error) {
	fi, err := os.Stat(dirPath)
	if err != nil {
		return nil, fmt.Errorf("intents: %w", err)
	}
	if fi.IsDir() {
		return load(os.DirFS(dirPath), ".", func(p string) string {
			return filepath.Join(dirPath, filepath.FromSlash(p))
		})
	}
	parent := filepath.Dir(dirPath)
	return load(os.DirFS(parent), filepath.Base(dirPath), func(p string) string {
		return filepath.Join(parent, filepath.FromSlash(p))
	})
}

func load(fsys fs.FS, dir string, show func(string) string) (*Bot, error) {
	fi, err := fs.Stat(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("intents: read %s: %w", show(dir), err)
	}
	var names []string
	if fi.IsDir() {
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return nil, fmt.Errorf("intents: read %s: %w", show(dir), err)
		}
		for _, e := range entries {
			if !e.IsDir() && isBotFile(e.Name()) {
				names = append(names, path.Join(dir, e.Name()))
			}
		}
		sort.Strings(names)
	} else {
		names = []string{dir}
	}

	l := newLoader()
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("intents: read %s: %w", show(name), err)
		}
		file := show(name)
		l.bot.files = append(l.bot.files, file)
		l.parseFile(file, data)
	}
	l.finish(show(dir))
	return l.result()
}

func isBotFile(name string) bool {
	ext := strings.ToLower(path.Ext(name))
	return (ext == ".yaml" || ext == ".yml") && !strings.HasPrefix(name, ".")
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner). yaml.v3 v3.0.1 adds 1 to the 0-based line of scanner errors only,
// so the lines of these are one too low.
var parserProblems = map[string]bool{
	"did not find expected key":              true,
	"did not find expected '-' indicator":    true,
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected node content":     true,
	"did not find expected <document start>": true,
}

// parseFile parses every YAML document of one file into l.
func (l *loader) parseFile(file string, data []byte) {
	p := &fileParser{l: l, file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, msg := syntaxProblem(data, err)
			l.errorf(file, line, "YAML syntax: %s", msg)
			l.unparsed = true
			return
		}
		if len(doc.Content) == 0 || isNull(doc.Content[0]) {
			continue
		}
		docs++
		p.document(doc.Content[0])
	}
	if docs == 0 {
		l.errorf(file, 0, "empty file: want a mapping with keys %s", strings.Join(topKeys, ", "))
	}
}

// Keys allowed in each kind of mapping.
var (
	topKeys      = []string{"settings", "intents", "faq", "fallback", "handoff", "entities", "flows", "responses"}
	settingsKeys = []string{"default_language", "session_timeout", "time_zone", "date_order", "small_talk"}
	intentKeys   = []string{"name", "examples", "responses", "quick_replies", "handoff"}
	faqKeys      = []string{"id", "questions", "answer", "quick_replies"}
)

// fileParser turns the YAML nodes of one file into bot parts, reporting
// problems to its loader.
type fileParser struct {
	l    *loader
	file string
}

func (p *fileParser) errorf(n *yaml.Node, format string, args ...any) {
	p.l.errorf(p.file, n.Line, format, args...)
}

func (p *fileParser) document(root *yaml.Node) {
	for _, kv := range p.mapping(root, "top level", topKeys) {
		switch kv.key {
		case "settings":
			p.settings(kv.val)
		case "intents":
			for i, n := range p.list(kv.val, "intents") {
				p.intent(n, i)
			}
		case "faq":
			for i, n := range p.list(kv.val, "faq") {
				p.faq(n, i)
			}
		case "fallback":
			p.l.fallbackGiven = true
			msgs, lines := p.templatesAt(kv.val, "fallback")
			p.l.addMessages(p.file, "fallback", p.l.fallbackPos, p.l.bot.Fallback, msgs, lines)
		case "handoff":
			msgs, lines := p.templatesAt(kv.val, "handoff")
			p.l.addMessages(p.file, "handoff", p.l.handoffPos, p.l.bot.Handoff, msgs, lines)
		case "entities":
			p.entities(kv.val)
		case "flows":
			for i, n := range p.list(kv.val, "flows") {
				p.flow(n, i)
			}
		case "responses":
			p.responses(kv.val)
		}
	}
}

func (p *fileParser) settings(n *yaml.Node) {
	for _, kv := range p.mapping(n, "settings", settingsKeys) {
		s, ok := p.text(kv.val, "settings."+kv.key)
		if !ok {
			continue
		}
		switch kv.key {
		case "default_language":
			if lang, ok := p.language(kv.val, s); ok {
				p.l.setDefaultLanguage(p.file, kv.val.Line, lang)
			}
		default:
			p.setting(kv.key, kv.val, s)
		}
	}
}

// context names a list item in messages: by its name or id when it has a
// valid one, else by its index.
func (p *fileParser) context(n *yaml.Node, key, byIndex, byName string) string {
	if n.Kind != yaml.MappingNode {
		return byIndex
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == key && v.Kind == yaml.ScalarNode && namePattern.MatchString(v.Value) {
			return fmt.Sprintf(byName, v.Value)
		}
	}
	return byIndex
}

var namePattern = regexp.MustCompile(`^[\p{L}\p{N}_][\p{L}\p{N}_.\-]*$`)

// name reads the name of an intent or the id of an FAQ entry.
func (p *fileParser) name(pairs []pair, key, ctx string, n *yaml.Node) (string, bool) {
	for _, kv := range pairs {
		if kv.key != key {
			continue
		}
		s, ok := p.text(kv.val, ctx+"."+key)
		if !ok {
			return "", false
		}
		if !namePattern.MatchString(s) {
			p.errorf(kv.val, "%s %q: use letters, digits, '_', '-' and '.' only", key, s)
			return "", false
		}
		return s, true
	}
	p.errorf(n, "%s: missing %s", ctx, key)
	return "", false
}

func (p *fileParser) intent(n *yaml.Node, i int) {
	ctx := p.context(n, "name", fmt.Sprintf("intents[%d]", i), "intent %q")
	pairs := p.mapping(n, ctx, intentKeys)
	if n.Kind != yaml.MappingNode {
		return
	}
	name, named := p.name(pairs, "name", ctx, n)
	in := Intent{Name: name, Pos: Pos{p.file, n.Line}}
	examplesBad := false
	for _, kv := range pairs {
		before := len(p.l.problems)
		switch kv.key {
		case "examples":
			in.Examples = p.langTexts(kv.val, ctx+".examples")
			examplesBad = len(p.l.problems) > before
		case "responses":
			in.Responses = p.templates(kv.val, ctx+".responses")
			in.responsesBad = len(p.l.problems) > before
		case "quick_replies":
			in.QuickReplies = p.langTexts(kv.val, ctx+".quick_replies")
		case "handoff":
			in.Handoff, _ = p.boolean(kv.val, ctx+".handoff")
		}
	}
	if len(in.Examples) == 0 && !examplesBad {
		p.errorf(n, "%s has no examples", ctx)
	}
	if named {
		p.l.addIntent(in)
	}
}

func (p *fileParser) faq(n *yaml.Node, i int) {
	ctx := p.context(n, "id", fmt.Sprintf("faq[%d]", i), "faq %q")
	pairs := p.mapping(n, ctx, faqKeys)
	if n.Kind != yaml.MappingNode {
		return
	}
	id, named := p.name(pairs, "id", ctx, n)
	f := FAQ{ID: id, Pos: Pos{p.file, n.Line}}
	questionsBad, answerBad := false, false
	for _, kv := range pairs {
		before := len(p.l.problems)
		switch kv.key {
		case "questions":
			f.Questions = p.langTexts(kv.val, ctx+".questions")
			questionsBad = len(p.l.problems) > before
		case "answer":
			f.Answer = p.templates(kv.val, ctx+".answer")
			answerBad = len(p.l.problems) > before
		case "quick_replies":
			f.QuickReplies = p.langTexts(kv.val, ctx+".quick_replies")
		}
	}
	if len(f.Questions) == 0 && !questionsBad {
		p.errorf(n, "%s has no questions", ctx)
	}
	if len(f.Answer) == 0 && !answerBad {
		p.errorf(n, "%s has no answer", ctx)
	}
	if named {
		p.l.addFAQ(f)
	}
}
