package bolt

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/core"
)

// op is one queued write. apply runs inside the group's read-write
// transaction. It must either return a logical error (see isLogical) having
// written nothing, or return nil having written everything. Any other error
// rolls the whole group back; the group is then retried without that op. apply
// may therefore run more than once and must reset any result it reports.
type op struct {
	apply func(tx *bbolt.Tx, now time.Time) error
	done  chan error // buffered, receives exactly one result
	state atomic.Int32
}

// op states: a queued op is claimed by the committer or abandoned by its
// caller, whichever comes first.
const (
	opQueued int32 = iota
	opClaimed
	opAbandoned
)

// isLogical reports whether err is an expected per-op outcome that leaves the
// rest of the group unaffected.
func isLogical(err error) bool {
	return errors.Is(err, core.ErrDuplicate) || errors.Is(err, core.ErrConflict) ||
		errors.Is(err, core.ErrNotFound)
}

// write queues apply for the committer and waits for its result. It returns
// core.ErrClosed after Close, and ctx.Err() if ctx ends while the op is still
// queued (the op is then never applied). Once the committer has claimed the
// op, write waits for the commit, which is short, so that its answer is true.
func (s *Store) write(ctx context.Context, apply func(tx *bbolt.Tx, now time.Time) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o := &op{apply: apply, done: make(chan error, 1)}
	s.mu.RLock()
	if s.closed.Load() {
		s.mu.RUnlock()
		return core.ErrClosed
	}
	select {
	case s.queue <- o:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
		if o.state.CompareAndSwap(opQueued, opAbandoned) {
			return ctx.Err()
		}
		return <-o.done
	}
}

// run is the committer goroutine: it takes the first queued op, drains
// whatever else is already queued without waiting, and commits them all in one
// transaction. It returns when Close has closed the queue and it is empty.
func (s *Store) run() {
	defer close(s.stopped)
	group := make([]*op, 0, queueSize)
	for {
		first, ok := <-s.queue
		if !ok {
			return
		}
		group = append(group[:0], first)
	drain:
		for len(group) < queueSize {
			select {
			case o, ok := <-s.queue:
				if !ok {
					break drain
				}
				group = append(group, o)
			default:
				break drain
			}
		}
		s.commitGroup(group)
		clear(group) // drop references to finished ops
	}
}

// commitGroup applies the claimed ops of group in one bbolt Update and
// answers each caller. Logical errors are per op. An op failing with any other
// error is answered with it and the group is retried without it. If the commit
// itself fails, every op gets that error.
func (s *Store) commitGroup(group []*op) {
	live := group[:0:0]
	for _, o := range group {
		if o.state.CompareAndSwap(opQueued, opClaimed) {
			live = append(live, o)
		}
	}
	results := make([]error, len(live))
	for len(live) > 0 {
		failed := -1
		now := s.now()
		err := s.db.Update(func(tx *bbolt.Tx) error {
			for i, o := range live {
				err := o.apply(tx, now)
				if err != nil && !isLogical(err) {
					failed = i
					return err
				}
				results[i] = err
			}
			return nil
		})
		if failed >= 0 {
			s.log.Error("write failed; retrying its group without it", "err", err, "group", len(live))
			live[failed].done <- err
			live = append(live[:failed], live[failed+1:]...)
			results = results[:len(live)]
			continue
		}
		s.batches.Add(1)
		s.ops.Add(uint64(len(live)))
		if err != nil {
			err = fmt.Errorf("store: commit %s: %w", s.path, err)
			s.log.Error("group commit failed", "err", err, "group", len(live))
		}
		for i, o := range live {
			if err != nil {
				o.done <- err
			} else {
				o.done <- results[i]
			}
		}
		return
	}
}
