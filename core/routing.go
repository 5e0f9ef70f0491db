package core

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Handoff reason kinds, for routing rules: why the conversation went to a
// person.
const (
	ReasonAsked     = "asked"     // the customer asked for a person
	ReasonFallbacks = "fallbacks" // the bot did not understand several messages in a row
	ReasonSentiment = "sentiment" // the customer was angry or frustrated
	ReasonFlow      = "flow"      // a flow failed (too many attempts, a failing action)
)

// ReasonKinds are the handoff reason kinds a route may name.
var ReasonKinds = []string{ReasonAsked, ReasonFallbacks, ReasonSentiment, ReasonFlow}

// Assignment modes of a team.
const (
	AssignManual     = "manual"      // the first agent who writes or presses Take
	AssignRoundRobin = "round_robin" // on-duty agents in turn
	AssignLeastBusy  = "least_busy"  // the on-duty agent with the fewest open cases
)

// AssignModes are the assignment modes a team may use.
var AssignModes = []string{AssignManual, AssignRoundRobin, AssignLeastBusy}

// Team is a group of agents with its own desk channel.
type Team struct {
	Name    string
	Channel string // the desk channel its cases are posted in
	// Notify is put in front of the team's unassigned reminder as is (a
	// user group such as "<!subteam^S123>"); empty: HandoffOptions.Notify.
	Notify string
	// Assign is one of the Assign… modes; empty means AssignManual.
	Assign string
	// MaxOpenCases is how many open cases an agent of the team is given
	// at most by automatic assignment (0: no limit).
	MaxOpenCases int
	// Hours are the team's business hours; nil: always open.
	Hours *BusinessHours
	// BotOnlyAfterHours: out of hours no case is created, the customer
	// only gets the after-hours text and stays with the bot.
	BotOnlyAfterHours bool
	// FollowPresence: automatic assignment skips agents on duty whom the
	// desk shows as away (HandoffOptions.Present).
	FollowPresence bool
}

func (t Team) assignMode() string {
	if t.Assign == "" {
		return AssignManual
	}
	return t.Assign
}

// Route sends conversations that match every one of its conditions to
// Team. An empty condition matches everything.
type Route struct {
	Team string
	// Languages match the conversation's language ("zh" also matches
	// "zh-TW").
	Languages []string
	Platforms []string
	// Intents match the intent or FAQ id that led to the handoff, or any
	// intent detected earlier in the conversation ("shipping_costs" and
	// "faq:shipping_costs" both name an FAQ entry).
	Intents []string
	// Reasons are handoff reason kinds (Reason… constants).
	Reasons []string
	// Slots map a slot to a condition: a value ("gold"), "*" (any value),
	// or a number comparison (">100", ">=100", "<5", "<=5").
	Slots map[string]string
	// Attributes map a customer attribute (any slot a flow set, and "name"
	// and "email" from the name the customer or the web chat's pre-chat
	// form gave) to a pattern with * wildcards ("*@bigcorp.example").
	Attributes map[string]string
}

// Routing are the teams and the rules that pick one for a case. The first
// team is the default: cases no rule matches go to it.
type Routing struct {
	Teams  []Team
	Routes []Route
}

// RouteFacts are what a routing rule looks at.
type RouteFacts struct {
	Language string
	Platform string
	// Intents are the handoff's intent and the earlier ones, newest last.
	Intents []string
	Reason  string // a Reason… kind
	Slots   map[string]string
	// UserName is the customer's name ("Name <email>" from the web chat).
	UserName string
}

// Team returns the team called name.
func (r Routing) Team(name string) (Team, bool) {
	for _, t := range r.Teams {
		if t.Name == name {
			return t, true
		}
	}
	return Team{}, false
}

// TeamOfChannel returns the team whose desk channel is channel.
func (r Routing) TeamOfChannel(channel string) (Team, bool) {
	for _, t := range r.Teams {
		if t.Channel == channel {
			return t, true
		}
	}
	return Team{}, false
}

// Route returns the team of the first rule that matches f, else the
// default team, and false when there are no teams.
func (r Routing) Route(f RouteFacts) (Team, bool) {
	for _, rt := range r.Routes {
		if rt.Matches(f) {
			if t, ok := r.Team(rt.Team); ok {
				return t, true
			}
		}
	}
	if len(r.Teams) == 0 {
		return Team{}, false
	}
	return r.Teams[0], true
}

// Matches reports whether every condition of rt holds for f.
func (rt Route) Matches(f RouteFacts) bool {
	if len(rt.Languages) > 0 && !slices.ContainsFunc(rt.Languages, func(l string) bool { return languageMatches(l, f.Language) }) {
		return false
	}
	if len(rt.Platforms) > 0 && !slices.Contains(rt.Platforms, f.Platform) {
		return false
	}
	if len(rt.Intents) > 0 && !slices.ContainsFunc(rt.Intents, func(i string) bool {
		return slices.ContainsFunc(f.Intents, func(got string) bool { return sameIntent(i, got) })
	}) {
		return false
	}
	if len(rt.Reasons) > 0 && !slices.Contains(rt.Reasons, f.Reason) {
		return false
	}
	for k, cond := range rt.Slots {
		if !SlotMatches(cond, lookupFold(f.Slots, k)) {
			return false
		}
	}
	attrs := customerAttributes(f)
	for k, pat := range rt.Attributes {
		v := lookupFold(attrs, k)
		if v == "" {
			return false
		}
		if m, err := path.Match(strings.ToLower(pat), strings.ToLower(v)); err != nil || !m {
			return false
		}
	}
	return true
}

// lookupFold is m[k], else the value of a key equal to k in any case
// (config keys arrive lower-cased).
func lookupFold(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return v
		}
	}
	return ""
}

// customerAttributes are the slots, and name and email parsed from the
// customer's name.
func customerAttributes(f RouteFacts) map[string]string {
	attrs := make(map[string]string, len(f.Slots)+2)
	for k, v := range f.Slots {
		attrs[k] = v
	}
	name := strings.TrimSpace(f.UserName)
	if i := strings.LastIndex(name, "<"); i >= 0 && strings.HasSuffix(name, ">") {
		if _, ok := attrs["email"]; !ok {
			attrs["email"] = strings.TrimSpace(name[i+1 : len(name)-1])
		}
		name = strings.TrimSpace(name[:i])
	} else if strings.Contains(name, "@") && !strings.Contains(name, " ") {
		if _, ok := attrs["email"]; !ok {
			attrs["email"] = name
		}
	}
	if _, ok := attrs["name"]; !ok && name != "" {
		attrs["name"] = name
	}
	return attrs
}

// sameIntent compares intent names; an FAQ entry matches with and without
// its "faq:" prefix.
func sameIntent(a, b string) bool {
	return strings.TrimPrefix(a, "faq:") == strings.TrimPrefix(b, "faq:")
}

func languageMatches(want, got string) bool {
	want, got = strings.ToLower(want), strings.ToLower(got)
	return got == want || strings.HasPrefix(got, want+"-") || strings.HasPrefix(got, want+"_")
}

// slotOps are the comparison prefixes of a slot condition, longest first.
var slotOps = []string{">=", "<=", ">", "<"}

// ParseSlotCondition checks a slot condition ("gold", "*", ">100", "<=5").
func ParseSlotCondition(cond string) error {
	c := strings.TrimSpace(cond)
	if c == "" {
		return fmt.Errorf("empty slot condition (use \"*\" for any value)")
	}
	for _, op := range slotOps {
		if rest, ok := strings.CutPrefix(c, op); ok {
			if _, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err != nil {
				return fmt.Errorf("slot condition %q: %s needs a number", cond, op)
			}
			return nil
		}
	}
	return nil
}

// SlotMatches reports whether a slot's value meets cond. An empty value
// (the slot is not set) meets no condition. Numbers may carry a currency
// sign or thousands separators ("$1,200").
func SlotMatches(cond, value string) bool {
	c := strings.TrimSpace(cond)
	v := strings.TrimSpace(value)
	if v == "" {
		return false
	}
	if c == "*" {
		return true
	}
	for _, op := range slotOps {
		rest, ok := strings.CutPrefix(c, op)
		if !ok {
			continue
		}
		want, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		got, ok := number(v)
		if err != nil || !ok {
			return false
		}
		switch op {
		case ">=":
			return got >= want
		case "<=":
			return got <= want
		case ">":
			return got > want
		default:
			return got < want
		}
	}
	return strings.EqualFold(c, v)
}

// number reads "1200", "1,200.50", "$1200", "¥300", "300 EUR".
func number(s string) (float64, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return !(r >= '0' && r <= '9') && r != '-' && r != '.' })
	s = strings.ReplaceAll(s, ",", "")
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// Covers reports whether rt matches every conversation later matches, so
// that a later rule after rt can never apply: each condition of rt is
// also a condition of later, at least as strict.
func (rt Route) Covers(later Route) bool {
	sub := func(a, b []string) bool { // every value b allows, a allows
		if len(a) == 0 {
			return true
		}
		if len(b) == 0 {
			return false
		}
		for _, x := range b {
			if !slices.ContainsFunc(a, func(y string) bool { return strings.EqualFold(x, y) }) {
				return false
			}
		}
		return true
	}
	if !sub(rt.Languages, later.Languages) || !sub(rt.Platforms, later.Platforms) ||
		!sub(rt.Intents, later.Intents) || !sub(rt.Reasons, later.Reasons) {
		return false
	}
	for k, c := range rt.Slots {
		lc, ok := later.Slots[k]
		if !ok || (strings.TrimSpace(c) != "*" && !strings.EqualFold(strings.TrimSpace(c), strings.TrimSpace(lc))) {
			return false
		}
	}
	for k, p := range rt.Attributes {
		lp, ok := later.Attributes[k]
		if !ok {
			return false
		}
		if p == "*" || strings.EqualFold(p, lp) {
			continue
		}
		// A pattern covers a later literal value it matches.
		if strings.ContainsAny(lp, "*?[") {
			return false
		}
		if m, err := path.Match(strings.ToLower(p), strings.ToLower(lp)); err != nil || !m {
			return false
		}
	}
	return true
}

// reasonKind says which kind of reason led to a handoff.
func reasonKind(d Decision, reason string, asked bool) string {
	switch {
	case asked && strings.HasPrefix(reason, "flow "):
		return ReasonFlow
	case asked:
		return ReasonAsked
	case d.Fallback:
		return ReasonFallbacks
	}
	return ReasonSentiment
}
