package core

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Understander decides how the bot answers one customer message. The intents
// package implements it. Understand must not keep state of its own: everything
// it needs between turns lives in State, which it returns changed in the
// Decision. It must be safe for concurrent use.
type Understander interface {
	Understand(ctx context.Context, in Input) (Decision, error)
}

// Input is what the Understander sees of one turn.
type Input struct {
	Key      ConversationKey // the conversation this turn belongs to
	Text     string
	UserName string
	Language string // the message's language hint, may be empty
	// Command is Message.Command: a bot command ("start", "help", an intent's
	// name) that is answered as such rather than classified as text.
	Command string
	State   State // a copy; the Understander may modify and return it
	Now     time.Time
}

// Decision is the Understander's answer to one turn.
type Decision struct {
	Intent     string  // recognised intent or FAQ id; empty when none
	Confidence float64 // of Intent
	Language   string  // language the replies are written in
	Replies    []ReplyText
	State      State // the conversation's new state
	// Handoff asks for a human; Reason says why ("asked for a person", …).
	Handoff       bool
	HandoffReason string
	Fallback      bool    // the bot did not understand
	Sentiment     float64 // -1..1, 0 when unknown
}

// ReplyText is one reply the bot wants to send.
type ReplyText struct {
	Text         string
	QuickReplies []string
}

// Sender delivers replies on one platform. Adapters implement it.
//
// Send must return nil only when the platform accepted the message. It returns
// a *SendError to say the failure is permanent or when to retry; any other
// error is treated as temporary. Send must be safe for concurrent use.
type Sender interface {
	Platform() string
	Send(ctx context.Context, r Reply) error
}

// RateLimits is optionally implemented by a Sender to tell the Dispatcher the
// platform's limits. PerChat applies to each chat, PerPlatform to the bot as a
// whole; a zero Limit means no limit.
type RateLimits struct {
	PerChat          rate.Limit
	PerChatBurst     int
	PerPlatform      rate.Limit
	PerPlatformBurst int
}

// RateLimited is an optional Sender capability.
type RateLimited interface {
	RateLimits() RateLimits
}
