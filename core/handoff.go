package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// HandoffNamespace is the store namespace indexing conversations a human
// owns (key: ConversationKey.String()), so that Sweep finds them.
const HandoffNamespace = "handoff"

// DefaultNegativeSentiment is the sentiment at or below which a message
// counts as strongly negative for HandoffOptions.OnNegativeSentiment.
const DefaultNegativeSentiment = -0.5

// HandoffOptions are the rules for handing a conversation to a human.
type HandoffOptions struct {
	// DeskPlatform and DeskChat name the support desk (e.g. "slack" and the
	// support channel id). Empty: no desk; handoff then answers with the
	// NoticeUnavailable text and the conversation stays with the bot.
	DeskPlatform string
	DeskChat     string
	// AfterFallbacks hands off after this many fallbacks in a row (0: never).
	AfterFallbacks int
	// OnNegativeSentiment hands off after a message whose sentiment is at or
	// below NegativeBelow (default DefaultNegativeSentiment).
	OnNegativeSentiment bool
	NegativeBelow       float64
	// IdleReturn gives the conversation back to the bot when no agent wrote
	// for this long (0: never).
	IdleReturn time.Duration
	// UnassignedAlert posts one reminder in the case thread when no agent
	// answered a case for this long (0: never).
	UnassignedAlert time.Duration
	// CaseTurns is how many transcript turns a case shows (default 10).
	CaseTurns int
}

func (h HandoffOptions) desk() bool { return h.DeskPlatform != "" && h.DeskChat != "" }

// deskKey is the outbox destination of everything about one case: all of a
// case's messages share it, so the Dispatcher keeps them in order (the case
// is posted before the messages relayed into its thread).
func (h HandoffOptions) deskKey(about ConversationKey) ConversationKey {
	return ConversationKey{Platform: h.DeskPlatform, Chat: h.DeskChat, User: "case:" + about.String()}
}

// Notice kinds: moments the engine itself speaks to the customer.
const (
	NoticeHandoff     = "handoff"     // passing the customer to a person
	NoticeUnavailable = "unavailable" // no person can take over (no desk configured)
	NoticeReturned    = "returned"    // the bot is back
)

// Notices is an optional Understander capability: the bot owner's texts for
// the notices. Notice returns false to use the built-in text.
type Notices interface {
	Notice(kind string, in Input) (ReplyText, bool)
}

var defaultNotices = map[string]map[string]string{
	NoticeHandoff: {
		"en": "I'm passing you to a member of our team. They will answer here.",
		"zh": "正在为您转接人工客服，请稍候，客服会在这里回复您。",
	},
	NoticeUnavailable: {
		"en": "I'm sorry, no one from our team is available here right now.",
		"zh": "抱歉，目前没有人工客服可以在这里为您服务。",
	},
	NoticeReturned: {
		"en": "You're chatting with the bot again. Type \"agent\" to reach a person.",
		"zh": "您现在由机器人继续为您服务。输入“人工”可再次联系客服。",
	},
}

func (e *Engine) notice(kind string, in Input) ReplyText {
	if n, ok := e.u.(Notices); ok {
		if rt, ok := n.Notice(kind, in); ok && strings.TrimSpace(rt.Text) != "" {
			return rt
		}
	}
	lang := in.State.Language
	if lang == "" {
		lang = in.Language
	}
	if strings.HasPrefix(lang, "zh") {
		return ReplyText{Text: defaultNotices[kind]["zh"]}
	}
	return ReplyText{Text: defaultNotices[kind]["en"]}
}

// handoffReason returns why the decision should go to a human, or "".
func (e *Engine) handoffReason(d Decision) string {
	h := e.opts.Handoff
	switch {
	case d.Handoff:
		if d.HandoffReason != "" {
			return d.HandoffReason
		}
		return "customer asked for a person"
	case h.AfterFallbacks > 0 && d.Fallback && d.State.Fallbacks >= h.AfterFallbacks:
		return fmt.Sprintf("the bot did not understand %d messages in a row", d.State.Fallbacks)
	case h.OnNegativeSentiment && d.Sentiment != 0 && d.Sentiment <= h.negativeBelow():
		return fmt.Sprintf("strongly negative message (sentiment %.2f)", d.Sentiment)
	}
	return ""
}

func (h HandoffOptions) negativeBelow() float64 {
	if h.NegativeBelow != 0 {
		return h.NegativeBelow
	}
	return DefaultNegativeSentiment
}

// idleExpired reports whether a handed-off conversation should come back to
// the bot because no agent wrote for IdleReturn.
func (h HandoffOptions) idleExpired(ho *Handoff, now time.Time) bool {
	if ho == nil || h.IdleReturn <= 0 {
		return false
	}
	last := ho.Since
	if ho.LastAgentAt.After(last) {
		last = ho.LastAgentAt
	}
	return now.Sub(last) >= h.IdleReturn
}

// caseText is the text of a new case: who, where, why, and the last turns.
func caseText(m Message, st State, reason string, turns []Turn) string {
	var b strings.Builder
	name := st.UserName
	if name == "" {
		name = m.Key.User
	}
	fmt.Fprintf(&b, "New case from %s: %s", m.Key.Platform, name)
	if st.Language != "" {
		fmt.Fprintf(&b, " (language: %s)", st.Language)
	}
	fmt.Fprintf(&b, "\nReason: %s\n", reason)
	if len(turns) > 0 {
		b.WriteString("Last messages:\n")
		for _, t := range turns {
			who := string(t.From)
			if t.From == AuthorAgent && t.AgentName != "" {
				who = t.AgentName
			}
			fmt.Fprintf(&b, "%s: %s\n", who, t.Text)
		}
	}
	b.WriteString("Reply in this thread to answer the customer. !bot gives the conversation back to the bot, !note adds a note the customer does not see.")
	return b.String()
}

// AgentMessage is something a support agent wrote in a case thread.
type AgentMessage struct {
	About      ConversationKey // the customer's conversation
	ID         string          // the desk platform's message id
	DedupeKeys []string        // empty: "desk:" + ID
	Agent      string          // display name shown to the customer
	AgentID    string          // the desk's user id
	Text       string
	Received   time.Time
}

// AgentAction is what HandleAgent did.
type AgentAction string

// The outcomes of HandleAgent.
const (
	AgentRelayed  AgentAction = "relayed"   // the text went to the customer
	AgentReturned AgentAction = "returned"  // !bot / !close: the bot owns it again
	AgentNoted    AgentAction = "noted"     // !note: kept in the thread only
	AgentTook     AgentAction = "took"      // !take: the agent is the assignee
	AgentNotOwned AgentAction = "not_owned" // the bot owns the conversation; nothing done
)

// AgentResult is what HandleAgent did with an agent's message.
type AgentResult struct {
	Duplicate bool
	Action    AgentAction
	// Assignee is the case's assignee after the message; AssigneeChanged
	// tells the desk adapter to show it on the case message.
	Assignee        string
	AssigneeChanged bool
}

// ParseAgentCommand splits "!cmd rest" into ("cmd", "rest"); ordinary text
// returns ("", text).
func ParseAgentCommand(text string) (cmd, rest string) {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(t, "!") {
		return "", text
	}
	cmd, rest, _ = strings.Cut(t[1:], " ")
	return strings.ToLower(cmd), strings.TrimSpace(rest)
}

// HandleAgent handles a support agent's message in a case thread, exactly
// once per dedupe key, in one durable transaction like Handle:
//
//   - ordinary text while a human owns the conversation is sent to the
//     customer (From AuthorAgent, with the agent's name) and the agent
//     becomes the assignee if there was none;
//   - "!bot" or "!close" gives the conversation back to the bot and tells
//     the customer; "!take" makes the agent the assignee (and takes the
//     conversation from the bot if it had it); "!note …" is kept in the
//     thread only;
//   - ordinary text while the bot owns the conversation does nothing and
//     returns AgentNotOwned, so the desk can offer to take over.
func (e *Engine) HandleAgent(ctx context.Context, a AgentMessage) (AgentResult, error) {
	if a.About.Platform == "" || a.About.Chat == "" {
		return AgentResult{}, errors.New("engine: agent message without conversation")
	}
	if a.About.User == "" {
		a.About.User = a.About.Chat
	}
	if a.ID == "" {
		a.ID = NewID()
	}
	if a.Received.IsZero() {
		a.Received = e.opts.Now()
	}
	keys := a.DedupeKeys
	if len(keys) == 0 {
		keys = []string{"desk:" + a.ID}
	}
	unlock, err := e.locks.lock(ctx, a.About.String())
	if err != nil {
		return AgentResult{}, err
	}
	defer unlock()
	for attempt := 0; ; attempt++ {
		res, err := e.handleAgentOnce(ctx, a, keys)
		if errors.Is(err, ErrConflict) && attempt < maxConflictRetries {
			continue
		}
		if errors.Is(err, ErrDuplicate) {
			return AgentResult{Duplicate: true}, nil
		}
		if err == nil && e.opts.Notify != nil {
			e.opts.Notify()
		}
		return res, err
	}
}

func (e *Engine) handleAgentOnce(ctx context.Context, a AgentMessage, keys []string) (AgentResult, error) {
	state, seen, err := e.store.Load(ctx, a.About, keys)
	if err != nil {
		return AgentResult{}, fmt.Errorf("engine: load %s: %w", a.About, err)
	}
	if seen {
		return AgentResult{Duplicate: true}, nil
	}
	now := e.opts.Now()
	next := state.Clone()
	c := Commit{Key: a.About, State: next, SaveState: true, Counters: map[string]int64{}}
	for _, k := range keys {
		c.Dedupe = append(c.Dedupe, DedupeKey{Key: k, Expires: now.Add(e.dedupeTTL(e.opts.Handoff.DeskPlatform))})
	}
	in := Input{Key: a.About, State: state.Clone(), Language: state.Language, UserName: state.UserName, Now: now}
	var res AgentResult
	cmd, rest := ParseAgentCommand(a.Text)
	switch cmd {
	case "bot", "close":
		if next.Handoff == nil {
			res.Action = AgentReturned
			break
		}
		e.returnToBot(&c, &next, in, a.ID, now, fmt.Sprintf("%s gave the conversation back to the bot.", a.Agent))
		res.Action = AgentReturned
	case "take":
		if next.Handoff == nil {
			next.Handoff = &Handoff{Reason: "taken over by " + a.Agent, Since: now, Channel: e.opts.Handoff.DeskChat}
			c.KV = append(c.KV, KVWrite{Namespace: HandoffNamespace, Key: a.About.String(), Value: []byte(now.Format(time.RFC3339Nano))})
			c.Counters["handoffs"]++
		}
		res.Action = AgentTook
		if next.Handoff.Agent != a.Agent {
			next.Handoff.Agent, res.AssigneeChanged = a.Agent, true
		}
	case "note":
		res.Action = AgentNoted
		_ = rest
	default:
		if next.Handoff == nil {
			return AgentResult{Action: AgentNotOwned}, nil
		}
		if next.Handoff.Agent == "" {
			next.Handoff.Agent, res.AssigneeChanged = a.Agent, true
		}
		next.Handoff.LastAgentAt = now
		r := Reply{ID: "agent." + a.ID, Key: a.About, From: AuthorAgent, AgentName: a.Agent,
			Text: a.Text, Created: now}
		c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorAgent, AgentName: a.Agent, Text: a.Text, At: a.Received})
		c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
		c.Counters["agent_replies"]++
		res.Action = AgentRelayed
	}
	if next.Handoff != nil {
		res.Assignee = next.Handoff.Agent
	}
	c.State = next
	c.State.Revision = state.Revision
	if err := e.store.Commit(ctx, c); err != nil {
		if errors.Is(err, ErrDuplicate) || errors.Is(err, ErrConflict) {
			return AgentResult{}, err
		}
		return AgentResult{}, fmt.Errorf("engine: commit agent message for %s: %w", a.About, err)
	}
	e.log.InfoContext(ctx, "agent message handled", "conversation", a.About.String(), "action", res.Action)
	return res, nil
}

// returnToBot ends the handoff in c: the customer is told, the case thread
// gets a note, the index entry is deleted.
func (e *Engine) returnToBot(c *Commit, next *State, in Input, id string, now time.Time, why string) {
	about := c.Key
	next.Handoff = nil
	next.Fallbacks = 0
	rt := e.notice(NoticeReturned, in)
	r := Reply{ID: id + ".returned", Key: about, From: AuthorBot, Text: rt.Text, QuickReplies: rt.QuickReplies, Created: now}
	c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorBot, Text: r.Text, At: now})
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
	if e.opts.Handoff.desk() {
		note := Reply{ID: id + ".note", Key: e.opts.Handoff.deskKey(about), Kind: ReplyNote, About: about, From: AuthorBot, Text: why, Created: now}
		c.Outbox = append(c.Outbox, OutboxEntry{Reply: note, NextAttempt: now, Created: now})
	}
	c.KV = append(c.KV, KVWrite{Namespace: HandoffNamespace, Key: about.String(), Delete: true})
	c.Counters["returns"]++
}

// Sweep gives idle handed-off conversations back to the bot (after
// IdleReturn without an agent reply; the customer is told) and posts one
// reminder for cases no agent answered within UnassignedAlert. It returns
// how many conversations it changed. Run it every few seconds.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	h := e.opts.Handoff
	if h.IdleReturn <= 0 && h.UnassignedAlert <= 0 {
		return 0, nil
	}
	recs, err := e.store.List(ctx, HandoffNamespace, 10000)
	if err != nil {
		return 0, fmt.Errorf("engine: sweep: %w", err)
	}
	changed := 0
	for _, rec := range recs {
		key, ok := ParseConversationKey(rec.Key)
		if !ok {
			continue
		}
		did, err := e.sweepOne(ctx, key)
		if err != nil {
			return changed, err
		}
		if did {
			changed++
		}
	}
	if changed > 0 && e.opts.Notify != nil {
		e.opts.Notify()
	}
	return changed, nil
}

func (e *Engine) sweepOne(ctx context.Context, key ConversationKey) (bool, error) {
	unlock, err := e.locks.lock(ctx, key.String())
	if err != nil {
		return false, err
	}
	defer unlock()
	h := e.opts.Handoff
	for attempt := 0; attempt <= maxConflictRetries; attempt++ {
		state, _, err := e.store.Load(ctx, key, nil)
		if err != nil {
			return false, fmt.Errorf("engine: sweep %s: %w", key, err)
		}
		now := e.opts.Now()
		next := state.Clone()
		c := Commit{Key: key, SaveState: true, Counters: map[string]int64{}}
		id := "sweep." + NewID()
		switch {
		case next.Handoff == nil:
			// Returned already; drop the stale index entry.
			c.SaveState = false
			c.KV = append(c.KV, KVWrite{Namespace: HandoffNamespace, Key: key.String(), Delete: true})
		case h.idleExpired(next.Handoff, now):
			in := Input{Key: key, State: state.Clone(), Language: state.Language, UserName: state.UserName, Now: now}
			e.returnToBot(&c, &next, in, id, now, fmt.Sprintf("No agent reply for %s: the conversation is back with the bot.", h.IdleReturn))
		case h.UnassignedAlert > 0 && h.desk() && next.Handoff.Agent == "" && !next.Handoff.Reminded && now.Sub(next.Handoff.Since) >= h.UnassignedAlert:
			next.Handoff.Reminded = true
			note := Reply{ID: id + ".reminder", Key: h.deskKey(key), Kind: ReplyNote, About: key, From: AuthorBot,
				Text: fmt.Sprintf("Reminder: this case has waited %s without an agent.", now.Sub(next.Handoff.Since).Round(time.Second)), Created: now}
			c.Outbox = append(c.Outbox, OutboxEntry{Reply: note, NextAttempt: now, Created: now})
		default:
			return false, nil
		}
		c.State = next
		c.State.Revision = state.Revision
		err = e.store.Commit(ctx, c)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("engine: sweep %s: %w", key, err)
		}
		return true, nil
	}
	return false, nil
}

// NoteUndelivered tells the agents of a handed-off conversation that a reply
// to the customer could not be delivered (for example WeChat's 48-hour
// window has closed), by queueing a note into the case thread. It does
// nothing when there is no desk, when r is not a customer reply, or when the
// bot owns the conversation. The Dispatcher calls it (through
// DispatcherOptions.OnDeadLetter) for every dead letter.
func (e *Engine) NoteUndelivered(ctx context.Context, r Reply, reason string) error {
	h := e.opts.Handoff
	if !h.desk() || r.Kind != ReplyAnswer || r.Key.Platform == h.DeskPlatform && r.Key.Chat == h.DeskChat {
		return nil
	}
	unlock, err := e.locks.lock(ctx, r.Key.String())
	if err != nil {
		return err
	}
	defer unlock()
	state, _, err := e.store.Load(ctx, r.Key, nil)
	if err != nil {
		return fmt.Errorf("engine: note undelivered for %s: %w", r.Key, err)
	}
	if state.Handoff == nil {
		return nil
	}
	now := e.opts.Now()
	text := fmt.Sprintf("Could not deliver a message to the customer on %s: %s\nUndelivered text: %s", r.Key.Platform, reason, r.Text)
	note := Reply{ID: r.ID + ".undelivered", Key: h.deskKey(r.Key), Kind: ReplyNote, About: r.Key, From: AuthorBot, Text: text, Created: now}
	c := Commit{Key: r.Key, Outbox: []OutboxEntry{{Reply: note, NextAttempt: now, Created: now}},
		Counters: map[string]int64{"undelivered_notes": 1}}
	if err := e.store.Commit(ctx, c); err != nil {
		return fmt.Errorf("engine: note undelivered for %s: %w", r.Key, err)
	}
	if e.opts.Notify != nil {
		e.opts.Notify()
	}
	return nil
}
