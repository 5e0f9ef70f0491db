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

// DefaultNegativeSentiment is the sentiment below which a message counts
// as frustrated for HandoffOptions.OnNegativeSentiment: two such messages
// in a row hand the conversation to a person. It equals
// sentiment.FrustratedBelow (core does not import the bot's packages; a
// test in package intents keeps the two equal).
const DefaultNegativeSentiment = -0.4

// DefaultAngrySentiment is the sentiment at or below which one message is
// enough to hand the conversation to a person (sentiment.AngryAtOrBelow).
const DefaultAngrySentiment = -0.8

// DefaultIdleWarning is how long before an idle return the case thread is
// warned, when HandoffOptions.IdleWarning is zero.
const DefaultIdleWarning = 5 * time.Minute

// DefaultEditWindow is how long after sending it an agent's message may be
// corrected by editing it, when HandoffOptions.EditWindow is zero.
const DefaultEditWindow = 15 * time.Minute

// HandoffOptions are the rules for handing a conversation to a human.
type HandoffOptions struct {
	// DeskPlatform and DeskChat name the support desk (e.g. "slack" and the
	// support channel id). Empty: no desk; handoff then answers with the
	// NoticeUnavailable text and the conversation stays with the bot.
	DeskPlatform string
	DeskChat     string
	// Routing are the teams and the rules that pick one for each case
	// (core/routing.go). Empty: one team, "support", at DeskChat.
	Routing Routing
	// Present tells whether an agent is present on the desk (Slack
	// presence), for teams with FollowPresence; nil: everyone is.
	Present func(ctx context.Context, agentID string) (bool, error)
	// AfterFallbacks hands off after this many fallbacks in a row (0: never).
	AfterFallbacks int
	// OnNegativeSentiment hands off on real anger: one message at or below
	// AngryBelow (default DefaultAngrySentiment), or two messages in a row
	// below NegativeBelow (default DefaultNegativeSentiment).
	OnNegativeSentiment bool
	NegativeBelow       float64
	AngryBelow          float64
	// IdleReturn gives the conversation back to the bot when nothing
	// happened in the case for this long: no customer message, no agent
	// message, no note (0: never).
	IdleReturn time.Duration
	// IdleWarning is how long before the idle return the case thread is
	// warned once (default DefaultIdleWarning, at most half of IdleReturn).
	IdleWarning time.Duration
	// UnassignedAlert posts one reminder, visible in the whole channel,
	// when no agent took a case for this long (0: never).
	UnassignedAlert time.Duration
	// Notify is put in front of the reminder as is, to mention a user
	// group ("<!subteam^S123>") or "<!here>"; empty: no mention.
	Notify string
	// NotePrefix marks agent messages that stay in the thread, like
	// "!note" does (e.g. "//"); empty: only "!note".
	NotePrefix string
	// EditWindow is how long after sending it an agent may correct a
	// message by editing it (default DefaultEditWindow).
	EditWindow time.Duration
	// PublicURL is the gateway's public base URL; when set, cases link to
	// the transcript on the admin console.
	PublicURL string
	// CaseTurns is how many transcript turns a case shows (default 10).
	CaseTurns int
	// MaxCasesPerHour caps the cases one conversation opens in an hour
	// (default DefaultMaxCasesPerHour; negative: no cap): beyond it the
	// customer gets the NoticeUnavailable text, so that one customer
	// cannot flood the support channel.
	MaxCasesPerHour int
}

// DefaultMaxCasesPerHour is HandoffOptions.MaxCasesPerHour when zero.
const DefaultMaxCasesPerHour = 3

func (h HandoffOptions) maxCasesPerHour() int {
	if h.MaxCasesPerHour == 0 {
		return DefaultMaxCasesPerHour
	}
	return h.MaxCasesPerHour
}

// recentCases returns the openings of the last hour.
func recentCases(opened []time.Time, now time.Time) []time.Time {
	var out []time.Time
	for _, t := range opened {
		if now.Sub(t) < time.Hour {
			out = append(out, t)
		}
	}
	return out
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
	NoticeNoText      = "no_text"     // the customer sent a picture, sticker, voice note, location or link without text
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
	NoticeNoText: {
		"en": "Thanks, I received it. I can only read text, though: please tell me in words what you need.",
		"zh": "已收到。不过我只能读懂文字，请用文字告诉我您需要什么。",
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

// handoffReason returns why the decision should go to a human, or "", and
// whether the customer asked for it (the intent's handoff: true) rather
// than a rule deciding it. prev are the sentiment scores of the
// customer's earlier messages, newest last.
func (e *Engine) handoffReason(d Decision, prev []float64) (reason string, asked bool) {
	h := e.opts.Handoff
	switch {
	case d.Handoff:
		if d.HandoffReason != "" {
			return d.HandoffReason, true
		}
		return "customer asked for a person", true
	case h.AfterFallbacks > 0 && d.Fallback && d.State.Fallbacks >= h.AfterFallbacks:
		return fmt.Sprintf("the bot did not understand %d messages in a row", d.State.Fallbacks), false
	case h.OnNegativeSentiment && d.Sentiment != 0 && d.Sentiment <= h.angryBelow():
		return fmt.Sprintf("angry message (sentiment %.2f)", d.Sentiment), false
	case h.OnNegativeSentiment && d.Sentiment < h.negativeBelow() &&
		len(prev) > 0 && prev[len(prev)-1] < h.negativeBelow():
		return fmt.Sprintf("two negative messages in a row (sentiment %.2f, %.2f)", prev[len(prev)-1], d.Sentiment), false
	}
	return "", false
}

func (h HandoffOptions) negativeBelow() float64 {
	if h.NegativeBelow != 0 {
		return h.NegativeBelow
	}
	return DefaultNegativeSentiment
}

func (h HandoffOptions) angryBelow() float64 {
	if h.AngryBelow != 0 {
		return h.AngryBelow
	}
	return DefaultAngrySentiment
}

func (h HandoffOptions) idleWarning() time.Duration {
	w := h.IdleWarning
	if w <= 0 {
		w = DefaultIdleWarning
	}
	return min(w, h.IdleReturn/2)
}

func (h HandoffOptions) editWindow() time.Duration {
	if h.EditWindow > 0 {
		return h.EditWindow
	}
	return DefaultEditWindow
}

// pushSentiment appends score to scores, keeping the last MaxSentiments.
func pushSentiment(scores []float64, score float64) []float64 {
	out := append(append([]float64(nil), scores...), score)
	if len(out) > MaxSentiments {
		out = out[len(out)-MaxSentiments:]
	}
	return out
}

// lastActivity is the last moment anything happened in a case.
func lastActivity(ho *Handoff) time.Time {
	last := ho.Since
	for _, t := range []time.Time{ho.LastAgentAt, ho.LastActivityAt} {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// touch records activity in a case: idle return counts from now again.
func touch(ho *Handoff, now time.Time) {
	if ho != nil {
		ho.LastActivityAt = now
		ho.IdleWarned = false
	}
}

// idleExpired reports whether a handed-off conversation should come back to
// the bot because nothing happened in the case for IdleReturn.
func (h HandoffOptions) idleExpired(ho *Handoff, now time.Time) bool {
	if ho == nil || h.IdleReturn <= 0 {
		return false
	}
	return now.Sub(lastActivity(ho)) >= h.IdleReturn
}

// idleWarningDue reports whether the case thread should be warned that the
// conversation returns to the bot soon.
func (h HandoffOptions) idleWarningDue(ho *Handoff, now time.Time) bool {
	if ho == nil || h.IdleReturn <= 0 || ho.IdleWarned || !h.desk() {
		return false
	}
	return now.Sub(lastActivity(ho)) >= h.IdleReturn-h.idleWarning()
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
	// EditOf is set when the agent edited an earlier message: the desk id
	// of that message (its ID when it arrived). SentAt is when the earlier
	// message was written, for HandoffOptions.EditWindow.
	EditOf string
	SentAt time.Time
	// Channel is the desk channel the agent wrote in: a case the agent
	// re-opens belongs to that channel's team (empty: the default team).
	Channel string
}

// AgentAction is what HandleAgent did.
type AgentAction string

// The outcomes of HandleAgent.
const (
	AgentRelayed     AgentAction = "relayed"      // the text went to the customer
	AgentReturned    AgentAction = "returned"     // !bot: the bot owns it again
	AgentClosed      AgentAction = "closed"       // !close: the case is closed, the bot owns it again
	AgentNoted       AgentAction = "noted"        // !note or the note prefix: kept in the thread only
	AgentTook        AgentAction = "took"         // !take: the agent is the assignee
	AgentNotOwned    AgentAction = "not_owned"    // nothing to do: the bot owns it (e.g. !bot twice)
	AgentNotAssignee AgentAction = "not_assignee" // another agent owns the case: not relayed
	AgentCorrected   AgentAction = "corrected"    // an edit: the correction went to the customer
	AgentEditIgnored AgentAction = "edit_ignored" // an edit that cannot be sent (too late, or never relayed)
)

// AgentResult is what HandleAgent did with an agent's message.
type AgentResult struct {
	Duplicate bool
	Action    AgentAction
	// Assignee is the case's assignee after the message; AssigneeChanged
	// says it changed with this message.
	Assignee        string
	AssigneeChanged bool
	// Reopened is set when an agent's reply in the thread of a case the bot
	// had taken back opened the case again (the reply was relayed).
	Reopened bool
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
//   - ordinary text from the assignee (or from anyone while nobody is
//     assigned, who then becomes the assignee) is sent to the customer;
//     text from another agent is not (AgentNotAssignee: agents may talk
//     in the thread), until they type !take;
//   - ordinary text in the thread of a case the bot took back (idle return,
//     !bot) re-opens the case with the writer as assignee and is sent:
//     an agent's reply is never lost;
//   - "!bot" gives the conversation back to the bot and "!close" closes
//     the case (the customer is told either way); "!take" makes the agent
//     the assignee (and takes the conversation from the bot if it had it);
//     "!note …" and messages starting with HandoffOptions.NotePrefix stay
//     in the thread;
//   - an edit (EditOf set) of a message that reached the customer sends the
//     corrected text within HandoffOptions.EditWindow.
//
// Every message in the case counts as activity for the idle return. Each
// change of the case's status also queues a ReplyStatus to redraw the case.
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

// isNote reports whether an agent's text stays in the thread.
func (h HandoffOptions) isNote(cmd, text string) bool {
	return cmd == "note" || (h.NotePrefix != "" && strings.HasPrefix(strings.TrimSpace(text), h.NotePrefix))
}

// sameAgent reports whether a is the case's assignee.
func sameAgent(ho *Handoff, a AgentMessage) bool {
	if ho.AgentID != "" && a.AgentID != "" {
		return ho.AgentID == a.AgentID
	}
	return ho.Agent == a.Agent
}

func (e *Engine) handleAgentOnce(ctx context.Context, a AgentMessage, keys []string) (AgentResult, error) {
	state, seen, err := e.store.Load(ctx, a.About, keys)
	if err != nil {
		return AgentResult{}, fmt.Errorf("engine: load %s: %w", a.About, err)
	}
	if seen {
		return AgentResult{Duplicate: true}, nil
	}
	h := e.opts.Handoff
	now := e.opts.Now()
	next := state.Clone()
	c := Commit{Key: a.About, State: next, SaveState: true, Counters: map[string]int64{}}
	defer c.finish()
	for _, k := range keys {
		c.Dedupe = append(c.Dedupe, DedupeKey{Key: k, Expires: now.Add(e.dedupeTTL(h.DeskPlatform))})
	}
	in := Input{Key: a.About, State: state.Clone(), Language: state.Language, UserName: state.UserName, Now: now}
	var res AgentResult
	cmd, _ := ParseAgentCommand(a.Text)
	assign := func() {
		if next.Handoff.Agent != a.Agent || next.Handoff.AgentID != a.AgentID {
			next.Handoff.Agent, next.Handoff.AgentID, next.Handoff.AssignedAt = a.Agent, a.AgentID, now
			res.AssigneeChanged = true
			e.caseStatus(&c, a.ID, CaseCard{Status: CaseAssigned, Agent: a.Agent, At: now})
		}
	}
	open := func(reason string) {
		team := h.teamOfChannel(a.Channel)
		next.Handoff = &Handoff{Reason: reason, Since: now, Channel: team.Channel, Team: team.Name}
		c.KV = append(c.KV, KVWrite{Namespace: HandoffNamespace, Key: a.About.String(), Value: []byte(now.Format(time.RFC3339Nano))})
		c.Counters["handoffs"]++
	}
	switch {
	case a.EditOf != "":
		res.Action, err = e.agentEdit(ctx, &c, a, now)
		if err != nil {
			return AgentResult{}, err
		}
		touch(next.Handoff, now)
	case cmd == "bot" || cmd == "close":
		if next.Handoff == nil {
			res.Action = AgentNotOwned
			break
		}
		status, verb := CaseReturned, "gave the conversation back to the bot"
		res.Action = AgentReturned
		if cmd == "close" {
			status, verb, res.Action = CaseClosed, "closed the case", AgentClosed
		}
		e.returnToBot(&c, &next, in, a.ID, now, fmt.Sprintf("%s %s.", a.Agent, verb),
			CaseCard{Status: status, Agent: a.Agent, At: now})
	case cmd == "take":
		if next.Handoff == nil {
			open("taken over by " + a.Agent)
		}
		res.Action = AgentTook
		assign()
		touch(next.Handoff, now)
	case cmd == "transfer":
		res.Action, err = e.agentTransfer(ctx, &c, &next, in, a, now)
		if err != nil {
			return AgentResult{}, err
		}
	case h.isNote(cmd, a.Text):
		res.Action = AgentNoted
		touch(next.Handoff, now)
	case next.Handoff != nil && next.Handoff.Agent != "" && !sameAgent(next.Handoff, a):
		// Another agent owns the case: agents may talk in the thread
		// without the customer reading along.
		res.Action = AgentNotAssignee
		touch(next.Handoff, now)
	default:
		if next.Handoff == nil {
			open("re-opened by " + a.Agent)
			res.Reopened = true
			c.Counters["reopened"]++
		}
		if next.Handoff.Agent == "" {
			assign()
		}
		e.noteFirstReply(&c, next.Handoff, now)
		next.Handoff.LastAgentAt = now
		touch(next.Handoff, now)
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
	if err := e.commit(ctx, c); err != nil {
		if errors.Is(err, ErrDuplicate) || errors.Is(err, ErrConflict) {
			return AgentResult{}, err
		}
		return AgentResult{}, fmt.Errorf("engine: commit agent message for %s: %w", a.About, err)
	}
	e.log.InfoContext(ctx, "agent message handled", "conversation", a.About.String(), "action", res.Action)
	return res, nil
}

// agentEdit queues the correction of an agent's earlier message when that
// message reached the customer (it is in the transcript) and the edit
// comes within the edit window.
func (e *Engine) agentEdit(ctx context.Context, c *Commit, a AgentMessage, now time.Time) (AgentAction, error) {
	if !a.SentAt.IsZero() && now.Sub(a.SentAt) > e.opts.Handoff.editWindow() {
		return AgentEditIgnored, nil
	}
	orig := "agent." + a.EditOf
	turns, err := e.store.Transcript(ctx, a.About, 200)
	if err != nil {
		return "", fmt.Errorf("engine: transcript for an edit in %s: %w", a.About, err)
	}
	found := false
	for _, t := range turns {
		found = found || t.ID == orig
	}
	if !found {
		return AgentEditIgnored, nil
	}
	r := Reply{ID: "agent." + a.ID, Key: a.About, From: AuthorAgent, AgentName: a.Agent,
		Text: a.Text, Corrects: orig, Created: now}
	c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorAgent, AgentName: a.Agent, Text: a.Text, At: a.Received, Corrects: orig})
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
	c.Counters["agent_corrections"]++
	return AgentCorrected, nil
}

// caseStatus queues a redraw of the case message of c's conversation.
func (e *Engine) caseStatus(c *Commit, id string, card CaseCard) {
	h := e.opts.Handoff
	if !h.desk() {
		return
	}
	r := Reply{ID: id + ".status." + string(card.Status), Key: h.deskKey(c.Key), Kind: ReplyStatus, About: c.Key,
		From: AuthorBot, Text: card.StatusLine(), Case: &card, Created: card.At}
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: card.At, Created: card.At})
}

// returnToBot ends the handoff in c: the customer is told, the case thread
// gets a note and the case message its new status, the index entry is
// deleted.
func (e *Engine) returnToBot(c *Commit, next *State, in Input, id string, now time.Time, why string, status CaseCard) {
	about := c.Key
	e.noteCaseEnd(c, next.Handoff, now)
	next.Handoff = nil
	next.Fallbacks = 0
	rt := e.notice(NoticeReturned, in)
	r := Reply{ID: id + ".returned", Key: about, From: AuthorBot, Text: rt.Text, QuickReplies: rt.QuickReplies, Created: now}
	c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorBot, Text: r.Text, At: now})
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
	if e.opts.Handoff.desk() {
		note := Reply{ID: id + ".note", Key: e.opts.Handoff.deskKey(about), Kind: ReplyNote, About: about, From: AuthorBot, Text: why, Created: now}
		c.Outbox = append(c.Outbox, OutboxEntry{Reply: note, NextAttempt: now, Created: now})
		e.caseStatus(c, id, status)
	}
	c.KV = append(c.KV, KVWrite{Namespace: HandoffNamespace, Key: about.String(), Delete: true})
	c.Counters["returns"]++
}

// Sweep gives idle handed-off conversations back to the bot (after
// IdleReturn without any activity in the case; the thread is warned
// IdleWarning before, the customer is told) and posts one reminder,
// visible in the whole channel, for cases no agent took within
// UnassignedAlert. It returns how many conversations it changed. Run it
// every few seconds.
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
		changed := false
		if next.Handoff == nil {
			// Returned already; drop the stale index entry.
			c.SaveState = false
			c.KV = append(c.KV, KVWrite{Namespace: HandoffNamespace, Key: key.String(), Delete: true})
			changed = true
		}
		if ho := next.Handoff; ho != nil && h.UnassignedAlert > 0 && h.desk() && ho.Agent == "" && !ho.Reminded && now.Sub(ho.Since) >= h.UnassignedAlert {
			ho.Reminded = true
			note := Reply{ID: id + ".reminder", Key: h.deskKey(key), Kind: ReplyNote, About: key, From: AuthorBot,
				Broadcast: true, Mention: h.teamOf(ho).Notify, Created: now,
				Text: fmt.Sprintf("Reminder: a customer has waited %s for an agent (%s).", now.Sub(ho.Since).Round(time.Second), ho.Reason)}
			c.Outbox = append(c.Outbox, OutboxEntry{Reply: note, NextAttempt: now, Created: now})
			changed = true
		}
		switch ho := next.Handoff; {
		case h.idleExpired(ho, now):
			in := Input{Key: key, State: state.Clone(), Language: state.Language, UserName: state.UserName, Now: now}
			idle := fmt.Sprintf("no activity for %s", h.IdleReturn)
			e.returnToBot(&c, &next, in, id, now, "No activity in this case for "+h.IdleReturn.String()+": the conversation is back with the bot. Reply here to take it again.",
				CaseCard{Status: CaseReturned, At: now, Why: idle})
			changed = true
		case h.idleWarningDue(ho, now):
			ho.IdleWarned = true
			left := h.IdleReturn - now.Sub(lastActivity(ho))
			note := Reply{ID: id + ".idle-warning", Key: h.deskKey(key), Kind: ReplyNote, About: key, From: AuthorBot, Created: now,
				Text: fmt.Sprintf("No activity for %s: this conversation returns to the bot in %s unless someone replies.",
					now.Sub(lastActivity(ho)).Round(time.Second), left.Round(time.Second))}
			c.Outbox = append(c.Outbox, OutboxEntry{Reply: note, NextAttempt: now, Created: now})
			changed = true
		}
		if !changed {
			return false, nil
		}
		c.State = next
		c.State.Revision = state.Revision
		err = e.commit(ctx, c)
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

// NoteUndelivered handles a dead letter (the Dispatcher calls it through
// DispatcherOptions.OnDeadLetter):
//
//   - a case that cannot be posted (the bot is not in the support channel,
//     the channel is archived, …): the conversation goes back to the bot
//     and the customer gets the NoticeUnavailable text instead of waiting
//     for nobody; the failure is counted and logged at ERROR once per
//     channel and cause;
//   - a reply to a customer whose conversation a human owns (e.g. WeChat's
//     48-hour window has closed): the agents are told in the case thread.
//
// It does nothing for other dead letters.
func (e *Engine) NoteUndelivered(ctx context.Context, r Reply, reason string) error {
	h := e.opts.Handoff
	if !h.desk() {
		return nil
	}
	if r.Kind == ReplyCase {
		return e.caseUnpostable(ctx, r, reason)
	}
	if r.Kind != ReplyAnswer || r.Key.Platform == h.DeskPlatform && r.Key.Chat == h.DeskChat {
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
	if err := e.commit(ctx, c); err != nil {
		return fmt.Errorf("engine: note undelivered for %s: %w", r.Key, err)
	}
	if e.opts.Notify != nil {
		e.opts.Notify()
	}
	return nil
}

// caseUnpostable gives a conversation whose case could not be posted back
// to the bot and tells the customer that nobody can take over.
func (e *Engine) caseUnpostable(ctx context.Context, r Reply, reason string) error {
	about := r.About
	channel := r.Key.Chat
	if r.Channel != "" {
		channel = r.Channel // a team's channel
	}
	e.opts.Metrics.caseFailure(r.Key.Platform)
	if _, logged := e.caseFailures.LoadOrStore(channel+"\x00"+reason, true); !logged {
		e.log.ErrorContext(ctx, "handoff: a case could not be posted to the support desk; customers are told nobody is available until this is fixed",
			"desk", r.Key.Platform, "channel", channel, "error", reason)
	}
	unlock, err := e.locks.lock(ctx, about.String())
	if err != nil {
		return err
	}
	defer unlock()
	for attempt := 0; attempt <= maxConflictRetries; attempt++ {
		state, _, err := e.store.Load(ctx, about, nil)
		if err != nil {
			return fmt.Errorf("engine: unpostable case of %s: %w", about, err)
		}
		if state.Handoff == nil || state.Handoff.Since.After(r.Created) {
			return nil // returned already, or a newer case
		}
		now := e.opts.Now()
		next := state.Clone()
		next.Handoff = nil
		next.Fallbacks = 0
		in := Input{Key: about, State: state.Clone(), Language: state.Language, UserName: state.UserName, Now: now}
		rt := e.notice(NoticeUnavailable, in)
		reply := Reply{ID: r.ID + ".unavailable", Key: about, From: AuthorBot, Text: rt.Text, QuickReplies: rt.QuickReplies, Created: now}
		c := Commit{Key: about, State: next, SaveState: true,
			Turns:    []Turn{{ID: reply.ID, From: AuthorBot, Text: reply.Text, At: now}},
			Outbox:   []OutboxEntry{{Reply: reply, NextAttempt: now, Created: now}},
			KV:       []KVWrite{{Namespace: HandoffNamespace, Key: about.String(), Delete: true}},
			Counters: map[string]int64{"cases_unpostable": 1}}
		c.State.Revision = state.Revision
		err = e.commit(ctx, c)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return fmt.Errorf("engine: unpostable case of %s: %w", about, err)
		}
		if e.opts.Notify != nil {
			e.opts.Notify()
		}
		return nil
	}
	return nil
}
