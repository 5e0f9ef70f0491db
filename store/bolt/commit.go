package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/core"
)

// encodedCommit is a core.Commit with everything that can be encoded outside
// the transaction already encoded, so the committer goroutine only does
// lookups and puts.
type encodedCommit struct {
	conv      []byte
	dedupe    []encodedDedupe
	saveState bool
	revision  uint64 // expected stored revision
	state     []byte // JSON, without format byte and revision
	turns     [][]byte
	outbox    [][]byte // outbox JSON records, without format byte and due prefix
	outboxDue []uint64
	counters  []encodedCounter
	kv        []encodedKV
}

type encodedKV struct {
	key    []byte // kvKey(namespace, key)
	value  []byte
	ttl    time.Duration
	delete bool
}

type encodedDedupe struct {
	key    []byte
	expiry uint64
}

type encodedCounter struct {
	name  []byte
	delta int64
}

func encodeCommit(c core.Commit) (*encodedCommit, error) {
	e := &encodedCommit{conv: []byte(c.Key.String()), saveState: c.SaveState, revision: c.State.Revision}
	if len(e.conv) > bbolt.MaxKeySize {
		return nil, fmt.Errorf("conversation key is %d bytes, limit %d", len(e.conv), bbolt.MaxKeySize)
	}
	for _, d := range c.Dedupe {
		if len(d.Key) == 0 || len(d.Key)+8 > bbolt.MaxKeySize {
			return nil, fmt.Errorf("dedupe key of %d bytes is empty or too long", len(d.Key))
		}
		e.dedupe = append(e.dedupe, encodedDedupe{key: []byte(d.Key), expiry: expiryNanos(d.Expires)})
	}
	if c.SaveState {
		j, err := json.Marshal(c.State)
		if err != nil {
			return nil, fmt.Errorf("encode state: %w", err)
		}
		e.state = j
	}
	for _, t := range c.Turns {
		v, err := encodeJSON(t)
		if err != nil {
			return nil, fmt.Errorf("encode turn %q: %w", t.ID, err)
		}
		e.turns = append(e.turns, v)
	}
	for _, o := range c.Outbox {
		rec := toOutboxRecord(o)
		j, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("encode outbox entry %q: %w", o.Reply.ID, err)
		}
		e.outbox = append(e.outbox, j)
		e.outboxDue = append(e.outboxDue, dueNanos(o.NextAttempt))
	}
	for name, delta := range c.Counters {
		if len(name) == 0 || len(name) > bbolt.MaxKeySize {
			return nil, fmt.Errorf("counter name of %d bytes is empty or too long", len(name))
		}
		e.counters = append(e.counters, encodedCounter{name: []byte(name), delta: delta})
	}
	for _, w := range c.KV {
		k, err := kvKey(w.Namespace, w.Key)
		if err != nil {
			return nil, fmt.Errorf("kv write %s/%s: %w", w.Namespace, w.Key, err)
		}
		e.kv = append(e.kv, encodedKV{key: k, value: bytes.Clone(w.Value), ttl: w.TTL, delete: w.Delete})
	}
	return e, nil
}

// Load implements core.Store. A dedupe key counts as seen only while its
// expiry is after the current time.
func (s *Store) Load(ctx context.Context, key core.ConversationKey, dedupeKeys []string) (core.State, bool, error) {
	var (
		st   core.State
		seen bool
	)
	k := []byte(key.String())
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketConversations).Get(k); v != nil {
			var err error
			if st, err = decodeState(k, v); err != nil {
				return err
			}
		}
		now := nowNanos(s.now())
		dd := tx.Bucket(bucketDedupe)
		for _, dk := range dedupeKeys {
			exp, found, err := dedupeExpiry(dd, []byte(dk))
			if err != nil {
				return err
			}
			if found && exp > now {
				seen = true
				break
			}
		}
		return nil
	})
	if err != nil {
		return core.State{}, false, fmt.Errorf("store: load %s: %w", key, err)
	}
	return st, seen, nil
}

func dedupeExpiry(dd *bbolt.Bucket, key []byte) (exp uint64, found bool, err error) {
	v := dd.Get(key)
	if v == nil {
		return 0, false, nil
	}
	p, err := payload(bucketDedupe, key, v, 8)
	if err != nil {
		return 0, false, err
	}
	return binary.BigEndian.Uint64(p), true, nil
}

// Commit implements core.Store. It waits until the group holding c is on
// disk. It returns ctx's error, having written nothing, if ctx ends while c is
// still queued, and core.ErrClosed after Close.
func (s *Store) Commit(ctx context.Context, c core.Commit) error {
	e, err := encodeCommit(c)
	if err != nil {
		return fmt.Errorf("store: commit %s: %w", c.Key, err)
	}
	return s.write(ctx, func(tx *bbolt.Tx, now time.Time) error {
		return s.applyCommit(tx, now, e)
	})
}

// applyCommit checks every precondition of e before it writes anything, so a
// logical error leaves the transaction untouched.
func (s *Store) applyCommit(tx *bbolt.Tx, now time.Time, e *encodedCommit) error {
	dd := tx.Bucket(bucketDedupe)
	nowN := nowNanos(now)
	for _, d := range e.dedupe {
		exp, found, err := dedupeExpiry(dd, d.key)
		if err != nil {
			return err
		}
		if found && exp > nowN {
			return fmt.Errorf("store: commit %s: dedupe key %q: %w", e.conv, d.key, core.ErrDuplicate)
		}
	}
	convs := tx.Bucket(bucketConversations)
	if e.saveState {
		var stored uint64
		if v := convs.Get(e.conv); v != nil {
			rev, _, err := decodeFixed(bucketConversations, e.conv, v)
			if err != nil {
				return err
			}
			stored = rev
		}
		if stored != e.revision {
			return fmt.Errorf("store: commit %s: stored revision %d, commit based on %d: %w",
				e.conv, stored, e.revision, core.ErrConflict)
		}
	}

	// Preconditions hold: write.
	idx := tx.Bucket(bucketDedupeExpiry)
	for _, d := range e.dedupe {
		// An expired key that was not swept yet is overwritten; drop its
		// old index entry so the sweep does not delete the new one.
		if old, found, err := dedupeExpiry(dd, d.key); err != nil {
			return err
		} else if found {
			if err := idx.Delete(indexKey(old, d.key)); err != nil {
				return err
			}
		}
		if err := dd.Put(d.key, encodeFixed(d.expiry, nil)); err != nil {
			return err
		}
		if err := idx.Put(indexKey(d.expiry, d.key), indexValue); err != nil {
			return err
		}
	}
	if e.saveState {
		if err := convs.Put(e.conv, encodeFixed(e.revision+1, e.state)); err != nil {
			return err
		}
	}
	if len(e.turns) > 0 {
		if err := s.appendTurns(tx, e.conv, e.turns); err != nil {
			return err
		}
	}
	if len(e.outbox) > 0 {
		ob, due := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutboxDue)
		for i, j := range e.outbox {
			seq, err := ob.NextSequence()
			if err != nil {
				return err
			}
			k := be8(seq)
			if err := ob.Put(k, encodeFixed(e.outboxDue[i], j)); err != nil {
				return err
			}
			if err := due.Put(indexKey(e.outboxDue[i], k), indexValue); err != nil {
				return err
			}
		}
	}
	if len(e.counters) > 0 {
		cb := tx.Bucket(bucketCounters)
		for _, c := range e.counters {
			var cur int64
			if v := cb.Get(c.name); v != nil {
				n, _, err := decodeFixed(bucketCounters, c.name, v)
				if err != nil {
					return err
				}
				cur = int64(n)
			}
			if err := cb.Put(c.name, encodeFixed(uint64(cur+c.delta), nil)); err != nil {
				return err
			}
		}
	}
	for _, w := range e.kv {
		var err error
		if w.delete {
			err = deleteKV(tx, w.key)
		} else {
			err = putKV(tx, w.key, kvExpiry(now, w.ttl), w.value)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Counters implements core.Store.
func (s *Store) Counters(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCounters).ForEach(func(k, v []byte) error {
			n, _, err := decodeFixed(bucketCounters, k, v)
			if err != nil {
				return err
			}
			out[string(k)] = int64(n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: counters: %w", err)
	}
	return out, nil
}

// ExpireDedupe implements core.Store. It walks the expiry index from the
// oldest entry, so each call costs O(batch) whatever the number of live keys.
func (s *Store) ExpireDedupe(ctx context.Context, now time.Time, batch int) (int, error) {
	if batch <= 0 { // nothing to do, but report a closed store or a done ctx
		if err := s.view(ctx, func(*bbolt.Tx) error { return nil }); err != nil {
			return 0, fmt.Errorf("store: expire dedupe keys: %w", err)
		}
		return 0, nil
	}
	n := 0
	err := s.write(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		var err error
		n, err = expireIndex(tx, bucketDedupeExpiry, bucketDedupe, nowNanos(now), batch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: expire dedupe keys: %w", err)
	}
	return n, nil
}

// expireIndex deletes up to batch entries of idx (keys be8(expiry)||key) whose
// expiry is not after now, together with key in data.
func expireIndex(tx *bbolt.Tx, idxName, dataName []byte, now uint64, batch int) (int, error) {
	idx, data := tx.Bucket(idxName), tx.Bucket(dataName)
	var victims [][]byte
	c := idx.Cursor()
	for k, _ := c.First(); k != nil && len(victims) < batch; k, _ = c.Next() {
		if len(k) < 8 {
			return 0, fmt.Errorf("store: %s: index key %x is too short: %w", idxName, k, ErrFormat)
		}
		if binary.BigEndian.Uint64(k) > now {
			break
		}
		victims = append(victims, bytes.Clone(k))
	}
	for _, k := range victims {
		if err := idx.Delete(k); err != nil {
			return 0, err
		}
		if err := data.Delete(k[8:]); err != nil {
			return 0, err
		}
	}
	return len(victims), nil
}
