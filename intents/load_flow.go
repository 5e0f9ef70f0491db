package intents

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // settings.time_zone works on systems without a zone database

	"gopkg.in/yaml.v3"

	"github.com/switchboard-gw/switchboard/intents/entity"
)

// This file parses the keys of multi-turn dialogue: settings other than
// the language, entities, flows and responses. Checks that need every file
// (unknown entities, intents and slots, cycles) are in check_flow.go.

var (
	flowKeys       = []string{"name", "intent", "slots", "max_attempts", "on_failure", "failure_response", "response", "action", "then"}
	slotKeys       = []string{"name", "entity", "prompt", "reprompt", "quick_replies", "validate", "reask_on_no"}
	validateKeys   = []string{"regex", "values", "min", "max"}
	actionKeys     = []string{"url", "secret", "secret_env", "timeout", "error_response", "allow_private"}
	dateOrderWords = []string{"mdy", "dmy"}
)

// setting reads one of session_timeout, time_zone, date_order.
func (p *fileParser) setting(key string, n *yaml.Node, s string) {
	if first, dup := p.l.settingPos[key]; dup {
		p.errorf(n, "settings.%s already set at %s", key, first)
		return
	}
	p.l.settingPos[key] = Pos{p.file, n.Line}
	b := p.l.bot
	switch key {
	case "session_timeout":
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || (d > 0 && d < time.Minute) {
			p.errorf(n, "settings.session_timeout %q: want a duration of at least 1m such as 30m or 2h, or 0 for never", s)
			return
		}
		b.SessionTimeout = d
	case "time_zone":
		loc, err := time.LoadLocation(s)
		if err != nil || s == "" || strings.EqualFold(s, "local") {
			p.errorf(n, "settings.time_zone %q: want an IANA time zone such as Europe/Berlin, Asia/Shanghai or UTC", s)
			return
		}
		b.Location = loc
	case "date_order":
		if !contains(dateOrderWords, s) {
			p.errorf(n, "settings.date_order %q: want mdy (12/3 is December 3) or dmy (12/3 is 12 March)", s)
			return
		}
		b.DayFirst = s == "dmy"
	case "small_talk":
		switch strings.ToLower(s) {
		case "on", "true", "yes":
			b.NoSmallTalk = false
		case "off", "false", "no":
			b.NoSmallTalk = true
		default:
			p.errorf(n, "settings.small_talk %q: want on (built-in small talk: bot identity, ok/thanks, greetings, goodbyes, never mind) or off", s)
		}
	}
}

// regexEntityKeys are the keys of a regex entity written as a mapping.
var regexEntityKeys = []string{"regex", "case"}

// isRegexForm reports whether an entity's mapping is {regex: …, case: …}
// rather than a list of values (a list value cannot be called "regex" and
// have a text for synonyms).
func isRegexForm(n *yaml.Node) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "regex" && n.Content[i+1].Kind == yaml.ScalarNode {
			return true
		}
	}
	return false
}

// entities reads the owner's entity types: a text is a regex, a mapping
// with a regex key a regex with options, another mapping of values to
// synonyms a list.
func (p *fileParser) entities(n *yaml.Node) {
	for _, kv := range p.mapping(n, "entities", nil) {
		name := kv.key
		ctx := fmt.Sprintf("entity %q", name)
		if !namePattern.MatchString(name) {
			p.errorf(kv.keyNode, "entity name %q: use letters, digits, '_', '-' and '.' only", name)
			continue
		}
		if e, dup := p.l.bot.Entities[name]; dup {
			if e.Kind == "builtin" {
				p.errorf(kv.keyNode, "%s: there is a built-in entity of that name; choose another", ctx)
			} else {
				p.errorf(kv.keyNode, "duplicate entity %q (first defined at %s)", name, e.Pos)
			}
			continue
		}
		e := &Entity{Name: name, Pos: Pos{p.file, kv.keyNode.Line}}
		switch {
		case kv.val.Kind == yaml.ScalarNode && !isNull(kv.val):
			re, err := entity.NewRegex(kv.val.Value)
			if err != nil {
				p.errorf(kv.val, "%s: invalid regex: %v", ctx, err)
				continue
			}
			e.Kind, e.Regex, e.Extractor = "regex", re, re
		case kv.val.Kind == yaml.MappingNode && isRegexForm(kv.val):
			// {regex: '…', case: upper}: a regex whose values are normalised.
			var expr, mode string
			for _, f := range p.mapping(kv.val, ctx, regexEntityKeys) {
				if v, ok := p.text(f.val, ctx+"."+f.key); ok {
					if f.key == "regex" {
						expr = v
					} else {
						mode = v
					}
				}
			}
			re, err := entity.NewRegex(expr)
			if err != nil {
				p.errorf(kv.val, "%s: invalid regex: %v", ctx, err)
				continue
			}
			if re, err = re.Case(mode); err != nil {
				p.errorf(kv.val, "%s: %v", ctx, err)
				continue
			}
			e.Kind, e.Regex, e.Extractor = "regex", re, re
		case kv.val.Kind == yaml.MappingNode:
			var values []entity.ListValue
			for _, v := range p.mapping(kv.val, ctx, nil) {
				lv := entity.ListValue{Value: v.key}
				if !isNull(v.val) {
					lv.Synonyms, _ = p.texts(v.val, ctx+"."+v.key)
				}
				values = append(values, lv)
			}
			if len(values) == 0 {
				p.errorf(kv.val, "%s: a list entity needs at least one value", ctx)
				continue
			}
			list, err := entity.NewList(values)
			if err != nil {
				// Reported; the entity is kept so that slots using it are not
				// also reported as using an unknown entity.
				p.errorf(kv.val, "%s: %v", ctx, strings.ReplaceAll(err.Error(), "\n", "; "))
			}
			e.Kind, e.List, e.Extractor = "list", list, list
		case kv.val.Kind == yaml.AliasNode:
			p.want(kv.val, yaml.ScalarNode, ctx, "")
			continue
		default:
			p.errorf(kv.val, "%s: want a regex (text) or a list (a mapping of values to synonyms), got %s", ctx, describe(kv.val))
			continue
		}
		p.l.bot.Entities[name] = e
	}
}

func (p *fileParser) flow(n *yaml.Node, i int) {
	ctx := p.context(n, "name", fmt.Sprintf("flows[%d]", i), "flow %q")
	pairs := p.mapping(n, ctx, flowKeys)
	if n.Kind != yaml.MappingNode {
		return
	}
	name, named := p.name(pairs, "name", ctx, n)
	f := Flow{Name: name, Pos: Pos{p.file, n.Line}, MaxAttempts: DefaultMaxAttempts, OnFailure: OnFailureHandoff}
	hasIntent, slotsBad, responseBad := false, false, false
	for _, kv := range pairs {
		before := len(p.l.problems)
		switch kv.key {
		case "intent":
			if s, ok := p.text(kv.val, ctx+".intent"); ok {
				f.Intent, hasIntent = s, true
				f.intentPos = Pos{p.file, kv.val.Line}
			} else {
				hasIntent = true // reported
			}
		case "slots":
			seen := map[string]int{}
			for j, sn := range p.list(kv.val, ctx+".slots") {
				if s, ok := p.slot(sn, j, ctx, seen); ok {
					f.Slots = append(f.Slots, s)
				}
			}
			slotsBad = len(p.l.problems) > before
		case "max_attempts":
			if v, ok := p.integer(kv.val, ctx+".max_attempts"); ok {
				if v < 1 || v > 10 {
					p.errorf(kv.val, "%s.max_attempts: want 1 to 10, got %d", ctx, v)
				} else {
					f.MaxAttempts = v
				}
			}
		case "on_failure":
			if s, ok := p.text(kv.val, ctx+".on_failure"); ok {
				if s != OnFailureHandoff && s != OnFailureExit {
					p.errorf(kv.val, "%s.on_failure %q: want handoff or exit", ctx, s)
				} else {
					f.OnFailure = s
				}
			}
		case "failure_response":
			f.FailureResponse = p.templates(kv.val, ctx+".failure_response")
		case "response":
			f.Response = p.templates(kv.val, ctx+".response")
			responseBad = len(p.l.problems) > before
		case "action":
			f.Action = p.action(kv.val, ctx+".action")
			responseBad = responseBad || len(p.l.problems) > before
		case "then":
			if s, ok := p.text(kv.val, ctx+".then"); ok {
				f.Then, f.thenPos = s, Pos{p.file, kv.val.Line}
			}
		}
	}
	if !hasIntent {
		p.errorf(n, "%s: missing intent (the intent that starts it)", ctx)
	}
	if len(f.Slots) == 0 && !slotsBad {
		p.errorf(n, "%s has no slots", ctx)
	}
	if len(f.Response) == 0 && f.Action == nil && f.Then == "" && !responseBad {
		p.errorf(n, "%s: says nothing when complete: add a response, an action or then", ctx)
	}
	if named {
		p.l.addFlow(f)
	}
}

func (p *fileParser) slot(n *yaml.Node, j int, flowCtx string, seen map[string]int) (Slot, bool) {
	ctx := flowCtx + p.context(n, "name", fmt.Sprintf(".slots[%d]", j), " slot %q")
	pairs := p.mapping(n, ctx, slotKeys)
	if n.Kind != yaml.MappingNode {
		return Slot{}, false
	}
	name, named := p.name(pairs, "name", ctx, n)
	if named && strings.HasPrefix(name, "_") {
		p.errorf(n, "%s: slot names starting with '_' are reserved", ctx)
		named = false
	}
	if first, dup := seen[name]; named && dup {
		p.errorf(n, "%s: duplicate slot %q (first at line %d)", ctx, name, first)
		named = false
	}
	seen[name] = n.Line
	s := Slot{Name: name, Pos: Pos{p.file, n.Line}}
	hasEntity, promptBad := false, false
	for _, kv := range pairs {
		before := len(p.l.problems)
		switch kv.key {
		case "entity":
			hasEntity = true
			if v, ok := p.text(kv.val, ctx+".entity"); ok {
				s.Entity, s.entityPos = v, Pos{p.file, kv.val.Line}
			}
		case "prompt":
			s.Prompt = p.templates(kv.val, ctx+".prompt")
			promptBad = len(p.l.problems) > before
		case "reprompt":
			s.Reprompt = p.templates(kv.val, ctx+".reprompt")
		case "quick_replies":
			s.QuickReplies = p.langTexts(kv.val, ctx+".quick_replies")
		case "validate":
			s.Validate = p.validation(kv.val, ctx+".validate")
		case "reask_on_no":
			s.ReaskOnNo, _ = p.texts(kv.val, ctx+".reask_on_no")
			s.reaskPos = Pos{p.file, kv.val.Line}
		}
	}
	if !hasEntity {
		p.errorf(n, "%s: missing entity (the type of value to ask for, e.g. date or a name under entities)", ctx)
	}
	if len(s.Prompt) == 0 && !promptBad {
		p.errorf(n, "%s has no prompt", ctx)
	}
	return s, named
}

func (p *fileParser) validation(n *yaml.Node, ctx string) Validation {
	var v Validation
	for _, kv := range p.mapping(n, ctx, validateKeys) {
		switch kv.key {
		case "regex":
			if s, ok := p.text(kv.val, ctx+".regex"); ok {
				re, err := entity.NewRegex(s)
				if err != nil {
					p.errorf(kv.val, "%s.regex: invalid regex: %v", ctx, err)
				} else {
					v.Regex = re
				}
			}
		case "values":
			v.Values, _ = p.texts(kv.val, ctx+".values")
			v.valuesPos = Pos{p.file, kv.val.Line}
		case "min", "max":
			if x, ok := p.number(kv.val, ctx+"."+kv.key); ok {
				if kv.key == "min" {
					v.Min = &x
				} else {
					v.Max = &x
				}
			}
		}
	}
	if v.Min != nil && v.Max != nil && *v.Min > *v.Max {
		p.errorf(n, "%s: min %v is above max %v", ctx, *v.Min, *v.Max)
	}
	return v
}

func (p *fileParser) action(n *yaml.Node, ctx string) *Action {
	a := &Action{Timeout: DefaultActionTimeout, Pos: Pos{p.file, n.Line}}
	pairs := p.mapping(n, ctx, actionKeys)
	if n.Kind != yaml.MappingNode {
		return nil
	}
	hasURL, hasSecret := false, false
	for _, kv := range pairs {
		switch kv.key {
		case "url":
			hasURL = true
			if s, ok := p.text(kv.val, ctx+".url"); ok {
				u, err := url.Parse(s)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
					p.errorf(kv.val, "%s.url: want an absolute http:// or https:// URL without credentials", ctx)
				} else {
					a.URL = s
				}
			}
		case "secret":
			if s, ok := p.text(kv.val, ctx+".secret"); ok {
				if hasSecret {
					p.errorf(kv.val, "%s: give secret or secret_env, not both", ctx)
				}
				a.secret, hasSecret = s, true
			}
		case "secret_env":
			if s, ok := p.text(kv.val, ctx+".secret_env"); ok {
				if hasSecret {
					p.errorf(kv.val, "%s: give secret or secret_env, not both", ctx)
				}
				hasSecret = true
				v, set := os.LookupEnv(s)
				if !set || v == "" {
					p.errorf(kv.val, "%s.secret_env: environment variable %s is not set", ctx, s)
				}
				a.secret = v
			}
		case "timeout":
			if s, ok := p.text(kv.val, ctx+".timeout"); ok {
				d, err := time.ParseDuration(s)
				if err != nil || d <= 0 || d > maxActionTimeout {
					p.errorf(kv.val, "%s.timeout %q: want a duration up to %s such as 5s", ctx, s, maxActionTimeout)
				} else {
					a.Timeout = d
				}
			}
		case "error_response":
			a.ErrorResponse = p.templates(kv.val, ctx+".error_response")
		case "allow_private":
			if s, ok := p.text(kv.val, ctx+".allow_private"); ok {
				switch s {
				case "true":
					a.AllowPrivate = true
				case "false":
				default:
					p.errorf(kv.val, "%s.allow_private: want true or false, got %q", ctx, s)
				}
			}
		}
	}
	if !hasURL {
		p.errorf(n, "%s: missing url", ctx)
	}
	if !hasSecret {
		p.l.warnf(p.file, n.Line, "%s has no secret or secret_env: its requests are not signed", ctx)
	}
	return a
}

// responses reads the texts for the bot's own moments, per key and
// language; a language of a key may be given once across files.
func (p *fileParser) responses(n *yaml.Node) {
	for _, kv := range p.mapping(n, "responses", responseKeys()) {
		msgs, lines := p.templatesAt(kv.val, "responses."+kv.key)
		if p.l.bot.Messages[kv.key] == nil {
			p.l.bot.Messages[kv.key] = Localized{}
		}
		if p.l.messagePos[kv.key] == nil {
			p.l.messagePos[kv.key] = map[string]Pos{}
		}
		p.l.addMessages(p.file, "responses."+kv.key, p.l.messagePos[kv.key], p.l.bot.Messages[kv.key], msgs, lines)
	}
}

// integer reads a whole number.
func (p *fileParser) integer(n *yaml.Node, ctx string) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		if v, err := strconv.Atoi(n.Value); err == nil {
			return v, true
		}
	}
	p.want(n, yaml.ScalarNode, ctx, "a whole number")
	if n.Kind == yaml.ScalarNode {
		p.errorf(n, "%s: want a whole number, got %s", ctx, describe(n))
	}
	return 0, false
}

// number reads an integer or decimal number.
func (p *fileParser) number(n *yaml.Node, ctx string) (float64, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		if v, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v, true
		}
	}
	p.want(n, yaml.ScalarNode, ctx, "a number")
	if n.Kind == yaml.ScalarNode {
		p.errorf(n, "%s: want a number, got %s", ctx, describe(n))
	}
	return 0, false
}
