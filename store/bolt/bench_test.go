package bolt

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/core"
)

// commitViaBatch is Commit through bbolt's DB.Batch (default MaxBatchDelay
// 10 ms, MaxBatchSize 1000) instead of the group committer, for comparison.
func (s *Store) commitViaBatch(c core.Commit) error {
	e, err := encodeCommit(c)
	if err != nil {
		return err
	}
	return s.db.Batch(func(tx *bbolt.Tx) error { return s.applyCommit(tx, s.now(), e) })
}

// webhookCommit is what one handled webhook commits: two dedupe keys, a
// ~300-byte state, the customer's turn and the bot's, one outbox entry and
// one counter.
func webhookCommit(k core.ConversationKey, i int64, rev uint64) core.Commit {
	now := time.Now()
	id := fmt.Sprintf("%s/%d", k.Chat, i)
	return core.Commit{
		Key: k,
		Dedupe: []core.DedupeKey{
			{Key: "slack:Ev" + id, Expires: now.Add(24 * time.Hour)},
			{Key: "slack:" + id, Expires: now.Add(24 * time.Hour)},
		},
		SaveState: true,
		State: core.State{
			Revision: rev, Language: "en", UserName: "Customer " + k.User,
			Slots: map[string]string{"order_id": "A-1234567", "email": "someone@example.com", "city": "Lisbon"},
			Flow:  "track_order", FlowSlot: "order_id", LastIntent: "track_order", Turns: int(rev) + 1,
			LastSeen: now,
			Handoff:  &core.Handoff{Reason: "asked for a person", Since: now, Channel: "C0SUPPORT", ThreadTS: "1712345678.000100"},
		},
		Turns: []core.Turn{
			{ID: "in-" + id, From: core.AuthorUser, Text: "where is my order A-1234567?", At: now},
			{ID: "out-" + id, From: core.AuthorBot, Text: "Your order A-1234567 left the warehouse yesterday.", At: now, Intent: "track_order", Confidence: 0.93},
		},
		Outbox: []core.OutboxEntry{{
			Reply: core.Reply{ID: "out-" + id, Key: k, From: core.AuthorBot,
				Text: "Your order A-1234567 left the warehouse yesterday.", InReplyTo: "in-" + id, Created: now},
			NextAttempt: now, Created: now,
		}},
		Counters: map[string]int64{"messages": 1},
	}
}

func BenchmarkCommit(b *testing.B) {
	if n := len(webhookCommit(core.ConversationKey{}, 0, 0).State.Slots); n == 0 {
		b.Fatal("bad fixture")
	}
	for _, mode := range []string{"group", "batch"} {
		for _, callers := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/callers=%d", mode, callers), func(b *testing.B) {
				benchCommit(b, callers, mode == "batch")
			})
		}
	}
}

func benchCommit(b *testing.B, callers int, viaBatch bool) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	before := s.db.Stats()
	b.ResetTimer()
	for g := range callers {
		wg.Go(func() {
			k := core.ConversationKey{Platform: "slack", Chat: fmt.Sprintf("C%03d", g), User: fmt.Sprintf("U%03d", g)}
			var rev uint64
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				c := webhookCommit(k, i, rev)
				var err error
				if viaBatch {
					err = s.commitViaBatch(c)
				} else {
					err = s.Commit(b.Context(), c)
				}
				if err != nil {
					b.Error(err)
					return
				}
				rev++
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	if st := s.Stats(); st.Batches > 0 {
		b.ReportMetric(float64(st.Ops)/float64(st.Batches), "commits/group")
	}
	after := s.db.Stats()
	d := after.Sub(&before)
	b.ReportMetric(float64(d.TxStats.GetPageAlloc())/float64(b.N), "page-B/commit")
}

// BenchmarkUpdateFloor is the disk's floor for one sequential caller: a
// bbolt Update that writes one 8-byte key, i.e. two fdatasyncs and little
// else. BenchmarkCommit/group/callers=1 cannot beat it.
func BenchmarkUpdateFloor(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "floor.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := range b.N {
		err := s.db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketCounters).Put([]byte("floor"), encodeFixed(uint64(i), nil))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}

// TestWebhookCommitSize keeps the benchmark honest about its state size.
func TestWebhookCommitSize(t *testing.T) {
	e, err := encodeCommit(webhookCommit(core.ConversationKey{Platform: "slack", Chat: "C001", User: "U001"}, 1, 0))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(e.state); n < 250 || n > 400 {
		t.Errorf("benchmark state is %d bytes of JSON, want about 300: %s", n, e.state)
	}
	if !strings.Contains(string(e.state), "track_order") {
		t.Error("state JSON misses fields")
	}
}
