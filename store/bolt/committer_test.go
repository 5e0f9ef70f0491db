package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/switchboard-gw/switchboard/core"
)

var testKey = core.ConversationKey{Platform: "web", Chat: "c", User: "u"}

func commitOp(t *testing.T, s *Store, c core.Commit) *op {
	t.Helper()
	e, err := encodeCommit(c)
	if err != nil {
		t.Fatal(err)
	}
	return &op{done: make(chan error, 1), apply: func(tx *bbolt.Tx, now time.Time) error {
		return s.applyCommit(tx, now, e)
	}}
}

func seen(t *testing.T, s *Store, key string) bool {
	t.Helper()
	_, ok, err := s.Load(t.Context(), testKey, []string{key})
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// TestCommitGroup drives commitGroup directly with one group and checks
// each op's answer: a duplicate inside the group is caught, logical errors
// stay per op, an op failing otherwise is rolled back alone, an abandoned op
// is skipped, and the group costs one transaction.
func TestCommitGroup(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"), Options{})
	future := time.Now().Add(time.Hour)
	dk := func(keys ...string) []core.DedupeKey {
		var out []core.DedupeKey
		for _, k := range keys {
			out = append(out, core.DedupeKey{Key: k, Expires: future})
		}
		return out
	}
	boom := errors.New("boom")
	failing := &op{done: make(chan error, 1), apply: func(tx *bbolt.Tx, _ time.Time) error {
		// Writes, then fails: the write must not survive.
		if err := tx.Bucket(bucketDedupe).Put([]byte("from-failing-op"), encodeFixed(expiryNanos(future), nil)); err != nil {
			return err
		}
		return boom
	}}
	abandoned := commitOp(t, s, core.Commit{Key: testKey, Dedupe: dk("abandoned")})
	abandoned.state.Store(opAbandoned)
	group := []*op{
		commitOp(t, s, core.Commit{Key: testKey, Dedupe: dk("a"), SaveState: true}),
		commitOp(t, s, core.Commit{Key: testKey, Dedupe: dk("b", "a")}),             // duplicate of op 0 in the same group
		commitOp(t, s, core.Commit{Key: testKey, Dedupe: dk("c"), SaveState: true}), // stale: op 0 made revision 1
		failing,
		abandoned,
		commitOp(t, s, core.Commit{Key: testKey, Dedupe: dk("d"), State: core.State{Revision: 1}, SaveState: true}),
	}
	before := s.Stats()
	s.commitGroup(group)
	want := []error{nil, core.ErrDuplicate, core.ErrConflict, boom, nil, nil}
	for i, o := range group {
		if o == abandoned {
			select {
			case err := <-o.done:
				t.Errorf("abandoned op was answered with %v", err)
			default:
			}
			continue
		}
		if err := <-o.done; !errors.Is(err, want[i]) || (want[i] == nil && err != nil) {
			t.Errorf("op %d: got %v, want %v", i, err, want[i])
		}
	}
	for key, want := range map[string]bool{"a": true, "b": false, "c": false, "d": true, "abandoned": false, "from-failing-op": false} {
		if got := seen(t, s, key); got != want {
			t.Errorf("dedupe key %s: seen = %v, want %v", key, got, want)
		}
	}
	st, _, err := s.Load(t.Context(), testKey, nil)
	if err != nil || st.Revision != 2 {
		t.Errorf("revision = %d (%v), want 2", st.Revision, err)
	}
	if got := s.Stats(); got.Batches-before.Batches != 1 || got.Ops-before.Ops != 4 {
		t.Errorf("stats moved by %+v -> %+v, want one group of 4 ops", before, got)
	}
}

// TestCommitGroupUpdateFails: when the transaction itself cannot commit,
// every op of the group gets the error.
func TestCommitGroupUpdateFails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s, err := Open(t.Context(), path, Options{Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	group := []*op{
		commitOp(t, s, core.Commit{Key: testKey}),
		commitOp(t, s, core.Commit{Key: testKey, SaveState: true}),
	}
	if err := s.db.Close(); err != nil { // the "disk" goes away under the committer
		t.Fatal(err)
	}
	s.commitGroup(group)
	for i, o := range group {
		if err := <-o.done; !errors.Is(err, bberrors.ErrDatabaseNotOpen) {
			t.Errorf("op %d: got %v, want the commit's error", i, err)
		}
	}
}

// blockCommitter queues an op that holds the committer until release is
// closed, and returns once the committer is inside it.
func blockCommitter(t *testing.T, s *Store) (release chan struct{}, finished chan error) {
	t.Helper()
	entered, release := make(chan struct{}), make(chan struct{})
	finished = make(chan error, 1)
	go func() {
		finished <- s.write(context.Background(), func(*bbolt.Tx, time.Time) error {
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	return release, finished
}

// TestCanceledWhileQueued: a commit whose context ends while it waits in the
// queue returns ctx.Err() and is never applied.
func TestCanceledWhileQueued(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"), Options{})
	release, finished := blockCommitter(t, s)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := s.Commit(ctx, core.Commit{Key: testKey, Dedupe: []core.DedupeKey{{Key: "queued", Expires: time.Now().Add(time.Hour)}}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("commit: got %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	// Force one more group through, so the abandoned op has been dequeued.
	if err := s.Commit(t.Context(), core.Commit{Key: testKey}); err != nil {
		t.Fatal(err)
	}
	if seen(t, s, "queued") {
		t.Error("a commit that returned ctx.Err() was applied")
	}
}

// TestCloseFlushesQueue: Close commits what is queued before closing, and
// writes after Close fail with ErrClosed.
func TestCloseFlushesQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := openTest(t, path, Options{})
	release, finished := blockCommitter(t, s)
	const n = 20
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs <- s.Commit(context.Background(), core.Commit{Key: testKey, Counters: map[string]int64{"queued": int64(i + 1)}})
		})
	}
	// Wait until all n commits are queued behind the blocking op.
	for deadline := time.Now().Add(5 * time.Second); len(s.queue) < n; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d commits queued", len(s.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.closed.Load() {
		time.Sleep(time.Millisecond)
	}
	if err := s.Commit(t.Context(), core.Commit{Key: testKey}); !errors.Is(err, core.ErrClosed) {
		t.Errorf("commit during Close: got %v, want ErrClosed", err)
	}
	close(release)
	if err := <-closed; err != nil {
		t.Fatalf("close: %v", err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("queued commit: %v", err)
		}
	}
	if err := <-finished; err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, Options{})
	c, err := s.Counters(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c["queued"] != n*(n+1)/2 {
		t.Errorf("after reopen counter = %d, want %d", c["queued"], n*(n+1)/2)
	}
}

// TestGroupsForm: concurrent callers share transactions.
func TestGroupsForm(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"), Options{})
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			k := core.ConversationKey{Platform: "web", Chat: "c", User: string(rune('a' + g))}
			for range 20 {
				if err := s.Commit(t.Context(), core.Commit{Key: k, Counters: map[string]int64{"n": 1}}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	st := s.Stats()
	if st.Ops != 640 || st.Batches >= st.Ops/2 {
		t.Errorf("stats %+v: want 640 ops in far fewer groups", st)
	}
	t.Logf("640 commits from 32 callers in %d groups (%.1f per group)", st.Batches, float64(st.Ops)/float64(st.Batches))
}
