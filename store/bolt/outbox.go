package bolt

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/core"
)

// The outbox bucket maps be8(seq) to formatV1 || be8(due) || JSON, where seq
// comes from the bucket's NextSequence inside the group commit, so key order
// is commit order. The outbox_due index maps be8(due) || be8(seq) to nothing,
// which makes NextOutboxAttempt one cursor step. PendingOutbox walks the
// outbox in key order and reads only the 8-byte due prefix of entries that
// are not due yet; the outbox holds only unsent replies, so the walk is
// short in normal operation and bounded by the backlog during an outage.

// PendingOutbox implements core.Store.
func (s *Store) PendingOutbox(ctx context.Context, now time.Time, limit int) ([]core.OutboxEntry, error) {
	return s.PendingOutboxAfter(ctx, now, 0, limit)
}

// PendingOutboxAfter implements core.OutboxPager: PendingOutbox for the
// entries whose Seq is greater than after.
func (s *Store) PendingOutboxAfter(ctx context.Context, now time.Time, after uint64, limit int) ([]core.OutboxEntry, error) {
	out := []core.OutboxEntry{}
	nowN := nowNanos(now)
	var start [8]byte
	binary.BigEndian.PutUint64(start[:], after+1)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.Seek(start[:]); k != nil && len(out) < limit; k, v = c.Next() {
			due, _, err := decodeFixed(bucketOutbox, k, v)
			if err != nil {
				return err
			}
			if due > nowN {
				continue
			}
			rec, _, err := decodeOutbox(k, v)
			if err != nil {
				return err
			}
			out = append(out, rec.entry(binary.BigEndian.Uint64(k)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending outbox: %w", err)
	}
	return out, nil
}

// NextOutboxAttempt implements core.Store. It reads the first entry of the
// due index and returns that entry's NextAttempt exactly as committed.
func (s *Store) NextOutboxAttempt(ctx context.Context) (time.Time, bool, error) {
	var (
		next  time.Time
		found bool
	)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		k, _ := tx.Bucket(bucketOutboxDue).Cursor().First()
		if k == nil {
			return nil
		}
		if len(k) != 16 {
			return fmt.Errorf("store: %s: index key %x is not 16 bytes: %w", bucketOutboxDue, k, ErrFormat)
		}
		seq := k[8:]
		v := tx.Bucket(bucketOutbox).Get(seq)
		if v == nil {
			return fmt.Errorf("store: %s: index names missing entry %d: %w", bucketOutboxDue, binary.BigEndian.Uint64(seq), ErrFormat)
		}
		rec, _, err := decodeOutbox(seq, v)
		if err != nil {
			return err
		}
		next, found = rec.NextAttempt, true
		return nil
	})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: next outbox attempt: %w", err)
	}
	return next, found, nil
}

// OutboxLen implements core.Store. It counts the outbox's keys, which walks
// the bucket's pages: cheap for the small outbox of normal operation.
func (s *Store) OutboxLen(ctx context.Context) (int, error) {
	var n int
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		n = tx.Bucket(bucketOutbox).Stats().KeyN
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: outbox length: %w", err)
	}
	return n, nil
}

// removeOutbox deletes the entry at key k (whose value is v) and its index entry.
func removeOutbox(tx *bbolt.Tx, k, v []byte) error {
	due, _, err := decodeFixed(bucketOutbox, k, v)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketOutboxDue).Delete(indexKey(due, k)); err != nil {
		return err
	}
	return tx.Bucket(bucketOutbox).Delete(k)
}

// CompleteOutbox implements core.Store.
func (s *Store) CompleteOutbox(ctx context.Context, seq uint64) error {
	k := be8(seq)
	err := s.write(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		v := tx.Bucket(bucketOutbox).Get(k)
		if v == nil {
			return nil
		}
		return removeOutbox(tx, k, v)
	})
	if err != nil {
		return fmt.Errorf("store: complete outbox entry %d: %w", seq, err)
	}
	return nil
}

// RetryOutbox implements core.Store.
func (s *Store) RetryOutbox(ctx context.Context, seq uint64, attempts int, next time.Time, lastErr string) error {
	k := be8(seq)
	err := s.write(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		ob := tx.Bucket(bucketOutbox)
		v := ob.Get(k)
		if v == nil {
			return core.ErrNotFound
		}
		rec, oldDue, err := decodeOutbox(k, v)
		if err != nil {
			return err
		}
		rec.Attempts, rec.NextAttempt, rec.LastError = attempts, next, lastErr
		nv, err := encodeOutbox(rec)
		if err != nil {
			return err
		}
		due := tx.Bucket(bucketOutboxDue)
		if err := due.Delete(indexKey(oldDue, k)); err != nil {
			return err
		}
		if err := due.Put(indexKey(dueNanos(next), k), indexValue); err != nil {
			return err
		}
		return ob.Put(k, nv)
	})
	if err != nil {
		return fmt.Errorf("store: retry outbox entry %d: %w", seq, err)
	}
	return nil
}

// DeadLetter implements core.Store. Dead letters are keyed by their own
// sequence, so DeadLetters lists them in the order they were dead-lettered.
func (s *Store) DeadLetter(ctx context.Context, seq uint64, reason string, at time.Time) error {
	k := be8(seq)
	err := s.write(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		v := tx.Bucket(bucketOutbox).Get(k)
		if v == nil {
			return core.ErrNotFound
		}
		rec, _, err := decodeOutbox(k, v)
		if err != nil {
			return err
		}
		dv, err := encodeJSON(deadLetterRecord{Seq: seq, Entry: rec, Reason: reason, At: at})
		if err != nil {
			return err
		}
		dl := tx.Bucket(bucketDeadLetters)
		dseq, err := dl.NextSequence()
		if err != nil {
			return err
		}
		if err := removeOutbox(tx, k, v); err != nil {
			return err
		}
		return dl.Put(be8(dseq), dv)
	})
	if err != nil {
		return fmt.Errorf("store: dead-letter outbox entry %d: %w", seq, err)
	}
	return nil
}

// DeadLetters implements core.Store.
func (s *Store) DeadLetters(ctx context.Context, limit int) ([]core.DeadLetter, error) {
	out := []core.DeadLetter{}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketDeadLetters).Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			var rec deadLetterRecord
			if err := decodeJSON(bucketDeadLetters, k, v, &rec); err != nil {
				return err
			}
			out = append(out, core.DeadLetter{Entry: rec.Entry.entry(rec.Seq), Reason: rec.Reason, At: rec.At})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: dead letters: %w", err)
	}
	return out, nil
}
