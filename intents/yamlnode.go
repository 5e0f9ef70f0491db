package intents

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// This file holds fileParser's typed readers of YAML nodes: each reports a
// node of the wrong shape at its line and returns what it could read.

// pair is one key and value of a mapping.
type pair struct {
	key      string
	keyNode  *yaml.Node
	val      *yaml.Node
	language string // the normalized key, for language maps
}

// mapping returns the pairs of n, reporting a node that is not a mapping,
// keys that are not text, duplicate keys and (when allowed is not nil) keys
// not in allowed. Reported pairs are left out.
func (p *fileParser) mapping(n *yaml.Node, ctx string, allowed []string) []pair {
	if !p.want(n, yaml.MappingNode, ctx, "a mapping") {
		return nil
	}
	var pairs []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || isNull(k) {
			p.errorf(k, "%s: keys must be text, got %s", ctx, describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			p.errorf(k, "%s: duplicate key %q (first at line %d)", ctx, k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		if allowed != nil && !contains(allowed, k.Value) {
			p.errorf(k, "%s: unknown key %q; want one of %s", ctx, k.Value, strings.Join(allowed, ", "))
			continue
		}
		pairs = append(pairs, pair{key: k.Value, keyNode: k, val: v})
	}
	return pairs
}

// list returns the items of a sequence, reporting a node that is not one.
func (p *fileParser) list(n *yaml.Node, ctx string) []*yaml.Node {
	if !p.want(n, yaml.SequenceNode, ctx, "a list") {
		return nil
	}
	return n.Content
}

// want reports n unless it is of kind; aliases are always reported.
func (p *fileParser) want(n *yaml.Node, kind yaml.Kind, ctx, what string) bool {
	if n.Kind == yaml.AliasNode {
		p.errorf(n, "%s: aliases (*%s) are not supported", ctx, n.Value)
		return false
	}
	if n.Kind != kind {
		p.errorf(n, "%s: want %s, got %s", ctx, what, describe(n))
		return false
	}
	return true
}

// text returns a scalar's value, reporting other nodes and empty text.
func (p *fileParser) text(n *yaml.Node, ctx string) (string, bool) {
	if !p.want(n, yaml.ScalarNode, ctx, "text") {
		return "", false
	}
	if isNull(n) || strings.TrimSpace(n.Value) == "" {
		p.errorf(n, "%s: empty text", ctx)
		return "", false
	}
	return n.Value, true
}

// texts reads one text or a list of texts; item lines are returned too.
func (p *fileParser) texts(n *yaml.Node, ctx string) ([]string, []int) {
	if n.Kind == yaml.ScalarNode && !isNull(n) {
		s, ok := p.text(n, ctx)
		if !ok {
			return nil, nil
		}
		return []string{s}, []int{n.Line}
	}
	if !p.want(n, yaml.SequenceNode, ctx, "text or a list of texts") {
		return nil, nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, "%s: empty list", ctx)
	}
	var out []string
	var lines []int
	for _, item := range n.Content {
		if s, ok := p.text(item, ctx); ok {
			out = append(out, s)
			lines = append(lines, item.Line)
		}
	}
	return out, lines
}

var languagePattern = regexp.MustCompile(`^[a-z]{2,3}([-_][a-z0-9]{1,8})*$`)

// language validates a language key and returns it in lower case.
func (p *fileParser) language(n *yaml.Node, key string) (string, bool) {
	lang := strings.ToLower(key)
	if !languagePattern.MatchString(lang) {
		p.errorf(n, "language %q: want a language code such as en, zh or zh-Hant", key)
		return "", false
	}
	return lang, true
}

// languages returns the pairs of a language map, with normalized languages.
func (p *fileParser) languages(n *yaml.Node, ctx string) []pair {
	var out []pair
	seen := map[string]int{}
	for _, kv := range p.mapping(n, ctx, nil) {
		lang, ok := p.language(kv.keyNode, kv.key)
		if !ok {
			continue
		}
		if first, dup := seen[lang]; dup {
			p.errorf(kv.keyNode, "%s: language %q given twice (first at line %d)", ctx, lang, first)
			continue
		}
		seen[lang] = kv.keyNode.Line
		kv.language = lang
		out = append(out, kv)
	}
	return out
}

// langTexts reads a map of language to text or list of texts.
func (p *fileParser) langTexts(n *yaml.Node, ctx string) map[string][]string {
	out := map[string][]string{}
	for _, kv := range p.languages(n, ctx) {
		if ts, _ := p.texts(kv.val, ctx+"."+kv.key); len(ts) > 0 {
			out[kv.language] = ts
		}
	}
	return out
}

// templates reads a map of language to template or list of templates.
func (p *fileParser) templates(n *yaml.Node, ctx string) Localized {
	out, _ := p.templatesAt(n, ctx)
	return out
}

// templatesAt is templates that also returns the line of each language.
func (p *fileParser) templatesAt(n *yaml.Node, ctx string) (Localized, map[string]int) {
	out := Localized{}
	lines := map[string]int{}
	for _, kv := range p.languages(n, ctx) {
		lines[kv.language] = kv.keyNode.Line
		srcs, srcLines := p.texts(kv.val, ctx+"."+kv.key)
		for i, src := range srcs {
			t, err := ParseTemplate(src)
			if err != nil {
				p.l.errorf(p.file, srcLines[i], "%s.%s: template: %v", ctx, kv.key, err)
				continue
			}
			t.pos = Pos{p.file, srcLines[i]}
			out[kv.language] = append(out[kv.language], t)
		}
	}
	return out, lines
}

// boolean reads true or false.
func (p *fileParser) boolean(n *yaml.Node, ctx string) (bool, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b, true
		}
	}
	if n.Kind == yaml.AliasNode {
		p.want(n, yaml.ScalarNode, ctx, "")
		return false, false
	}
	p.errorf(n, "%s: want true or false, got %s", ctx, describe(n))
	return false, false
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names the kind of a node for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if isNull(n) {
			return "nothing"
		}
		return fmt.Sprintf("%q", truncate(n.Value, 40))
	}
	return "a document"
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
