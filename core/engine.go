package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultDedupeTTL is how long a dedupe key is kept when EngineOptions says
// nothing for the platform. Every platform's redelivery window is shorter.
const DefaultDedupeTTL = 24 * time.Hour

// maxConflictRetries bounds how often Handle reloads and decides again when
// the state changed between Load and Commit (another replica handled a message
// of the same conversation).
const maxConflictRetries = 5

// EngineOptions configure an Engine. The zero value is usable.
type EngineOptions struct {
	Logger  *slog.Logger
	Metrics *Metrics
	// DedupeTTL per platform; platforms not listed use DefaultDedupeTTL.
	DedupeTTL map[string]time.Duration
	// Notify is called after a commit that added outbox entries, to wake the
	// Dispatcher. It must not block.
	Notify func()
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Handoff are the rules for handing conversations to a human.
	Handoff HandoffOptions
	// Failpoint, if set, is called at named points of the pipeline so that
	// crash tests can kill the process exactly there: "engine.before-commit"
	// (decided, nothing written) and "engine.after-commit" (durable, the
	// platform not yet acknowledged).
	Failpoint func(name string)
	// RedactTranscript, if set, masks personal data (e-mails, card numbers,
	// …) in the text of every transcript turn before it is stored
	// (privacy.redact_transcripts). Replies still reach the customer as
	// written, and slots keep their values for the flows.
	RedactTranscript func(string) string
	// RateLimit is the per-conversation inbound limit (throttle.go).
	RateLimit RateLimitOptions
}

// Result is what Handle did with a message.
type Result struct {
	// Duplicate is true when the message was handled before; nothing was
	// written and no reply was queued.
	Duplicate bool
	// Decision is the Understander's decision (zero for duplicates).
	Decision Decision
	// Replies are the replies committed to the outbox, in order.
	Replies []Reply
}

// Engine turns inbound messages into durable state changes and queued replies.
// It is safe for concurrent use: messages of one conversation are handled one
// at a time in arrival order at the lock, messages of different conversations
// in parallel.
type Engine struct {
	store Store
	u     Understander
	opts  EngineOptions
	log   *slog.Logger
	locks keyedMutex
	// teamLocks serialise automatic assignment per team, from choosing
	// the agent to committing the case.
	teamLocks keyedMutex
	// caseFailures remembers the (channel, cause) pairs of unpostable
	// cases already logged at ERROR, so each is logged once.
	caseFailures sync.Map
}

// NewEngine returns an Engine that reads and writes st and asks u how to answer.
func NewEngine(st Store, u Understander, opts EngineOptions) *Engine {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{store: st, u: u, opts: opts, log: log.With("component", "engine")}
}

// Handle handles one inbound message. When it returns nil the message, the
// conversation's new state, the transcript turns and the replies are durable
// in one transaction, and the caller may acknowledge the message to the
// platform. A message whose dedupe key was seen before returns Result with
// Duplicate set and a nil error. Handle returns an error, and writes nothing,
// when the message is invalid, the Understander fails, or the store fails; the
// caller should then answer the platform with an error so that it retries.
// A message over the conversation's inbound limit (EngineOptions.RateLimit)
// returns a *RateLimitError or is recorded without an answer; see throttle.go.
func (e *Engine) Handle(ctx context.Context, m Message) (Result, error) {
	start := time.Now()
	if err := validateMessage(&m); err != nil {
		return Result{}, err
	}
	if m.Received.IsZero() {
		m.Received = e.opts.Now()
	}
	unlock, err := e.locks.lock(ctx, m.Key.String())
	if err != nil {
		return Result{}, err
	}
	defer unlock()

	keys := m.dedupeKeys()
	if res, done, err := e.throttle(ctx, m, keys); done || err != nil {
		return res, err
	}
	for attempt := 0; ; attempt++ {
		res, err := e.handleOnce(ctx, m, keys)
		if errors.Is(err, ErrConflict) && attempt < maxConflictRetries {
			e.log.DebugContext(ctx, "state changed concurrently, deciding again", "conversation", m.Key.String())
			continue
		}
		if errors.Is(err, ErrDuplicate) {
			e.opts.Metrics.incDedupe(m.Key.Platform)
			return Result{Duplicate: true}, nil
		}
		if err != nil {
			return Result{}, err
		}
		if !res.Duplicate {
			e.opts.Metrics.observeHandle(m.Key.Platform, time.Since(start))
			e.opts.Metrics.incIn(m.Key.Platform, res.Decision)
			if len(res.Replies) > 0 && e.opts.Notify != nil {
				e.opts.Notify()
			}
		} else {
			e.opts.Metrics.incDedupe(m.Key.Platform)
		}
		return res, nil
	}
}

func (e *Engine) handleOnce(ctx context.Context, m Message, keys []string) (Result, error) {
	state, seen, err := e.store.Load(ctx, m.Key, keys)
	if err != nil {
		return Result{}, fmt.Errorf("engine: load %s: %w", m.Key, err)
	}
	if seen {
		return Result{Duplicate: true}, nil
	}
	now := e.opts.Now()
	text := m.Text
	if m.Note != "" {
		text = strings.TrimSpace(text + " " + m.Note)
	}
	// The Understander sees what the customer wrote; the Note (e.g. "[photo]")
	// only goes into the transcript and to agents.
	in := Input{Key: m.Key, Text: m.Text, UserName: m.UserName, Language: m.Language, Command: m.Command,
		State: state.Clone(), Now: now}
	if in.UserName == "" {
		in.UserName = state.UserName
	}
	c := Commit{
		Key:       m.Key,
		SaveState: true,
		Turns:     []Turn{{ID: m.ID, From: AuthorUser, Text: text, At: m.Received}},
		Counters:  map[string]int64{"messages": 1, "messages/" + m.Key.Platform: 1},
	}
	defer c.finish()
	for _, k := range keys {
		c.Dedupe = append(c.Dedupe, DedupeKey{Key: k, Expires: now.Add(e.dedupeTTL(m.Key.Platform))})
	}
	cur := state.Clone()
	h := e.opts.Handoff
	if h.idleExpired(cur.Handoff, now) {
		e.returnToBot(&c, &cur, in, m.ID, now, "No activity in this case for "+h.IdleReturn.String()+": the conversation is back with the bot. Reply here to take it again.",
			CaseCard{Status: CaseReturned, At: now, Why: "no activity for " + h.IdleReturn.String()})
		// returnToBot queued the notice; keep it before the answer below.
		in.State = cur.Clone()
	}

	var d Decision
	switch {
	case cur.Handoff != nil:
		// A human owns the conversation: relay, do not answer.
		touch(cur.Handoff, now)
		d = Decision{State: cur}
		if h.desk() {
			relay := Reply{ID: m.ID + ".relay", Key: h.deskKey(m.Key), Kind: ReplyRelay, About: m.Key,
				From: AuthorUser, Text: text, Created: now}
			c.Outbox = append(c.Outbox, OutboxEntry{Reply: relay, NextAttempt: now, Created: now})
		}
		c.Counters["relayed"]++
	case strings.TrimSpace(m.Text) == "" && m.Note != "":
		// A picture, sticker or file without words: acknowledge it; it is
		// not a message the bot failed to understand.
		d = Decision{State: cur, Replies: []ReplyText{e.notice(NoticeNoText, in)}}
		c.Counters["media"]++
	default:
		d, err = e.u.Understand(ctx, in)
		if err != nil {
			return Result{}, fmt.Errorf("engine: understand message %s: %w", m.ID, err)
		}
		c.Turns[0].Intent, c.Turns[0].Confidence = d.Intent, d.Confidence
		d.State.Sentiments = pushSentiment(state.Sentiments, d.Sentiment)
		if reason, asked := e.handoffReason(d, state.Sentiments); reason != "" {
			d.Handoff, d.HandoffReason = true, reason
			if asked && !e.opts.Handoff.desk() {
				// "I'm passing you to our team" would be untrue: say only
				// that nobody can take over, below.
				d.Replies = nil
			}
			if err := e.openCase(ctx, &c, &d, m, in, reason, asked, now); err != nil {
				return Result{}, err
			}
		}
		for k, v := range decisionCounters(d) {
			c.Counters[k] += v
		}
	}
	next := d.State
	next.Revision = state.Revision
	if m.UserName != "" {
		next.UserName = m.UserName
	}
	next.Turns = state.Turns + 1
	next.LastSeen = now
	c.State = next

	for i, rt := range d.Replies {
		if strings.TrimSpace(rt.Text) == "" {
			continue
		}
		r := Reply{
			ID:           m.ID + ".r" + strconv.Itoa(i),
			Key:          m.Key,
			From:         AuthorBot,
			Text:         rt.Text,
			QuickReplies: rt.QuickReplies,
			ReplyTo:      m.ReplyTo,
			InReplyTo:    m.ID,
			Created:      now,
		}
		c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorBot, Text: r.Text, At: now, Intent: d.Intent, QuickReplies: r.QuickReplies})
		c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
	}
	e.failpoint("engine.before-commit")
	if err := e.commit(ctx, c); err != nil {
		if errors.Is(err, ErrDuplicate) || errors.Is(err, ErrConflict) {
			return Result{}, err
		}
		return Result{}, fmt.Errorf("engine: commit %s: %w", m.Key, err)
	}
	e.failpoint("engine.after-commit")
	// Replies to the customer, in outbox order (notices included).
	var all []Reply
	for _, o := range c.Outbox {
		if o.Reply.Kind == ReplyAnswer && o.Reply.Key == m.Key {
			all = append(all, o.Reply)
		}
	}
	e.log.InfoContext(ctx, "message handled", "platform", m.Key.Platform, "message_id", m.ID,
		"intent", d.Intent, "confidence", d.Confidence, "fallback", d.Fallback, "handoff", d.Handoff,
		"human", cur.Handoff != nil, "replies", len(all))
	return Result{Decision: d, Replies: all}, nil
}

// openCase hands the conversation to a human in c: with a desk, the
// decision's state records the handoff, any flow question is dropped, the
// customer is told (the intent's own answer when they asked for a person
// and the intent has one, the NoticeHandoff text otherwise), and a case
// with its card is queued for the desk; without a desk the customer gets
// the NoticeUnavailable text and the bot keeps the conversation.
func (e *Engine) openCase(ctx context.Context, c *Commit, d *Decision, m Message, in Input, reason string, asked bool, now time.Time) error {
	h := e.opts.Handoff
	in.State = d.State.Clone()
	if !h.desk() {
		d.Replies = append(d.Replies, e.notice(NoticeUnavailable, in))
		d.State.Fallbacks = 0
		d.Handoff = false // wanted, but nobody can take it
		c.Counters["handoffs_unavailable"]++
		e.log.InfoContext(ctx, "handoff wanted but no support desk is configured", "conversation", m.Key.String(), "reason", reason)
		return nil
	}
	d.State.CasesOpened = recentCases(d.State.CasesOpened, now)
	if max := h.maxCasesPerHour(); max > 0 && len(d.State.CasesOpened) >= max {
		d.Replies = []ReplyText{e.notice(NoticeUnavailable, in)}
		d.State.Fallbacks = 0
		d.Handoff = false
		c.Counters["handoffs_limited"]++
		e.log.InfoContext(ctx, "handoff refused: this conversation opened too many cases in the last hour",
			"conversation", m.Key.String(), "cases", len(d.State.CasesOpened), "max_cases_per_hour", max)
		return nil
	}
	d.State.CasesOpened = append(d.State.CasesOpened, now)
	if !asked || len(d.Replies) == 0 {
		d.Replies = []ReplyText{e.notice(NoticeHandoff, in)}
	}
	// A person answers from now on: no flow question is left pending.
	d.State.Flow, d.State.FlowSlot, d.State.Attempts = "", "", 0
	all, err := e.store.Transcript(ctx, m.Key, 200)
	if err != nil {
		return fmt.Errorf("engine: transcript for case %s: %w", m.Key, err)
	}
	all = append(all, c.Turns[0])
	turns := all
	if over := len(turns) - h.caseTurns(); over > 0 {
		turns = turns[over:]
	}
	lang := d.State.Language
	if lang == "" {
		lang = d.Language
	}
	name := m.UserName
	if name == "" {
		name = d.State.UserName
	}
	card := &CaseCard{
		Customer: CustomerName(m.Key, name), Platform: m.Key.Platform, Language: lang, Reason: reason,
		Intents: caseIntents(all, d.Intent), Slots: publicSlots(d.State.Slots),
		Sentiment: SentimentTrend(d.State.Sentiments), Since: now, Turns: turns,
		TranscriptURL: transcriptURL(h.PublicURL, m.Key), Status: CaseWaiting, At: now,
	}
	route := e.routeCase(d, m, in, card, reason, asked, name, now)
	if route.botOnly {
		// Out of hours and the owner wants no cases then: the customer
		// got the after-hours text and stays with the bot.
		d.Handoff = false
		d.State.Fallbacks = 0
		c.Counters["handoffs_after_hours"]++
		return nil
	}
	d.State.Handoff = &Handoff{Reason: reason, Since: now, Channel: route.team.Channel, LastActivityAt: now,
		Team: route.team.Name, AfterHours: route.afterHours}
	d.State.Fallbacks = 0
	cs := Reply{ID: m.ID + ".case", Key: h.deskKey(m.Key), Kind: ReplyCase, About: m.Key, From: AuthorBot,
		Text: card.Text(), Case: card, Created: now, Channel: route.team.Channel}
	c.Outbox = append(c.Outbox, OutboxEntry{Reply: cs, NextAttempt: now, Created: now})
	c.KV = append(c.KV, KVWrite{Namespace: HandoffNamespace, Key: m.Key.String(), Value: []byte(now.Format(time.RFC3339Nano))})
	if route.afterHours {
		c.Counters["handoffs_after_hours"]++
	}
	return e.assignNew(ctx, c, d, in, route.team, m.ID, now)
}

func (h HandoffOptions) caseTurns() int {
	if h.CaseTurns > 0 {
		return h.CaseTurns
	}
	return 10
}

// commit stores c, the transcript's turns masked by RedactTranscript.
func (e *Engine) commit(ctx context.Context, c Commit) error {
	if r := e.opts.RedactTranscript; r != nil && len(c.Turns) > 0 {
		turns := make([]Turn, len(c.Turns))
		for i, t := range c.Turns {
			t.Text = r(t.Text)
			turns[i] = t
		}
		c.Turns = turns
	}
	return e.store.Commit(ctx, c)
}

func (e *Engine) failpoint(name string) {
	if e.opts.Failpoint != nil {
		e.opts.Failpoint(name)
	}
}

func (e *Engine) dedupeTTL(platform string) time.Duration {
	if t, ok := e.opts.DedupeTTL[platform]; ok && t > 0 {
		return t
	}
	return DefaultDedupeTTL
}

// decisionCounters are the analytics counters one handled message adds.
func decisionCounters(d Decision) map[string]int64 {
	c := map[string]int64{}
	if d.Intent != "" {
		c["intent/"+d.Intent]++
	}
	if d.Fallback {
		c["fallbacks"]++
	}
	if d.Handoff {
		c["handoffs"]++
	}
	return c
}

func validateMessage(m *Message) error {
	switch {
	case m.Key.Platform == "":
		return errors.New("engine: message without platform")
	case m.Key.Chat == "":
		return errors.New("engine: message without chat")
	}
	if m.Key.User == "" {
		m.Key.User = m.Key.Chat
	}
	if m.ID == "" {
		m.ID = NewID()
	}
	return nil
}

// NewID returns a random 128-bit identifier in hex.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// keyedMutex serialises work per key. Entries are reference-counted and
// removed when unused, so memory stays proportional to active conversations.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds one token while locked
	refs int
}

func (k *keyedMutex) lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()

	release := func() {
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
	select {
	case l.ch <- struct{}{}:
		return func() { <-l.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
