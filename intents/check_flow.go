package intents

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchboard-gw/switchboard/intents/entity"
)

// checkFlows runs the checks of entities, flows and templates that need
// every file: unknown entity types, intents, slots and flows, chains of
// flows that lead back to themselves, and templates that use a slot no flow
// fills.
func (l *loader) checkFlows() {
	b := l.bot
	intents := map[string]*Intent{}
	for i := range b.Intents {
		intents[b.Intents[i].Name] = &b.Intents[i]
	}
	started := map[string]string{} // intent → flow
	for i := range b.Flows {
		f := &b.Flows[i]
		ctx := fmt.Sprintf("flow %q", f.Name)
		if f.Intent != "" {
			in, ok := intents[f.Intent]
			switch {
			case !ok:
				l.errorf(f.intentPos.File, f.intentPos.Line, "%s: unknown intent %q", ctx, f.Intent)
			case in.Handoff:
				l.errorf(f.intentPos.File, f.intentPos.Line, "%s: intent %q hands off to a person and cannot start a flow", ctx, f.Intent)
			case started[f.Intent] != "":
				l.errorf(f.intentPos.File, f.intentPos.Line, "%s: intent %q already starts flow %q", ctx, f.Intent, started[f.Intent])
			default:
				started[f.Intent] = f.Name
			}
		}
		for j := range f.Slots {
			l.checkSlot(f, j)
		}
		if f.Then != "" && b.flow(f.Then) == nil {
			l.errorf(f.thenPos.File, f.thenPos.Line, "%s.then: unknown flow %q", ctx, f.Then)
		}
	}
	l.checkCycles()
	l.checkSlotRefs()
}

func (l *loader) checkSlot(f *Flow, j int) {
	s := &f.Slots[j]
	ctx := fmt.Sprintf("flow %q slot %q", f.Name, s.Name)
	if s.Entity == "" {
		return // reported
	}
	e := l.bot.entity(s.Entity)
	if e == nil {
		l.errorf(s.entityPos.File, s.entityPos.Line, "%s: unknown entity type %q; want one of the built-ins (%s) or a name under entities",
			ctx, s.Entity, strings.Join(builtinNames(), ", "))
		return
	}
	if vs := s.Validate.Values; len(vs) > 0 && e.List != nil {
		for _, v := range vs {
			if !e.List.Has(v) {
				l.errorf(s.Validate.valuesPos.File, s.Validate.valuesPos.Line, "%s.validate.values: %q is not a value of entity %q (%s)",
					ctx, v, e.Name, strings.Join(e.List.Values(), ", "))
			}
		}
	}
	if (s.Validate.Min != nil || s.Validate.Max != nil) && e.Name != "number" && e.Name != "money" {
		l.errorf(s.Pos.File, s.Pos.Line, "%s: validate min and max need entity number or money, not %q", ctx, e.Name)
	}
	if len(s.ReaskOnNo) > 0 {
		if e.Name != "yes_no" {
			l.errorf(s.reaskPos.File, s.reaskPos.Line, "%s: reask_on_no needs entity yes_no, not %q", ctx, e.Name)
		}
		for _, name := range s.ReaskOnNo {
			k := slices.IndexFunc(f.Slots, func(x Slot) bool { return x.Name == name })
			if k < 0 || k >= j {
				l.errorf(s.reaskPos.File, s.reaskPos.Line, "%s.reask_on_no: %q is not an earlier slot of the flow", ctx, name)
			}
		}
	}
}

func builtinNames() []string { return entity.BuiltinNames() }

// checkCycles reports flows whose then-chain leads back to themselves, once
// per cycle, at the then: of the flow the cycle is first found from.
func (l *loader) checkCycles() {
	reported := map[string]bool{}
	for i := range l.bot.Flows {
		start := &l.bot.Flows[i]
		path := []string{start.Name}
		for cur := start; cur.Then != ""; {
			next := l.bot.flow(cur.Then)
			if next == nil {
				break
			}
			if k := slices.Index(path, next.Name); k >= 0 {
				cycle := append(slices.Clone(path[k:]), next.Name)
				key := cycleKey(cycle[:len(cycle)-1])
				if !reported[key] {
					reported[key] = true
					l.errorf(cur.thenPos.File, cur.thenPos.Line, "flow %q: then %q makes a cycle (%s)",
						cur.Name, cur.Then, strings.Join(cycle, " → "))
				}
				break
			}
			path = append(path, next.Name)
			cur = next
		}
	}
}

func cycleKey(names []string) string {
	s := slices.Clone(names)
	slices.Sort(s)
	return strings.Join(s, "\x00")
}

// engineSlots are the values the engine gives the routing texts as slots.
var engineSlots = map[string][]string{
	MsgAfterHours:  {"next_open"},
	MsgQueue:       {"position", "wait"},
	MsgTransferred: {"team"},
}

// checkSlotRefs reports templates that read a slot that cannot be set when
// they are said: flow templates may use the slots of their flow and of the
// flows chained before it; other templates any slot of any flow.
func (l *loader) checkSlotRefs() {
	b := l.bot
	all := map[string]bool{}
	for _, f := range b.Flows {
		for _, s := range f.Slots {
			all[s.Name] = true
		}
	}
	check := func(ctx string, allowed map[string]bool, where string, ls ...Localized) {
		for _, loc := range ls {
			for _, lang := range loc.Languages() {
				for _, t := range loc[lang] {
					refs, _ := t.SlotRefs()
					for _, r := range refs {
						if !allowed[r] {
							l.errorf(t.pos.File, t.pos.Line, "%s.%s: template uses unknown slot %q; %s", ctx, lang, r, where)
						}
					}
				}
			}
		}
	}
	noFlow := "no flow has a slot of that name"
	if len(all) > 0 {
		noFlow = "the flows' slots are " + strings.Join(sortedKeys(all), ", ")
	}
	for _, in := range b.Intents {
		check(fmt.Sprintf("intent %q.responses", in.Name), all, noFlow, in.Responses)
	}
	for _, f := range b.FAQs {
		check(fmt.Sprintf("faq %q.answer", f.ID), all, noFlow, f.Answer)
	}
	check("fallback", all, noFlow, b.Fallback)
	check("handoff", all, noFlow, b.Handoff)
	for _, key := range sortedKeys(b.Messages) {
		allowed, where := all, noFlow
		if extra := engineSlots[key]; len(extra) > 0 {
			allowed = maps.Clone(all)
			for _, s := range extra {
				allowed[s] = true
			}
			where = "the engine gives " + strings.Join(extra, ", ") + "; " + noFlow
		}
		check("responses."+key, allowed, where, b.Messages[key])
	}
	for i := range b.Flows {
		f := &b.Flows[i]
		allowed := l.reachableSlots(f)
		where := fmt.Sprintf("flow %q has %s", f.Name, strings.Join(sortedKeys(allowed), ", "))
		if len(allowed) == 0 {
			where = fmt.Sprintf("flow %q has no slots", f.Name)
		}
		ctx := fmt.Sprintf("flow %q", f.Name)
		check(ctx+".response", allowed, where, f.Response)
		check(ctx+".failure_response", allowed, where, f.FailureResponse)
		if f.Action != nil {
			check(ctx+".action.error_response", allowed, where, f.Action.ErrorResponse)
		}
		for _, s := range f.Slots {
			sctx := fmt.Sprintf("%s slot %q", ctx, s.Name)
			check(sctx+".prompt", allowed, where, s.Prompt)
			check(sctx+".reprompt", allowed, where, s.Reprompt)
		}
	}
}

// reachableSlots returns the slots of f and of every flow whose then-chain
// leads to f.
func (l *loader) reachableSlots(f *Flow) map[string]bool {
	set := map[string]bool{}
	for _, s := range f.Slots {
		set[s.Name] = true
	}
	for _, g := range l.bot.Flows {
		seen := map[string]bool{g.Name: true}
		for cur := &g; cur != nil && cur.Then != "" && !seen[cur.Then]; {
			seen[cur.Then] = true
			if cur.Then == f.Name {
				for _, s := range g.Slots {
					set[s.Name] = true
				}
				break
			}
			cur = l.bot.flow(cur.Then)
		}
	}
	return set
}
