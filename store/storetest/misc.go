package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

func testKV(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	get := func(ns, key string) ([]byte, error) { return s.Get(ctx, ns, key) }
	wantValue := func(ns, key, want string) {
		t.Helper()
		v, err := get(ns, key)
		must(t, err, "get "+ns+"/"+key)
		if string(v) != want {
			t.Errorf("Get(%s, %s) = %q, want %q", ns, key, v, want)
		}
	}

	_, err := get("web", "s1")
	mustIs(t, err, core.ErrNotFound, "get missing key")

	must(t, s.Put(ctx, "web", "s1", []byte("v1"), 0), "put")
	wantValue("web", "s1", "v1")
	must(t, s.Put(ctx, "web", "s1", []byte("v2\x00bin"), 0), "overwrite")
	wantValue("web", "s1", "v2\x00bin")
	must(t, s.Put(ctx, "wechat", "s1", []byte("token"), time.Hour), "put other namespace")
	wantValue("web", "s1", "v2\x00bin")
	wantValue("wechat", "s1", "token")
	_, err = get("web", "s")
	mustIs(t, err, core.ErrNotFound, "get prefix of a key")

	// The returned slice belongs to the caller.
	v, err := get("web", "s1")
	must(t, err, "get")
	v[0] = 'X'
	wantValue("web", "s1", "v2\x00bin")

	// An empty value is a value.
	must(t, s.Put(ctx, "web", "empty", []byte{}, 0), "put empty")
	v, err = get("web", "empty")
	if err != nil || len(v) != 0 {
		t.Errorf("Get(empty value) = %q, %v", v, err)
	}

	// Expiry.
	must(t, s.Put(ctx, "web", "short", []byte("soon gone"), 20*time.Millisecond), "put with ttl")
	o.clock.Add(100 * time.Millisecond)
	_, err = get("web", "short")
	mustIs(t, err, core.ErrNotFound, "get expired key")
	wantValue("wechat", "s1", "token")
	// Putting again without ttl revives it for good.
	must(t, s.Put(ctx, "web", "short", []byte("back"), 0), "put again without ttl")
	wantValue("web", "short", "back")
	// A ttl can be replaced by none and the other way round.
	must(t, s.Put(ctx, "web", "s1", []byte("v3"), 20*time.Millisecond), "put with ttl over no ttl")
	must(t, s.Put(ctx, "web", "s1", []byte("v4"), 0), "put without ttl over ttl")
	o.clock.Add(60 * time.Millisecond)
	wantValue("web", "s1", "v4")

	// List: one namespace, key order, no expired records, limit.
	must(t, s.Put(ctx, "we", "b", []byte("in a prefix namespace"), 0), "put")
	must(t, s.Put(ctx, "web", "gone", []byte("x"), time.Millisecond), "put")
	o.clock.Add(20 * time.Millisecond)
	list := func(ns string, limit int) []core.KV {
		t.Helper()
		kvs, err := s.List(ctx, ns, limit)
		must(t, err, "list "+ns)
		return kvs
	}
	equal(t, "List(web)", list("web", 100), []core.KV{
		{Key: "empty", Value: []byte{}}, {Key: "s1", Value: []byte("v4")}, {Key: "short", Value: []byte("back")},
	})
	equal(t, "List(web, 2)", list("web", 2), []core.KV{{Key: "empty", Value: []byte{}}, {Key: "s1", Value: []byte("v4")}})
	equal(t, "List(we)", list("we", 100), []core.KV{{Key: "b", Value: []byte("in a prefix namespace")}})
	if kvs := list("nothing", 10); len(kvs) != 0 {
		t.Errorf("List of an empty namespace: %+v", kvs)
	}
}

// testCommitKV: KV writes inside a Commit are applied in order, atomically
// with the rest of the commit.
func testCommitKV(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	k := convKey(1)
	future := o.now().Add(time.Hour)
	must(t, s.Put(ctx, "cases", "old", []byte("x"), 0), "put")
	commit(t, s, core.Commit{Key: k, Dedupe: dedupe(future, "m1"), KV: []core.KVWrite{
		{Namespace: "cases", Key: "C1/1.0001", Value: []byte(k.String())},
		{Namespace: "cases", Key: "old", Delete: true},
		{Namespace: "cases", Key: "temp", Value: []byte("t"), TTL: time.Hour},
		{Namespace: "cases", Key: "twice", Value: []byte("first")},
		{Namespace: "cases", Key: "twice", Value: []byte("second")},
		{Namespace: "cases", Key: "put-then-delete", Value: []byte("x")},
		{Namespace: "cases", Key: "put-then-delete", Delete: true},
		{Namespace: "cases", Key: "never-existed", Delete: true},
		{Namespace: "tokens", Key: "short", Value: []byte("s"), TTL: 10 * time.Millisecond},
	}})
	kvs, err := s.List(ctx, "cases", 100)
	must(t, err, "list")
	equal(t, "namespace after commit", kvs, []core.KV{
		{Key: "C1/1.0001", Value: []byte(k.String())}, {Key: "temp", Value: []byte("t")}, {Key: "twice", Value: []byte("second")},
	})
	o.clock.Add(50 * time.Millisecond)
	_, err = s.Get(ctx, "tokens", "short")
	mustIs(t, err, core.ErrNotFound, "kv written by commit with a ttl, after the ttl")

	err = s.Commit(ctx, core.Commit{Key: k, Dedupe: dedupe(future, "m1"), KV: []core.KVWrite{
		{Namespace: "cases", Key: "lost", Value: []byte("x")},
		{Namespace: "cases", Key: "temp", Delete: true},
	}})
	mustIs(t, err, core.ErrDuplicate, "duplicate commit with kv writes")
	kvs, err = s.List(ctx, "cases", 100)
	must(t, err, "list")
	if len(kvs) != 3 || kvs[1].Key != "temp" {
		t.Errorf("a failed commit changed the namespace: %+v", kvs)
	}
}

// testReopen: everything written before Close is there after reopening.
func testReopen(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	k := convKey(1)
	future := o.now().Add(time.Hour)
	commit(t, s, core.Commit{
		Key: k, Dedupe: dedupe(future, "d1"), SaveState: true, State: fullState(),
		Turns:    []core.Turn{turn("t0", 0), turn("t1", 1)},
		Outbox:   []core.OutboxEntry{entry(k, "r0"), entry(k, "r1")},
		Counters: map[string]int64{"messages": 2},
	})
	p := pending(t, s, t0, 10)
	must(t, s.DeadLetter(ctx, p[0].Seq, "blocked", t0), "dead-letter")
	must(t, s.Put(ctx, "web", "session", []byte("abc"), time.Hour), "put")
	must(t, s.Close(), "close")

	s = o.store(t)
	st, seen := load(t, s, k, "d1")
	want := fullState()
	want.Revision = 1
	if !seen {
		t.Error("dedupe key lost on reopen")
	}
	equal(t, "state after reopen", normState(st), want)
	equal(t, "transcript after reopen", normTurns(transcript(t, s, k, 10)), []core.Turn{turn("t0", 0), turn("t1", 1)})
	equal(t, "outbox after reopen", ids(pending(t, s, t0, 10)), []string{"r1"})
	dl, err := s.DeadLetters(ctx, 10)
	must(t, err, "dead letters")
	if len(dl) != 1 || dl[0].Entry.Reply.ID != "r0" || dl[0].Reason != "blocked" {
		t.Errorf("dead letters after reopen: %+v", dl)
	}
	v, err := s.Get(ctx, "web", "session")
	if err != nil || string(v) != "abc" {
		t.Errorf("kv after reopen: %q, %v", v, err)
	}
	equal(t, "counters after reopen", counters(t, s), map[string]int64{"messages": 2})

	// Revisions and duplicates carry on.
	mustIs(t, s.Commit(ctx, core.Commit{Key: k, Dedupe: dedupe(future, "d1")}), core.ErrDuplicate, "duplicate after reopen")
	mustIs(t, s.Commit(ctx, core.Commit{Key: k, SaveState: true}), core.ErrConflict, "stale revision after reopen")
	commit(t, s, core.Commit{Key: k, SaveState: true, State: st})
	if st, _ = load(t, s, k); st.Revision != 2 {
		t.Errorf("revision after reopen and commit = %d, want 2", st.Revision)
	}
}

// testCanceledContext: a commit whose context is already done fails with the
// context's error and writes nothing.
func testCanceledContext(t *testing.T, o *opener) {
	s := o.store(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	k := convKey(1)
	err := s.Commit(ctx, core.Commit{Key: k, Dedupe: dedupe(o.now().Add(time.Hour), "c1"),
		SaveState: true, State: fullState()})
	mustIs(t, err, context.Canceled, "commit with canceled context")
	st, seen := load(t, s, k, "c1")
	if seen || st.Revision != 0 {
		t.Errorf("canceled commit was written: seen=%v revision=%d", seen, st.Revision)
	}
}

// testClosed: every method returns ErrClosed after Close, Close included.
func testClosed(t *testing.T, o *opener) {
	s := o.store(t)
	ctx := t.Context()
	commit(t, s, core.Commit{Key: convKey(1), Outbox: []core.OutboxEntry{entry(convKey(1), "r")}})
	must(t, s.Close(), "close")
	calls := []struct {
		name string
		call func() error
	}{
		{"Load", func() error { _, _, err := s.Load(ctx, convKey(1), []string{"k"}); return err }},
		{"Commit", func() error { return s.Commit(ctx, core.Commit{Key: convKey(1)}) }},
		{"Transcript", func() error { _, err := s.Transcript(ctx, convKey(1), 10); return err }},
		{"PendingOutbox", func() error { _, err := s.PendingOutbox(ctx, t0, 10); return err }},
		{"NextOutboxAttempt", func() error { _, _, err := s.NextOutboxAttempt(ctx); return err }},
		{"OutboxLen", func() error { _, err := s.OutboxLen(ctx); return err }},
		{"CompleteOutbox", func() error { return s.CompleteOutbox(ctx, 1) }},
		{"RetryOutbox", func() error { return s.RetryOutbox(ctx, 1, 1, t0, "x") }},
		{"DeadLetter", func() error { return s.DeadLetter(ctx, 1, "x", t0) }},
		{"DeadLetters", func() error { _, err := s.DeadLetters(ctx, 10); return err }},
		{"Get", func() error { _, err := s.Get(ctx, "web", "k"); return err }},
		{"Put", func() error { return s.Put(ctx, "web", "k", []byte("v"), 0) }},
		{"List", func() error { _, err := s.List(ctx, "web", 10); return err }},
		{"ExpireDedupe", func() error { _, err := s.ExpireDedupe(ctx, o.now(), 10); return err }},
		{"Counters", func() error { _, err := s.Counters(ctx); return err }},
		{"Close", s.Close},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, core.ErrClosed) {
			t.Errorf("%s after Close: got %v, want ErrClosed", c.name, err)
		}
	}
}
