package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/core"
)

var fixedTime = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

// fullEntry sets every field of core.OutboxEntry and core.Reply.
func fullEntry() core.OutboxEntry {
	return core.OutboxEntry{
		Seq: 7,
		Reply: core.Reply{
			ID: "r1", Channel: "C0BILLING", Key: core.ConversationKey{Platform: "slack", Chat: "C1", User: "U1"},
			Kind: core.ReplyRelay, About: core.ConversationKey{Platform: "telegram", Chat: "42", User: "42"},
			From: core.AuthorAgent, AgentName: "ana", Text: "hi", QuickReplies: []string{"a", "b"},
			ReplyTo: "1.0001", InReplyTo: "m1", Created: fixedTime,
			Corrects: "agent.0", Broadcast: true, Mention: "<!here>",
			Case: &core.CaseCard{Customer: "Ana", Platform: "web", Language: "zh", Reason: "asked", Intents: []string{"a"},
				Slots: map[string]string{"order": "AB1"}, Sentiment: "neutral", Since: fixedTime, Turns: []core.Turn{{ID: "t", From: core.AuthorUser, Text: "x", At: fixedTime}},
				TranscriptURL: "https://x/t", Status: core.CaseAssigned, Agent: "Bo", At: fixedTime, Why: "w"},
		},
		Attempts: 2, NextAttempt: fixedTime.Add(time.Minute), LastError: "HTTP 429", Created: fixedTime,
	}
}

// allFieldsSet fails if any field of v (recursively through structs) is zero,
// so a field added to a core type is noticed by the record conversion test.
func allFieldsSet(t *testing.T, name string, v reflect.Value) {
	t.Helper()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if f.IsZero() {
			t.Errorf("%s.%s is zero in the fixture: add it to the fixture and to the records in codec.go", name, sf.Name)
		}
		if f.Kind() == reflect.Struct && sf.Type != reflect.TypeFor[time.Time]() {
			allFieldsSet(t, name+"."+sf.Name, f)
		}
	}
}

func TestOutboxRecordRoundTrip(t *testing.T) {
	e := fullEntry()
	allFieldsSet(t, "OutboxEntry", reflect.ValueOf(e))
	v, err := encodeOutbox(toOutboxRecord(e))
	if err != nil {
		t.Fatal(err)
	}
	rec, due, err := decodeOutbox(be8(e.Seq), v)
	if err != nil {
		t.Fatal(err)
	}
	got := rec.entry(e.Seq)
	got.Reply.Created, got.NextAttempt, got.Created = got.Reply.Created.UTC(), got.NextAttempt.UTC(), got.Created.UTC()
	if !reflect.DeepEqual(got, e) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, e)
	}
	if due != uint64(e.NextAttempt.UnixNano()) {
		t.Errorf("due prefix %d, want %d", due, e.NextAttempt.UnixNano())
	}
}

func TestNanosClamp(t *testing.T) {
	for _, tc := range []struct {
		name string
		t    time.Time
		zero uint64
		want uint64
	}{
		{"zero as never", time.Time{}, 1<<63 - 1, 1<<63 - 1},
		{"zero as now", time.Time{}, 0, 0},
		{"before 1970", time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), 0, 0},
		{"after 2262", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 0, 1<<63 - 1},
		{"normal", fixedTime, 0, uint64(fixedTime.UnixNano())},
	} {
		if got := nanos(tc.t, tc.zero); got != tc.want {
			t.Errorf("%s: nanos = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestFormatByte checks that every value in the file starts with the format
// byte, and that an unknown format byte is a clear error.
func TestFormatByte(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	s := openTest(t, path, Options{})
	ctx := t.Context()
	k := core.ConversationKey{Platform: "web", Chat: "c", User: "u"}
	err := s.Commit(ctx, core.Commit{
		Key: k, Dedupe: []core.DedupeKey{{Key: "d1", Expires: time.Now().Add(time.Hour)}},
		SaveState: true, State: core.State{UserName: "Ann"},
		Turns:    []core.Turn{{ID: "t1", From: core.AuthorUser, Text: "hi"}},
		Outbox:   []core.OutboxEntry{fullEntry(), fullEntry()},
		Counters: map[string]int64{"messages": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.PendingOutbox(ctx, time.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeadLetter(ctx, p[0].Seq, "x", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "web", "session", []byte("v"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	values := 0
	rawUpdate(t, path, func(tx *bbolt.Tx) error {
		var walk func(path string, b *bbolt.Bucket) error
		walk = func(path string, b *bbolt.Bucket) error {
			return b.ForEach(func(key, v []byte) error {
				if v == nil {
					return walk(path+"/"+string(key), b.Bucket(key))
				}
				values++
				if len(v) == 0 || v[0] != formatV1 {
					t.Errorf("%s/%q: value %x does not start with the format byte", path, key, v)
				}
				return nil
			})
		}
		for _, name := range allBuckets {
			if err := walk(string(name), tx.Bucket(name)); err != nil {
				return err
			}
		}
		// Damage the conversation's format byte for the next step.
		convs := tx.Bucket(bucketConversations)
		v := bytes.Clone(convs.Get([]byte(k.String())))
		v[0] = 9
		return convs.Put([]byte(k.String()), v)
	})
	if values != 11 { // one per bucket: the fixture writes each kind of value once
		t.Errorf("walked %d values, want 11", values)
	}

	s = openTest(t, path, Options{})
	_, _, err = s.Load(ctx, k, nil)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "conversations") ||
		!strings.Contains(err.Error(), "format byte 9") {
		t.Errorf("Load of a value with format byte 9: got %v, want ErrFormat naming the bucket and the byte", err)
	}
	// The rest of the store is unaffected, and the damaged record's commit
	// fails alone.
	if _, seen, err := s.Load(ctx, k, []string{"d1"}); err == nil || seen {
		t.Errorf("Load with damaged state: seen=%v err=%v", seen, err)
	}
	if _, err := s.Transcript(ctx, k, 10); err != nil {
		t.Errorf("transcript: %v", err)
	}
	if err := s.Commit(ctx, core.Commit{Key: k, SaveState: true, State: core.State{Revision: 1}}); !errors.Is(err, ErrFormat) {
		t.Errorf("commit over a damaged state: got %v, want ErrFormat", err)
	}
	if err := s.Commit(ctx, core.Commit{Key: core.ConversationKey{Platform: "web", Chat: "other"}, SaveState: true}); err != nil {
		t.Errorf("commit to another conversation: %v", err)
	}
}

func TestZeroExpiryNeverExpires(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"), Options{})
	ctx := t.Context()
	if err := s.Commit(ctx, core.Commit{Key: testKey, Dedupe: []core.DedupeKey{{Key: "forever"}}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ExpireDedupe(ctx, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 10); err != nil || n != 0 {
		t.Errorf("ExpireDedupe = %d, %v; want 0", n, err)
	}
	if !seen(t, s, "forever") {
		t.Error("key with zero Expires not seen")
	}
}

func TestExpireKV(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "db"), Options{})
	ctx := t.Context()
	for _, k := range []string{"a", "b", "c"} {
		if err := s.Put(ctx, "web", k, []byte(k), time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, "web", "keep", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "web", "later", []byte("x"), time.Hour); err != nil {
		t.Fatal(err)
	}
	// "c" gets a fresh value without ttl: its old index entry must not delete it.
	if err := s.Put(ctx, "web", "c", []byte("c2"), 0); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Second)
	var got []int
	for {
		n, err := s.ExpireKV(ctx, now, 1)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, n)
	}
	if len(got) != 2 {
		t.Errorf("ExpireKV batches %v, want two batches of 1 (a and b)", got)
	}
	for key, want := range map[string]bool{"a": false, "b": false, "c": true, "keep": true, "later": true} {
		_, err := s.Get(ctx, "web", key)
		if found := err == nil; found != want {
			t.Errorf("%s: found=%v (%v), want %v", key, found, err, want)
		}
	}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketKV).Stats().KeyN; n != 3 {
			t.Errorf("kv bucket holds %d keys, want 3", n)
		}
		if n := tx.Bucket(bucketKVExpiry).Stats().KeyN; n != 1 {
			t.Errorf("kv_expiry index holds %d keys, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "bad\x00ns", "k", nil, 0); err == nil {
		t.Error("namespace with NUL accepted")
	}
}

func TestBackupAndCompact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.db")
	s := openTest(t, path, Options{})
	ctx := t.Context()
	// Enough churn to leave free pages behind.
	big := strings.Repeat("x", 2000)
	for i := range 300 {
		k := core.ConversationKey{Platform: "web", Chat: "c", User: string(rune('a' + i%26))}
		err := s.Commit(ctx, core.Commit{
			Key: k, Dedupe: []core.DedupeKey{{Key: fmt.Sprintf("d%d", i), Expires: time.Now().Add(-time.Hour)}},
			Turns:    []core.Turn{{ID: "t", Text: big}},
			Outbox:   []core.OutboxEntry{{Reply: core.Reply{ID: "r", Key: k, Text: big}}},
			Counters: map[string]int64{"messages": 1},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.PendingOutbox(ctx, time.Now(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range p[:290] {
		if err := s.CompleteOutbox(ctx, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	for {
		n, err := s.ExpireDedupe(ctx, time.Now(), 100)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	if err := s.Put(ctx, "web", "session", []byte("abc"), 0); err != nil {
		t.Fatal(err)
	}

	backup := filepath.Join(dir, "backup.db")
	f, err := os.Create(backup)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.Backup(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(backup); fi.Size() != n {
		t.Errorf("Backup reported %d bytes, file has %d", n, fi.Size())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	compacted := filepath.Join(dir, "out", "compacted.db")
	if err := Compact(ctx, path, compacted); err != nil {
		t.Fatal(err)
	}
	if err := Compact(ctx, path, compacted); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("Compact over an existing file: %v", err)
	}
	if err := Compact(ctx, filepath.Join(dir, "missing.db"), filepath.Join(dir, "x.db")); err == nil {
		t.Error("Compact of a missing file succeeded")
	}
	src, _ := os.Stat(path)
	dst, _ := os.Stat(compacted)
	t.Logf("original %d bytes, backup %d, compacted %d", src.Size(), n, dst.Size())
	if dst.Size() >= src.Size() {
		t.Errorf("compacted file (%d bytes) is not smaller than the original (%d)", dst.Size(), src.Size())
	}

	for _, copyPath := range []string{backup, compacted} {
		c := openTest(t, copyPath, Options{})
		pend, err := c.PendingOutbox(ctx, time.Now(), 1000)
		if err != nil || len(pend) != 10 || pend[0].Seq != p[290].Seq {
			t.Errorf("%s: outbox %d entries (%v)", copyPath, len(pend), err)
		}
		cnt, err := c.Counters(ctx)
		if err != nil || cnt["messages"] != 300 {
			t.Errorf("%s: counters %v (%v)", copyPath, cnt, err)
		}
		if v, err := c.Get(ctx, "web", "session"); err != nil || string(v) != "abc" {
			t.Errorf("%s: kv %q (%v)", copyPath, v, err)
		}
		ts, err := c.Transcript(ctx, core.ConversationKey{Platform: "web", Chat: "c", User: "a"}, 100)
		if err != nil || len(ts) != 12 {
			t.Errorf("%s: transcript %d turns (%v)", copyPath, len(ts), err)
		}
		// Sequences survive: a new entry is ordered after the old ones.
		k := core.ConversationKey{Platform: "web", Chat: "c", User: "z"}
		if err := c.Commit(ctx, core.Commit{Key: k, Outbox: []core.OutboxEntry{{Reply: core.Reply{ID: "new", Key: k}}}}); err != nil {
			t.Fatal(err)
		}
		pend, _ = c.PendingOutbox(ctx, time.Now(), 1000)
		if last := pend[len(pend)-1]; last.Reply.ID != "new" || last.Seq <= p[len(p)-1].Seq {
			t.Errorf("%s: new entry %q got seq %d, old max %d", copyPath, last.Reply.ID, last.Seq, p[len(p)-1].Seq)
		}
	}
}
