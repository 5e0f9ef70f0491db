package intents

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/intents/entity"
)

// conversationSlot holds a random id of the conversation, made when its
// first flow starts, that actions send as conversation_id (core.Input does
// not carry the conversation key). Slots starting with '_' are hidden from
// templates and actions.
const conversationSlot = "_conversation"

// interruptMin is the least confidence at which a message that is no
// answer to a flow's pending slot (or any message, for free-text slots) is
// taken as a question rather than a failed attempt or the answer.
const interruptMin = 0.5

// turn is the work of one Understand call: the state it changes and the
// replies it collects. A turn is used by one goroutine.
type turn struct {
	u       *Understander
	ctx     context.Context
	in      core.Input
	st      core.State
	lang    string
	rng     *rand.Rand
	d       core.Decision
	replies []core.ReplyText
}

// say renders one variant of l and adds it to the replies with the quick
// replies of its language.
func (t *turn) say(l Localized, quick map[string][]string) error {
	if len(l) == 0 {
		return nil
	}
	text, lang, err := l.Render(t.rng, t.lang, t.u.defaultLang, t.data())
	if err != nil {
		return err
	}
	if t.d.Language == "" {
		t.d.Language = lang
	}
	t.replies = append(t.replies, core.ReplyText{Text: text, QuickReplies: lookupStrings(quick, lang)})
	return nil
}

// sayMessage says the bot's text for key, or the built-in one.
func (t *turn) sayMessage(key string, quick map[string][]string) error {
	if l := t.u.bot.Messages[key]; len(l) > 0 {
		return t.say(l, quick)
	}
	return t.say(t.u.defaults[key], quick)
}

func (t *turn) data() Data {
	slots := make(map[string]string, len(t.st.Slots))
	for k, v := range t.st.Slots {
		if !strings.HasPrefix(k, "_") {
			slots[k] = v
		}
	}
	return Data{UserName: t.st.UserName, Slots: slots}
}

func (t *turn) entityContext() entity.Context {
	return entity.Context{Now: t.in.Now, Location: t.u.bot.Location, DayFirst: t.u.bot.DayFirst}
}

// run decides the turn.
func (t *turn) run() error {
	if t.u.bot.SessionTimeout > 0 && !t.st.LastSeen.IsZero() && !t.in.Now.IsZero() &&
		t.in.Now.Sub(t.st.LastSeen) > t.u.bot.SessionTimeout {
		t.st.Slots, t.st.Fallbacks, t.st.LastIntent = nil, 0, ""
		t.resetFlow()
	}
	if t.in.Command != "" {
		return t.command(t.in.Command)
	}
	if t.st.Flow != "" {
		if f := t.u.bot.flow(t.st.Flow); f != nil {
			return t.continueFlow(f)
		}
		t.u.log.Info("intents: conversation was in a flow that no longer exists", "flow", t.st.Flow)
		t.resetFlow()
		if err := t.sayMessage(MsgFlowGone, nil); err != nil {
			return err
		}
	}
	return t.answer()
}

func (t *turn) resetFlow() {
	t.st.Flow, t.st.FlowSlot, t.st.Attempts = "", "", 0
}

// answer classifies the message and answers it outside a flow.
func (t *turn) answer() error {
	if strings.TrimSpace(t.in.Text) == "" {
		// Nothing to read (the engine answers pictures and stickers
		// itself): nothing was misunderstood, so it is no fallback and
		// never leads to a handoff.
		return t.sayMessage(MsgNoText, nil)
	}
	if t.u.isNeverMind(t.in.Text) {
		t.recognised(SmallTalkPrefix+SmallTalkNeverMind, 1)
		return t.say(t.u.smallTalkReply(SmallTalkNeverMind), nil)
	}
	v := t.u.decide(t.in.Text, t.lang)
	if v.Act == ActClarify {
		if asked, err := t.clarify(v.Label, v.RunnerUp, v.Score); asked || err != nil {
			return err
		}
	}
	label, prob := v.Label, v.Score
	if v.Act == ActFallback || prob < v.Threshold {
		t.u.log.Debug("intents: fallback", "best", label, "confidence", prob, "threshold", v.Threshold, "language", t.lang)
		t.st.Fallbacks++
		t.d.Fallback = true
		if err := t.say(t.u.bot.Fallback, nil); err != nil {
			return fmt.Errorf("fallback: %w", err)
		}
		return nil
	}
	t.recognised(label, prob)
	if f := t.u.bot.flowFor(label); f != nil {
		if err := t.say(t.u.answers[label].responses, t.u.answers[label].quickReplies); err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		return t.startFlow(f, t.in.Text, true)
	}
	return t.sayAnswer(label)
}

func (t *turn) recognised(label string, prob float64) {
	t.st.Fallbacks = 0
	t.st.LastIntent = label
	t.d.Intent, t.d.Confidence = label, prob
	t.u.log.Debug("intents: understood", "intent", label, "confidence", prob, "language", t.lang)
}

// sayAnswer says the response of an intent or FAQ entry; a handoff intent
// also asks for a person and ends any flow.
func (t *turn) sayAnswer(label string) error {
	a := t.u.answers[label]
	if err := t.say(a.responses, a.quickReplies); err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	if a.handoff {
		t.d.Handoff, t.d.HandoffReason = true, HandoffReasonAsked
		t.resetFlow()
	}
	return nil
}

// startFlow makes f the active flow. fresh forgets values of f's slots
// from earlier flows (a chained flow keeps them); text is read for values
// of slots that are not free text.
func (t *turn) startFlow(f *Flow, text string, fresh bool) error {
	t.resetFlow()
	t.st.Flow = f.Name
	if t.st.Slots == nil {
		t.st.Slots = map[string]string{}
	}
	if t.st.Slots[conversationSlot] == "" {
		t.st.Slots[conversationSlot] = core.NewID()
	}
	if fresh {
		for _, s := range f.Slots {
			delete(t.st.Slots, s.Name)
		}
	}
	if text != "" {
		used := map[int]bool{}
		for _, s := range f.Slots {
			if _, filled := t.st.Slots[s.Name]; filled || !prefillable(s.Entity) {
				continue
			}
			for _, m := range t.extract(&s, text) {
				if !used[m.Start] {
					used[m.Start] = true
					t.st.Slots[s.Name] = m.Value
					break
				}
			}
		}
	}
	return t.advance(f)
}

// prefillable reports whether a slot of this entity may be filled from a
// message that was not an answer to its prompt.
func prefillable(entityName string) bool { return entityName != "text" && entityName != "yes_no" }

// extract returns the valid values of slot s's entity in text.
func (t *turn) extract(s *Slot, text string) []entity.Match {
	e := t.u.bot.entity(s.Entity)
	if e == nil {
		return nil
	}
	var out []entity.Match
	for _, m := range e.Extractor.Extract(text, t.entityContext()) {
		if s.Validate.Accepts(m.Value) {
			out = append(out, m)
		}
	}
	return out
}

// advance asks for the first slot of f that has no value, or completes f.
func (t *turn) advance(f *Flow) error {
	for i := range f.Slots {
		s := &f.Slots[i]
		if _, ok := t.st.Slots[s.Name]; !ok {
			t.st.FlowSlot = s.Name
			return t.prompt(s, s.Prompt)
		}
	}
	return t.complete(f)
}

// prompt says a slot's prompt (or reprompt) with its quick replies.
func (t *turn) prompt(s *Slot, l Localized) error {
	if len(l) == 0 {
		l = s.Prompt
	}
	if err := t.say(l, t.u.slotQuickReplies(s)); err != nil {
		return fmt.Errorf("flow %q slot %q: %w", t.st.Flow, s.Name, err)
	}
	return nil
}

// continueFlow handles a message while f waits for a slot (or, with
// FlowSlot empty, for a retry of its action).
func (t *turn) continueFlow(f *Flow) error {
	text := t.in.Text
	if t.st.Slots == nil {
		t.st.Slots = map[string]string{}
	}
	if t.u.isCancel(text) {
		t.resetFlow()
		return t.sayMessage(MsgCancelled, nil)
	}
	if t.st.FlowSlot == "" {
		if t.u.isRetry(text) {
			return t.complete(f)
		}
		t.resetFlow()
		return t.answer()
	}
	s := f.slot(t.st.FlowSlot)
	if s == nil { // the slot was removed by a reload
		return t.advance(f)
	}
	if s.Entity == "text" {
		if t.correct(f, s) {
			return t.updated(s)
		}
		if done, err := t.interrupt(f, s); done || err != nil {
			return err
		}
		return t.fill(f, s, strings.TrimSpace(text))
	}
	if ms := t.extract(s, text); len(ms) > 0 {
		t.correct(f, s)
		return t.fill(f, s, ms[0].Value)
	}
	if found := t.u.bot.entity(s.Entity).Extractor.Extract(text, t.entityContext()); len(found) > 0 {
		return t.failed(f, s) // a value, but not a valid one
	}
	if t.correct(f, s) {
		return t.updated(s)
	}
	if done, err := t.interrupt(f, s); done || err != nil {
		return err
	}
	return t.failed(f, s)
}

// updated acknowledges a corrected slot and asks for the pending one again.
func (t *turn) updated(pending *Slot) error {
	if err := t.sayMessage(MsgSlotUpdated, nil); err != nil {
		return err
	}
	return t.prompt(pending, pending.Prompt)
}

// correct changes filled slots of f other than pending whose entity finds a
// new valid value in the message ("actually it's XY123456"). Slots of free
// text and yes/no, and slots of pending's entity type, are left alone.
func (t *turn) correct(f *Flow, pending *Slot) bool {
	changed := false
	for i := range f.Slots {
		o := &f.Slots[i]
		cur, filled := t.st.Slots[o.Name]
		if o.Name == pending.Name || !filled || !prefillable(o.Entity) || o.Entity == pending.Entity {
			continue
		}
		if ms := t.extract(o, t.in.Text); len(ms) > 0 && ms[0].Value != cur {
			t.st.Slots[o.Name] = ms[0].Value
			changed = true
		}
	}
	return changed
}

// interrupt answers a question asked in the middle of f (an FAQ, another
// intent) and asks for the pending slot again; an intent that starts
// another flow switches to it. It reports whether the message was such an
// interruption: its best candidate scores at least the threshold and
// interruptMin.
func (t *turn) interrupt(f *Flow, pending *Slot) (bool, error) {
	v := t.u.decide(t.in.Text, t.lang)
	label, prob := v.Label, v.Score
	if label == "" || prob < max(v.Threshold, interruptMin) {
		return false, nil
	}
	if other := t.u.bot.flowFor(label); other != nil {
		if other.Name == f.Name {
			return false, nil // asking again for what we are doing: a failed attempt
		}
		t.recognised(label, prob)
		if err := t.say(t.u.answers[label].responses, t.u.answers[label].quickReplies); err != nil {
			return true, err
		}
		return true, t.startFlow(other, t.in.Text, true)
	}
	t.recognised(label, prob)
	if err := t.sayAnswer(label); err != nil || t.d.Handoff {
		return true, err
	}
	return true, t.prompt(pending, pending.Prompt)
}

// fill sets slot s and moves on. A "no" to a yes/no slot with reask_on_no
// clears the slots it names so that they are asked again.
func (t *turn) fill(f *Flow, s *Slot, value string) error {
	t.st.Slots[s.Name] = value
	t.st.Attempts = 0
	if value == "no" && len(s.ReaskOnNo) > 0 {
		for _, name := range append([]string{s.Name}, s.ReaskOnNo...) {
			delete(t.st.Slots, name)
		}
	}
	return t.advance(f)
}

// failed counts a failed attempt at s: the reprompt, or after MaxAttempts
// the flow's failure.
func (t *turn) failed(f *Flow, s *Slot) error {
	t.st.Attempts++
	if t.st.Attempts < f.MaxAttempts {
		return t.prompt(s, s.Reprompt)
	}
	return t.fail(f, fmt.Sprintf("flow %s: no valid %s after %d attempts", f.Name, s.Name, t.st.Attempts))
}

// fail ends f after too many failed attempts: a handoff (the engine says
// the handoff message) or the failure response.
func (t *turn) fail(f *Flow, reason string) error {
	t.resetFlow()
	if f.OnFailure == OnFailureHandoff {
		t.d.Handoff, t.d.HandoffReason = true, reason
		return nil
	}
	if len(f.FailureResponse) > 0 {
		return t.say(f.FailureResponse, nil)
	}
	return t.sayMessage(MsgTooManyAttempts, nil)
}

// complete answers a flow whose slots are all filled: the action's reply or
// the response, then the chained flow. A failed action says the error
// response and leaves the flow waiting for a retry.
func (t *turn) complete(f *Flow) error {
	t.st.FlowSlot = ""
	said := false
	if f.Action != nil {
		reply, err := t.u.callAction(t.ctx, f, t.in.Key, t.st, t.lang)
		if err != nil {
			if t.ctx.Err() != nil {
				return err
			}
			t.u.log.Warn("intents: action failed", "flow", f.Name, "err", err)
			t.st.Attempts++
			if t.st.Attempts >= f.MaxAttempts {
				t.resetFlow()
				if f.OnFailure == OnFailureHandoff {
					t.d.Handoff, t.d.HandoffReason = true, fmt.Sprintf("flow %s: action failed %d times", f.Name, f.MaxAttempts)
					return nil
				}
			}
			buttons := map[string][]string{}
			if t.st.Flow != "" {
				for _, lang := range []string{t.lang, t.u.defaultLang} {
					buttons[lang] = []string{t.u.messageText(MsgRetry, lang), t.u.messageText(MsgCancelButton, lang)}
				}
			}
			if len(f.Action.ErrorResponse) > 0 {
				return t.say(f.Action.ErrorResponse, buttons)
			}
			return t.sayMessage(MsgActionError, buttons)
		}
		if reply.Text != "" {
			t.replies = append(t.replies, core.ReplyText{Text: reply.Text, QuickReplies: reply.QuickReplies})
			if t.d.Language == "" {
				t.d.Language = t.lang
			}
			said = true
		}
	}
	if !said {
		if err := t.say(f.Response, nil); err != nil {
			return fmt.Errorf("flow %q response: %w", f.Name, err)
		}
	}
	next := f.Then
	t.resetFlow()
	if next != "" {
		if g := t.u.bot.flow(next); g != nil {
			return t.startFlow(g, "", false)
		}
	}
	return nil
}

// clarify asks which of two equally likely answers the customer means,
// offering one example phrase of each as quick replies (pressing one sends
// that phrase, which the classifier then recognises clearly). It does not
// ask when either candidate is a handoff (asking for a person is never
// second-guessed) or has no example in a usable language; it then reports
// false and the best answer is given.
func (t *turn) clarify(best, runnerUp string, prob float64) (bool, error) {
	if t.u.answers[best].handoff || t.u.answers[runnerUp].handoff {
		return false, nil
	}
	a, b := t.u.examplePhrase(best, t.lang), t.u.examplePhrase(runnerUp, t.lang)
	if a == "" || b == "" || a == b {
		return false, nil
	}
	t.st.Fallbacks = 0
	t.d.Intent, t.d.Confidence = "", prob
	t.u.log.Debug("intents: ambiguous, asking", "best", best, "runner_up", runnerUp, "confidence", prob)
	return true, t.sayMessage(MsgClarify, map[string][]string{t.lang: {a, b}, t.u.defaultLang: {a, b}})
}
