package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/core"
)

// The transcript bucket is flat: a turn's key is conv || 0x00 || be8(seq),
// where conv is ConversationKey.String() (which never contains a NUL byte,
// so the prefix conv || 0x00 selects exactly one conversation). seq counts
// the conversation's turns from 1. Keys of one conversation stay contiguous
// (appended at the end, trimmed at the front), so the number kept is
// last-first+1 and trimming needs no scan. A flat bucket dirties one leaf
// per conversation per commit, where nested buckets dirtied the nested
// root and the parent's bucket header too.

func turnPrefix(conv []byte) []byte {
	p := make([]byte, len(conv)+1, len(conv)+9)
	copy(p, conv)
	return p
}

func turnKey(prefix []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(bytes.Clone(prefix), seq)
}

// lastTurn positions c on the conversation's newest turn and returns it, or
// nil if the conversation has no turns.
func lastTurn(c *bbolt.Cursor, prefix []byte) (k, v []byte) {
	k, v = c.Seek(turnKey(prefix, ^uint64(0)))
	if k == nil {
		k, v = c.Last()
	} else if !bytes.Equal(k, turnKey(prefix, ^uint64(0))) {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

// turnSeq returns the seq part of a turn key.
func turnSeq(prefix, k []byte) (uint64, error) {
	if len(k) != len(prefix)+8 {
		return 0, fmt.Errorf("store: %s: turn key %q is not conversation || 0x00 || be8: %w", bucketTranscript, k, ErrFormat)
	}
	return binary.BigEndian.Uint64(k[len(prefix):]), nil
}

// appendTurns appends the encoded turns to the conversation's transcript and
// deletes its oldest turns beyond TranscriptLimit.
func (s *Store) appendTurns(tx *bbolt.Tx, conv []byte, turns [][]byte) error {
	tb := tx.Bucket(bucketTranscript)
	prefix := turnPrefix(conv)
	c := tb.Cursor()
	var first, last uint64 = 1, 0
	if k, _ := lastTurn(c, prefix); k != nil {
		var err error
		if last, err = turnSeq(prefix, k); err != nil {
			return err
		}
		fk, _ := c.Seek(prefix)
		if first, err = turnSeq(prefix, fk); err != nil {
			return err
		}
	}
	for _, v := range turns {
		last++
		if err := tb.Put(turnKey(prefix, last), v); err != nil {
			return err
		}
	}
	limit := uint64(s.opts.TranscriptLimit)
	for seq := first; last-seq+1 > limit; seq++ {
		if err := tb.Delete(turnKey(prefix, seq)); err != nil {
			return err
		}
	}
	return nil
}

// Transcript implements core.Store.
func (s *Store) Transcript(ctx context.Context, key core.ConversationKey, limit int) ([]core.Turn, error) {
	turns := []core.Turn{}
	prefix := turnPrefix([]byte(key.String()))
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketTranscript).Cursor()
		k, v := lastTurn(c, prefix)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(turns) < limit; k, v = c.Prev() {
			var t core.Turn
			if err := decodeJSON(bucketTranscript, k, v, &t); err != nil {
				return err
			}
			turns = append(turns, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: transcript %s: %w", key, err)
	}
	for i, j := 0, len(turns)-1; i < j; i, j = i+1, j-1 {
		turns[i], turns[j] = turns[j], turns[i]
	}
	return turns, nil
}
