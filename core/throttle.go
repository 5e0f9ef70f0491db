package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NoticeSlowDown is the notice kind a customer gets when their messages
// arrive faster than the inbound limit (once per throttled spell).
const NoticeSlowDown = "slow_down"

var slowDownNotice = map[string]string{
	"en": "You are sending messages faster than I can read them. Please wait a moment, then send your message again.",
	"zh": "您发送消息太快了，请稍等片刻再发送。",
}

// InboundLimiter limits the inbound messages of each conversation. Allow
// takes one message of the conversation named key; when it returns false,
// retryAfter says when the next one will be accepted, and note is true for
// the first refused message of a spell (the customer is told once, not once
// per message). Implementations must be safe for concurrent use;
// internal/ratelimit.Conversations is the standard one.
type InboundLimiter interface {
	Allow(key string) (ok bool, retryAfter time.Duration, note bool)
}

// RateLimitOptions configure the Engine's per-conversation inbound limit.
type RateLimitOptions struct {
	// Limiter decides; nil means no limit.
	Limiter InboundLimiter
	// Refuse lists the platforms whose callers can answer "retry later"
	// themselves (the web chat's 429): Handle returns a *RateLimitError for
	// them and writes nothing. On the other platforms a message over the
	// limit is acknowledged: its turn goes into the transcript without an
	// answer, relay or handoff rule, and the first of a spell gets the
	// NoticeSlowDown reply.
	Refuse map[string]bool
}

// RateLimitError is returned by Handle for a message over the inbound limit
// of a platform listed in RateLimitOptions.Refuse. Nothing was written.
type RateLimitError struct {
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("engine: too many messages in this conversation; retry after %s", e.RetryAfter)
}

// IsRateLimited reports whether err is a *RateLimitError and returns it.
func IsRateLimited(err error) (*RateLimitError, bool) {
	var rl *RateLimitError
	ok := errors.As(err, &rl)
	return rl, ok
}

// throttle applies the inbound limit to m; the caller holds the
// conversation's lock. A redelivery of a message already handled does not
// count against the limit: it returns the duplicate Result. A message within
// the limit returns done false, to be handled normally. A message over it
// returns a *RateLimitError for a refusing platform, and is otherwise
// committed without an answer: its dedupe keys and its transcript turn
// (agents still see what was written), the "throttled" counter, and for the
// first of a spell the NoticeSlowDown reply. No relay, no handoff rule.
func (e *Engine) throttle(ctx context.Context, m Message, keys []string) (res Result, done bool, err error) {
	lim := e.opts.RateLimit.Limiter
	if lim == nil {
		return Result{}, false, nil
	}
	state, seen, err := e.store.Load(ctx, m.Key, keys)
	if err != nil {
		return Result{}, true, fmt.Errorf("engine: load %s: %w", m.Key, err)
	}
	if seen {
		e.opts.Metrics.incDedupe(m.Key.Platform)
		return Result{Duplicate: true}, true, nil
	}
	allowed, retry, note := lim.Allow(m.Key.String())
	if allowed {
		return Result{}, false, nil
	}
	e.opts.Metrics.incThrottled(m.Key.Platform)
	if e.opts.RateLimit.Refuse[m.Key.Platform] {
		return Result{}, true, &RateLimitError{RetryAfter: retry}
	}
	now := e.opts.Now()
	text := strings.TrimSpace(m.Text + " " + m.Note)
	c := Commit{
		Key:      m.Key,
		Turns:    []Turn{{ID: m.ID, From: AuthorUser, Text: text, At: m.Received}},
		Counters: map[string]int64{"throttled": 1, "throttled/" + m.Key.Platform: 1},
	}
	for _, k := range keys {
		c.Dedupe = append(c.Dedupe, DedupeKey{Key: k, Expires: now.Add(e.dedupeTTL(m.Key.Platform))})
	}
	var replies []Reply
	if note {
		in := Input{Key: m.Key, Text: m.Text, Language: m.Language, State: state.Clone(), Now: now}
		rt := e.slowDownNotice(in)
		r := Reply{ID: m.ID + ".slow", Key: m.Key, From: AuthorBot, Text: rt.Text, ReplyTo: m.ReplyTo,
			InReplyTo: m.ID, Created: now}
		replies = append(replies, r)
		c.Turns = append(c.Turns, Turn{ID: r.ID, From: AuthorBot, Text: r.Text, At: now})
		c.Outbox = append(c.Outbox, OutboxEntry{Reply: r, NextAttempt: now, Created: now})
	}
	if err := e.commit(ctx, c); err != nil {
		if errors.Is(err, ErrDuplicate) {
			e.opts.Metrics.incDedupe(m.Key.Platform)
			return Result{Duplicate: true}, true, nil
		}
		return Result{}, true, fmt.Errorf("engine: commit throttled %s: %w", m.Key, err)
	}
	if len(replies) > 0 && e.opts.Notify != nil {
		e.opts.Notify()
	}
	e.log.InfoContext(ctx, "message over the conversation's inbound limit: recorded, not answered",
		"platform", m.Key.Platform, "message_id", m.ID, "notice", note)
	return Result{Replies: replies}, true, nil
}

// slowDownNotice is the bot owner's NoticeSlowDown text, or the built-in one.
func (e *Engine) slowDownNotice(in Input) ReplyText {
	if n, ok := e.u.(Notices); ok {
		if rt, ok := n.Notice(NoticeSlowDown, in); ok && strings.TrimSpace(rt.Text) != "" {
			return rt
		}
	}
	lang := in.State.Language
	if lang == "" {
		lang = in.Language
	}
	if strings.HasPrefix(lang, "zh") {
		return ReplyText{Text: slowDownNotice["zh"]}
	}
	return ReplyText{Text: slowDownNotice["en"]}
}
