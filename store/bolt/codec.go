package bolt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// formatV1 is the first byte of every value this package writes. It names the
// layout of the bytes that follow (see doc.go); a later layout gets a new byte
// and a decoder for it, so old files stay readable.
const formatV1 byte = 1

// schemaVersion is stored in the meta bucket. Open refuses files written by a
// newer schema.
const schemaVersion uint32 = 1

// ErrFormat is returned (wrapped, with the bucket and key) when a stored value
// starts with a format byte this build cannot decode, e.g. a file written by
// a newer Switchboard, or when a value is truncated.
var ErrFormat = errors.New("unknown or damaged value format")

// Bucket names. Values are documented in doc.go.
var (
	bucketMeta          = []byte("meta")
	bucketConversations = []byte("conversations")
	bucketTranscript    = []byte("transcript")
	bucketDedupe        = []byte("dedupe")
	bucketDedupeExpiry  = []byte("dedupe_expiry")
	bucketOutbox        = []byte("outbox")
	bucketOutboxDue     = []byte("outbox_due")
	bucketDeadLetters   = []byte("deadletters")
	bucketKV            = []byte("kv")
	bucketKVExpiry      = []byte("kv_expiry")
	bucketCounters      = []byte("counters")

	allBuckets = [][]byte{
		bucketMeta, bucketConversations, bucketTranscript, bucketDedupe,
		bucketDedupeExpiry, bucketOutbox, bucketOutboxDue, bucketDeadLetters,
		bucketKV, bucketKVExpiry, bucketCounters,
	}

	keySchemaVersion = []byte("schema_version")
	// indexValue is the value of every index entry: the key carries the data.
	indexValue = []byte{formatV1}
)

// formatError builds the error for an undecodable value.
func formatError(bucket, key []byte, v []byte) error {
	if len(v) == 0 {
		return fmt.Errorf("store: %s/%q: empty value: %w", bucket, key, ErrFormat)
	}
	return fmt.Errorf("store: %s/%q: format byte %d, value length %d: %w", bucket, key, v[0], len(v), ErrFormat)
}

// payload checks the format byte and that at least n fixed bytes follow, and
// returns the bytes after the format byte.
func payload(bucket, key, v []byte, n int) ([]byte, error) {
	if len(v) < 1+n || v[0] != formatV1 {
		return nil, formatError(bucket, key, v)
	}
	return v[1:], nil
}

func be8(n uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, n)
	return b
}

// nanos converts t to Unix nanoseconds clamped to [0, MaxInt64], so that the
// big-endian encoding sorts in time order. zero is what the zero time maps to.
func nanos(t time.Time, zero uint64) uint64 {
	switch {
	case t.IsZero():
		return zero
	case t.Unix() < 0:
		return 0
	case t.Unix() >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	}
	return uint64(t.UnixNano())
}

// expiryNanos encodes an expiry; the zero time means "never expires".
func expiryNanos(t time.Time) uint64 { return nanos(t, math.MaxInt64) }

// dueNanos encodes an outbox NextAttempt; the zero time means "due now".
func dueNanos(t time.Time) uint64 { return nanos(t, 0) }

// nowNanos encodes the current time for comparisons with stored times.
func nowNanos(t time.Time) uint64 { return nanos(t, 0) }

// encodeFixed returns formatV1 || be8(n) || rest.
func encodeFixed(n uint64, rest []byte) []byte {
	v := make([]byte, 9+len(rest))
	v[0] = formatV1
	binary.BigEndian.PutUint64(v[1:9], n)
	copy(v[9:], rest)
	return v
}

// decodeFixed reverses encodeFixed. rest aliases v.
func decodeFixed(bucket, key, v []byte) (n uint64, rest []byte, err error) {
	p, err := payload(bucket, key, v, 8)
	if err != nil {
		return 0, nil, err
	}
	return binary.BigEndian.Uint64(p[:8]), p[8:], nil
}

// encodeJSON returns formatV1 || JSON(x).
func encodeJSON(x any) ([]byte, error) {
	j, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	v := make([]byte, 1+len(j))
	v[0] = formatV1
	copy(v[1:], j)
	return v, nil
}

// decodeJSON reverses encodeJSON.
func decodeJSON(bucket, key, v []byte, x any) error {
	p, err := payload(bucket, key, v, 0)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, x); err != nil {
		return fmt.Errorf("store: %s/%q: %w: %w", bucket, key, ErrFormat, err)
	}
	return nil
}

// decodeState decodes a conversations value: formatV1 || be8(revision) || JSON(State).
func decodeState(key, v []byte) (core.State, error) {
	rev, j, err := decodeFixed(bucketConversations, key, v)
	if err != nil {
		return core.State{}, err
	}
	var st core.State
	if err := json.Unmarshal(j, &st); err != nil {
		return core.State{}, fmt.Errorf("store: %s/%q: %w: %w", bucketConversations, key, ErrFormat, err)
	}
	st.Revision = rev
	return st, nil
}

// The records below fix the on-disk JSON names of core types that carry no
// json tags, so renaming a Go field in core cannot silently change the file.

type keyRecord struct {
	Platform string `json:"platform"`
	Chat     string `json:"chat"`
	User     string `json:"user"`
}

type replyRecord struct {
	ID           string    `json:"id"`
	Key          keyRecord `json:"key"`
	Kind         string    `json:"kind,omitempty"`
	About        keyRecord `json:"about,omitzero"`
	From         string    `json:"from"`
	AgentName    string    `json:"agent_name,omitempty"`
	Text         string    `json:"text"`
	QuickReplies []string  `json:"quick_replies,omitempty"`
	ReplyTo      string    `json:"reply_to,omitempty"`
	InReplyTo    string    `json:"in_reply_to,omitempty"`
	Created      time.Time `json:"created,omitzero"`
	Corrects     string    `json:"corrects,omitempty"`
	Broadcast    bool      `json:"broadcast,omitempty"`
	Mention      string    `json:"mention,omitempty"`
	Channel      string    `json:"channel,omitempty"`
	// Case carries its own json tags (core.CaseCard is a stored type).
	Case *core.CaseCard `json:"case,omitempty"`
}

// outboxRecord is the JSON part of an outbox value; Seq is the key.
type outboxRecord struct {
	Reply       replyRecord `json:"reply"`
	Attempts    int         `json:"attempts,omitempty"`
	NextAttempt time.Time   `json:"next_attempt,omitzero"`
	LastError   string      `json:"last_error,omitempty"`
	Created     time.Time   `json:"created,omitzero"`
}

type deadLetterRecord struct {
	Seq    uint64       `json:"seq"`
	Entry  outboxRecord `json:"entry"`
	Reason string       `json:"reason"`
	At     time.Time    `json:"at,omitzero"`
}

func toKeyRecord(k core.ConversationKey) keyRecord {
	return keyRecord{Platform: k.Platform, Chat: k.Chat, User: k.User}
}

func (k keyRecord) key() core.ConversationKey {
	return core.ConversationKey{Platform: k.Platform, Chat: k.Chat, User: k.User}
}

func toOutboxRecord(e core.OutboxEntry) outboxRecord {
	r := e.Reply
	return outboxRecord{
		Reply: replyRecord{
			ID:           r.ID,
			Key:          toKeyRecord(r.Key),
			Kind:         string(r.Kind),
			About:        toKeyRecord(r.About),
			From:         string(r.From),
			AgentName:    r.AgentName,
			Text:         r.Text,
			QuickReplies: r.QuickReplies,
			ReplyTo:      r.ReplyTo,
			InReplyTo:    r.InReplyTo,
			Created:      r.Created,
			Corrects:     r.Corrects,
			Broadcast:    r.Broadcast,
			Mention:      r.Mention,
			Channel:      r.Channel,
			Case:         r.Case,
		},
		Attempts:    e.Attempts,
		NextAttempt: e.NextAttempt,
		LastError:   e.LastError,
		Created:     e.Created,
	}
}

func (o outboxRecord) entry(seq uint64) core.OutboxEntry {
	r := o.Reply
	return core.OutboxEntry{
		Seq: seq,
		Reply: core.Reply{
			ID:           r.ID,
			Key:          r.Key.key(),
			Kind:         core.ReplyKind(r.Kind),
			About:        r.About.key(),
			From:         core.Author(r.From),
			AgentName:    r.AgentName,
			Text:         r.Text,
			QuickReplies: r.QuickReplies,
			ReplyTo:      r.ReplyTo,
			InReplyTo:    r.InReplyTo,
			Created:      r.Created,
			Corrects:     r.Corrects,
			Broadcast:    r.Broadcast,
			Mention:      r.Mention,
			Channel:      r.Channel,
			Case:         r.Case,
		},
		Attempts:    o.Attempts,
		NextAttempt: o.NextAttempt,
		LastError:   o.LastError,
		Created:     o.Created,
	}
}

// encodeOutbox returns an outbox value: formatV1 || be8(dueNanos(NextAttempt)) || JSON.
// The due prefix lets PendingOutbox skip entries that are not due without
// decoding their JSON.
func encodeOutbox(rec outboxRecord) ([]byte, error) {
	j, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	return encodeFixed(dueNanos(rec.NextAttempt), j), nil
}

func decodeOutbox(key, v []byte) (outboxRecord, uint64, error) {
	due, j, err := decodeFixed(bucketOutbox, key, v)
	if err != nil {
		return outboxRecord{}, 0, err
	}
	var rec outboxRecord
	if err := json.Unmarshal(j, &rec); err != nil {
		return outboxRecord{}, 0, fmt.Errorf("store: %s/%q: %w: %w", bucketOutbox, key, ErrFormat, err)
	}
	return rec, due, nil
}

// indexKey returns be8(n) || suffix, the key layout of the expiry and due indexes.
func indexKey(n uint64, suffix []byte) []byte {
	k := make([]byte, 8+len(suffix))
	binary.BigEndian.PutUint64(k, n)
	copy(k[8:], suffix)
	return k
}
