package core

import (
	"context"
	"time"
)

// Store is the durable state behind the Engine and the Dispatcher. Every
// method is safe for concurrent use. Implementations live under store/ and
// must pass the conformance suite in store/storetest.
type Store interface {
	// Load returns the conversation's state (the zero State with Revision 0 if
	// the conversation is new) and whether any of dedupeKeys was already
	// committed and has not expired.
	Load(ctx context.Context, key ConversationKey, dedupeKeys []string) (state State, seen bool, err error)

	// Commit applies c atomically and durably: when it returns nil, all of c is
	// on disk; when it returns an error, none of it is. It returns ErrDuplicate
	// if any of c.Dedupe was already committed (and not expired), and
	// ErrConflict if the stored state's revision is not c.State.Revision (the
	// conversation changed since Load). On success the stored revision is
	// c.State.Revision+1.
	Commit(ctx context.Context, c Commit) error

	// Transcript returns up to limit of the conversation's most recent turns,
	// oldest first. A conversation with no turns returns an empty slice.
	Transcript(ctx context.Context, key ConversationKey, limit int) ([]Turn, error)

	// PendingOutbox returns up to limit outbox entries whose NextAttempt is not
	// after now, in commit order (the order replies were committed in).
	PendingOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxEntry, error)
	// NextOutboxAttempt returns the earliest NextAttempt of all outbox entries,
	// and false if the outbox is empty.
	NextOutboxAttempt(ctx context.Context) (time.Time, bool, error)
	// OutboxLen returns the number of entries in the outbox.
	OutboxLen(ctx context.Context) (int, error)
	// CompleteOutbox deletes a sent entry. Deleting a missing entry is not an error.
	CompleteOutbox(ctx context.Context, seq uint64) error
	// RetryOutbox records a failed attempt: it sets Attempts, NextAttempt and
	// LastError of the entry. It returns ErrNotFound if the entry is gone.
	RetryOutbox(ctx context.Context, seq uint64, attempts int, next time.Time, lastErr string) error
	// DeadLetter moves the entry to the dead-letter list with a reason, in one
	// transaction. It returns ErrNotFound if the entry is gone.
	DeadLetter(ctx context.Context, seq uint64, reason string, at time.Time) error
	// DeadLetters returns up to limit dead letters, oldest first.
	DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error)

	// Get returns the value stored under (namespace, key) by Put, or
	// ErrNotFound if there is none or it expired. Adapters use it for small
	// records such as web sessions and cached access tokens.
	Get(ctx context.Context, namespace, key string) ([]byte, error)
	// Put stores value under (namespace, key); ttl 0 means no expiry.
	Put(ctx context.Context, namespace, key string, value []byte, ttl time.Duration) error
	// List returns up to limit unexpired records of namespace in key order.
	List(ctx context.Context, namespace string, limit int) ([]KV, error)

	// ExpireDedupe deletes up to batch dedupe keys that expired before now and
	// returns how many it deleted, so callers can expire in small batches.
	ExpireDedupe(ctx context.Context, now time.Time, batch int) (int, error)

	// Counters returns the analytics counters added by commits.
	Counters(ctx context.Context) (map[string]int64, error)

	// Close flushes pending commits and releases the store. Methods called after
	// Close return ErrClosed.
	Close() error
}

// OutboxPager is an optional Store capability: PendingOutbox for the
// entries after a sequence number, so that the Dispatcher can read past a
// backlog of one platform's replies to reach the others'.
type OutboxPager interface {
	PendingOutboxAfter(ctx context.Context, now time.Time, after uint64, limit int) ([]OutboxEntry, error)
}

// Commit is one atomic unit of work: a handled message or an agent's reply.
type Commit struct {
	Key ConversationKey
	// Dedupe keys to record; the commit fails with ErrDuplicate if any exists.
	Dedupe []DedupeKey
	// State is saved when SaveState is true; its Revision must equal the
	// stored revision (0 for a new conversation).
	State     State
	SaveState bool
	// Turns are appended to the conversation's transcript.
	Turns []Turn
	// Outbox entries are appended to the outbox; the Store assigns Seq.
	Outbox []OutboxEntry
	// Counters are added to the analytics counters.
	Counters map[string]int64
	// KV writes are applied like Put (or deleted, with Delete set) in the
	// same transaction.
	KV []KVWrite

	// done are run by the engine once the commit succeeded or failed
	// (releasing a team's assignment lock); stores ignore them.
	done []func()
}

// KV is one record of a namespace.
type KV struct {
	Key   string
	Value []byte
}

// KVWrite is a Put or a delete inside a Commit.
type KVWrite struct {
	Namespace string
	Key       string
	Value     []byte
	TTL       time.Duration // 0: no expiry
	Delete    bool
}

// DedupeKey is a key that marks a message as handled until Expires.
type DedupeKey struct {
	Key     string
	Expires time.Time
}

// OutboxEntry is one reply waiting to be sent.
type OutboxEntry struct {
	Seq         uint64 // assigned by the store, increasing in commit order
	Reply       Reply
	Attempts    int
	NextAttempt time.Time
	LastError   string
	Created     time.Time
}

// DeadLetter is an outbox entry that could not be delivered.
type DeadLetter struct {
	Entry  OutboxEntry
	Reason string
	At     time.Time
}
