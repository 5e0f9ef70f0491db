package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/switchboard-gw/switchboard/core"
)

// Team is one entry of handoff.teams: a support team with its Slack
// channel. The first team is the default: cases no route matches go to it.
type Team struct {
	Name         string `mapstructure:"name"`
	Channel      string `mapstructure:"channel"`        // Slack channel id
	Notify       string `mapstructure:"notify"`         // mentioned in the team's unassigned reminder
	Assign       string `mapstructure:"assign"`         // manual (default), round_robin or least_busy
	MaxOpenCases int    `mapstructure:"max_open_cases"` // per agent, for automatic assignment; 0 = no limit
	Hours        *Hours `mapstructure:"hours"`          // business hours; none = always open
	AfterHours   string `mapstructure:"after_hours"`    // case (default) or bot_only
	// FollowPresence: agents away in Slack get no new case even on duty.
	FollowPresence bool `mapstructure:"follow_presence"`
}

// Hours are a team's business hours.
type Hours struct {
	TimeZone string            `mapstructure:"time_zone"` // IANA name, e.g. Europe/Berlin
	Weekly   map[string]string `mapstructure:"weekly"`    // e.g. {mon-fri: "09:00-17:00", sat: "10:00-14:00"}
	Holidays []string          `mapstructure:"holidays"`  // closed dates, e.g. [2026-12-25]
}

// Route is one entry of handoff.routes: conditions and the team.
type Route struct {
	When RouteWhen `mapstructure:"when"`
	Team string    `mapstructure:"team"`
}

// RouteWhen are a route's conditions; all must hold. Lists match any of
// their values.
type RouteWhen struct {
	Language  []string          `mapstructure:"language"`
	Platform  []string          `mapstructure:"platform"`
	Intent    []string          `mapstructure:"intent"` // intent or FAQ id
	Reason    []string          `mapstructure:"reason"` // asked, fallbacks, sentiment, flow
	Slots     map[string]string `mapstructure:"slots"`  // value, "*", ">100", "<=5"
	Attribute map[string]string `mapstructure:"attribute"`
}

// Keys allowed inside the list entries (checked with their line).
var (
	teamKeys  = []string{"name", "channel", "notify", "assign", "max_open_cases", "hours", "after_hours", "follow_presence"}
	hoursKeys = []string{"time_zone", "weekly", "holidays"}
	routeKeys = []string{"when", "team"}
	whenKeys  = []string{"language", "platform", "intent", "reason", "slots", "attribute"}
)

// platforms are the platform names a route may name.
var platforms = []string{"web", "terminal", "slack", "telegram", "discord", "wechat"}

var teamName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// PosError is a configuration problem at a line of the file.
type PosError struct {
	File string
	Line int // 0: unknown
	Key  string
	Msg  string
}

func (e *PosError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Key, e.Msg)
}

// dateToString lets holidays be written as YAML dates (2026-12-25
// unquoted) although they are strings.
func dateToString(from, to reflect.Type, data any) (any, error) {
	if t, ok := data.(time.Time); ok && to.Kind() == reflect.String {
		return t.Format(time.DateOnly), nil
	}
	return data, nil
}

// routingLines reads file with yaml.v3 nodes and returns the line of every
// key under handoff.teams and handoff.routes ("handoff.teams[0]",
// "handoff.teams[0].hours.weekly"), and an error naming file:line for a key
// there that Switchboard does not know.
func routingLines(file string) (map[string]int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", file, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("config: read %s: %w", file, err)
	}
	lines := map[string]int{}
	if len(doc.Content) == 0 {
		return lines, nil
	}
	handoff := mapValue(doc.Content[0], "handoff")
	if handoff == nil {
		return lines, nil
	}
	for i := 0; i+1 < len(handoff.Content); i += 2 {
		lines["handoff."+handoff.Content[i].Value] = handoff.Content[i].Line
	}
	var errs []error
	unknown := func(n *yaml.Node, path string, allowed []string) {
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			lines[path+"."+k.Value] = k.Line
			if allowed != nil && !slices.Contains(allowed, k.Value) {
				errs = append(errs, &PosError{File: file, Line: k.Line, Key: path + "." + k.Value,
					Msg: "unknown key (known: " + strings.Join(allowed, ", ") + ")"})
			}
		}
	}
	for _, list := range []struct {
		key          string
		allowed, sub []string
		subKey       string
	}{{"teams", teamKeys, hoursKeys, "hours"}, {"routes", routeKeys, whenKeys, "when"}} {
		seq := mapValue(handoff, list.key)
		if seq == nil || seq.Kind != yaml.SequenceNode {
			continue
		}
		for i, item := range seq.Content {
			path := fmt.Sprintf("handoff.%s[%d]", list.key, i)
			lines[path] = item.Line
			unknown(item, path, list.allowed)
			if sub := mapValue(item, list.subKey); sub != nil {
				unknown(sub, path+"."+list.subKey, list.sub)
				for j := 0; j+1 < len(sub.Content); j += 2 {
					unknown(sub.Content[j+1], path+"."+list.subKey+"."+sub.Content[j].Value, nil)
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return lines, nil
}

// mapValue returns the value node of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// at is the line of key (or of the nearest enclosing entry) in the file.
func (c *Config) at(key string) int {
	for k := key; k != ""; {
		if l, ok := c.lines[k]; ok {
			return l
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

func (c *Config) posErr(key, format string, args ...any) error {
	return &PosError{File: orDefaults(c.File), Line: c.at(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

// routingProblems checks handoff.teams and handoff.routes: team names and
// channels, assignment modes, hours, the teams routes name, the reason
// kinds and slot conditions, and routes that can never match because an
// earlier route matches everything they match.
func (c *Config) routingProblems() []error {
	var errs []error
	bad := func(key, format string, args ...any) { errs = append(errs, c.posErr(key, format, args...)) }
	names := map[string]int{}
	channels := map[string]int{}
	for i, t := range c.Handoff.Teams {
		p := fmt.Sprintf("handoff.teams[%d]", i)
		switch {
		case t.Name == "":
			bad(p+".name", "required")
		case !teamName.MatchString(t.Name):
			bad(p+".name", "must be lower-case letters, digits, - and _ (it is typed in !transfer); got %q", t.Name)
		case names[t.Name] > 0:
			bad(p+".name", "team %q is defined twice", t.Name)
		}
		names[t.Name]++
		switch {
		case t.Channel == "":
			bad(p+".channel", "required: the id of the team's Slack channel (like C0123ABCD)")
		case !validChannel(t.Channel):
			bad(p+".channel", "must be a Slack channel id like C0123ABCD, got %q", t.Channel)
		case channels[t.Channel] > 0:
			bad(p+".channel", "channel %s belongs to another team already", t.Channel)
		}
		channels[t.Channel]++
		if t.Assign != "" && !slices.Contains(core.AssignModes, t.Assign) {
			bad(p+".assign", "must be one of %s; got %q", strings.Join(core.AssignModes, ", "), t.Assign)
		}
		if t.MaxOpenCases < 0 {
			bad(p+".max_open_cases", "must be 0 (no limit) or more; got %d", t.MaxOpenCases)
		}
		if t.Hours != nil {
			if _, err := core.ParseHours(t.Hours.TimeZone, t.Hours.Weekly, t.Hours.Holidays); err != nil {
				bad(p+".hours", "%v", err)
			}
		}
		switch t.AfterHours {
		case "", "case":
		case "bot_only":
			if t.Hours == nil {
				bad(p+".after_hours", "bot_only needs hours")
			}
		default:
			bad(p+".after_hours", "must be case or bot_only; got %q", t.AfterHours)
		}
	}
	if len(c.Handoff.Teams) > 0 && !c.Slack.Enabled {
		bad("handoff.teams", "teams work in Slack channels: set slack.enabled (and the Slack keys)")
	}
	if len(c.Handoff.Routes) > 0 && len(c.Handoff.Teams) == 0 {
		bad("handoff.routes", "routes need handoff.teams (the first team is the default)")
	}
	routes := c.coreRoutes()
	for i, r := range c.Handoff.Routes {
		p := fmt.Sprintf("handoff.routes[%d]", i)
		switch {
		case r.Team == "":
			bad(p+".team", "required")
		case names[r.Team] == 0 && len(c.Handoff.Teams) > 0:
			bad(p+".team", "unknown team %q (teams: %s)", r.Team, strings.Join(c.teamNames(), ", "))
		}
		for _, k := range r.When.Reason {
			if !slices.Contains(core.ReasonKinds, k) {
				bad(p+".when.reason", "unknown reason %q (reasons: %s)", k, strings.Join(core.ReasonKinds, ", "))
			}
		}
		for _, pl := range r.When.Platform {
			if !slices.Contains(platforms, pl) {
				bad(p+".when.platform", "unknown platform %q (platforms: %s)", pl, strings.Join(platforms, ", "))
			}
		}
		for _, k := range sortedKeys(r.When.Slots) {
			if err := core.ParseSlotCondition(r.When.Slots[k]); err != nil {
				bad(p+".when.slots."+k, "%v", err)
			}
		}
		for j := 0; j < i; j++ {
			if routes[j].Covers(routes[i]) {
				bad(p, "can never match: handoff.routes[%d] (line %d) above it matches every conversation this one matches", j, c.at(fmt.Sprintf("handoff.routes[%d]", j)))
				break
			}
		}
	}
	return errs
}

// RouteIntentProblems reports the intents in handoff.routes that the bot
// does not have (known tells whether an intent or FAQ id exists).
func (c *Config) RouteIntentProblems(known func(string) bool) error {
	var errs []error
	for i, r := range c.Handoff.Routes {
		for _, in := range r.When.Intent {
			if !known(in) {
				errs = append(errs, c.posErr(fmt.Sprintf("handoff.routes[%d].when.intent", i), "unknown intent or FAQ %q", in))
			}
		}
	}
	return errors.Join(errs...)
}

func (c *Config) teamNames() []string {
	var out []string
	for _, t := range c.Handoff.Teams {
		out = append(out, t.Name)
	}
	return out
}

func (c *Config) coreRoutes() []core.Route {
	out := make([]core.Route, len(c.Handoff.Routes))
	for i, r := range c.Handoff.Routes {
		out[i] = core.Route{Team: r.Team, Languages: r.When.Language, Platforms: r.When.Platform, Intents: r.When.Intent,
			Reasons: r.When.Reason, Slots: r.When.Slots, Attributes: r.When.Attribute}
	}
	return out
}

// Routing returns the teams and routes as the engine's plain data (call
// after Validate). With no teams it returns one team, "support", at
// slack.support_channel, with handoff.notify.
func (c *Config) Routing() core.Routing {
	if len(c.Handoff.Teams) == 0 {
		if c.Slack.SupportChannel == "" {
			return core.Routing{}
		}
		return core.Routing{Teams: []core.Team{{Name: "support", Channel: c.Slack.SupportChannel, Notify: c.Handoff.Notify}}}
	}
	r := core.Routing{Routes: c.coreRoutes()}
	for _, t := range c.Handoff.Teams {
		ct := core.Team{Name: t.Name, Channel: t.Channel, Notify: t.Notify, Assign: t.Assign,
			MaxOpenCases: t.MaxOpenCases, BotOnlyAfterHours: t.AfterHours == "bot_only", FollowPresence: t.FollowPresence}
		if ct.Notify == "" {
			ct.Notify = c.Handoff.Notify
		}
		if t.Hours != nil {
			ct.Hours, _ = core.ParseHours(t.Hours.TimeZone, t.Hours.Weekly, t.Hours.Holidays)
		}
		r.Teams = append(r.Teams, ct)
	}
	return r
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// validChannel reports whether s looks like a Slack channel id.
func validChannel(s string) bool {
	if len(s) < 2 || len(s) > 32 || (s[0] != 'C' && s[0] != 'G') {
		return false
	}
	return strings.Trim(s[1:], "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}
