package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/core"
)

// kvKey is namespace || 0x00 || key. Namespaces may not contain NUL, so the
// split is unambiguous.
func kvKey(namespace, key string) ([]byte, error) {
	if namespace == "" || bytes.IndexByte([]byte(namespace), 0) >= 0 {
		return nil, fmt.Errorf("namespace %q must be non-empty and contain no NUL byte", namespace)
	}
	k := make([]byte, 0, len(namespace)+1+len(key))
	k = append(append(append(k, namespace...), 0), key...)
	if len(k)+8 > bbolt.MaxKeySize {
		return nil, fmt.Errorf("key of %d bytes is too long", len(k))
	}
	return k, nil
}

// Get implements core.Store. The returned slice is the caller's to keep.
func (s *Store) Get(ctx context.Context, namespace, key string) ([]byte, error) {
	k, err := kvKey(namespace, key)
	if err != nil {
		return nil, fmt.Errorf("store: get %s/%s: %w", namespace, key, err)
	}
	var out []byte
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketKV).Get(k)
		if v == nil {
			return core.ErrNotFound
		}
		exp, val, err := decodeFixed(bucketKV, k, v)
		if err != nil {
			return err
		}
		if exp != 0 && exp <= nowNanos(s.now()) {
			return core.ErrNotFound
		}
		out = bytes.Clone(val)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: get %s/%s: %w", namespace, key, err)
	}
	return out, nil
}

// kvExpiry returns the stored expiry for a ttl counted from now: 0 for no
// expiry, at least 1 otherwise.
func kvExpiry(now time.Time, ttl time.Duration) uint64 {
	if ttl == 0 {
		return 0
	}
	return max(nowNanos(now.Add(ttl)), 1)
}

// Put implements core.Store. The value is stored as formatV1 || be8(expiry,
// 0 = none) || value, and an expiring entry is also indexed for ExpireKV. A
// negative ttl stores an already expired value.
func (s *Store) Put(ctx context.Context, namespace, key string, value []byte, ttl time.Duration) error {
	k, err := kvKey(namespace, key)
	if err != nil {
		return fmt.Errorf("store: put %s/%s: %w", namespace, key, err)
	}
	v := bytes.Clone(value)
	err = s.write(ctx, func(tx *bbolt.Tx, now time.Time) error {
		return putKV(tx, k, kvExpiry(now, ttl), v)
	})
	if err != nil {
		return fmt.Errorf("store: put %s/%s: %w", namespace, key, err)
	}
	return nil
}

// putKV writes one kv record and keeps the expiry index in step.
func putKV(tx *bbolt.Tx, k []byte, exp uint64, value []byte) error {
	if err := deleteKV(tx, k); err != nil {
		return err
	}
	if err := tx.Bucket(bucketKV).Put(k, encodeFixed(exp, value)); err != nil {
		return err
	}
	if exp != 0 {
		return tx.Bucket(bucketKVExpiry).Put(indexKey(exp, k), indexValue)
	}
	return nil
}

// deleteKV deletes one kv record, if present, and its expiry index entry.
func deleteKV(tx *bbolt.Tx, k []byte) error {
	kv := tx.Bucket(bucketKV)
	old := kv.Get(k)
	if old == nil {
		return nil
	}
	oldExp, _, err := decodeFixed(bucketKV, k, old)
	if err != nil {
		return err
	}
	if oldExp != 0 {
		if err := tx.Bucket(bucketKVExpiry).Delete(indexKey(oldExp, k)); err != nil {
			return err
		}
	}
	return kv.Delete(k)
}

// List implements core.Store. Records are returned in byte order of their
// keys; expired records that were not swept yet are skipped.
func (s *Store) List(ctx context.Context, namespace string, limit int) ([]core.KV, error) {
	out := []core.KV{}
	prefix, err := kvKey(namespace, "")
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", namespace, err)
	}
	err = s.view(ctx, func(tx *bbolt.Tx) error {
		now := nowNanos(s.now())
		c := tx.Bucket(bucketKV).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			exp, val, err := decodeFixed(bucketKV, k, v)
			if err != nil {
				return err
			}
			if exp != 0 && exp <= now {
				continue
			}
			out = append(out, core.KV{Key: string(k[len(prefix):]), Value: append([]byte{}, val...)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: list %s: %w", namespace, err)
	}
	return out, nil
}

// ExpireKV deletes up to batch key-value entries whose ttl ran out before now
// and returns how many it deleted. Get already hides expired entries; ExpireKV
// reclaims their space, in small batches like ExpireDedupe. It is not part of
// core.Store.
func (s *Store) ExpireKV(ctx context.Context, now time.Time, batch int) (int, error) {
	if batch <= 0 { // nothing to do, but report a closed store or a done ctx
		if err := s.view(ctx, func(*bbolt.Tx) error { return nil }); err != nil {
			return 0, fmt.Errorf("store: expire kv: %w", err)
		}
		return 0, nil
	}
	n := 0
	err := s.write(ctx, func(tx *bbolt.Tx, _ time.Time) error {
		var err error
		n, err = expireIndex(tx, bucketKVExpiry, bucketKV, nowNanos(now), batch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: expire kv: %w", err)
	}
	return n, nil
}
