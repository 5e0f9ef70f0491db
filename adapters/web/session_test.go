package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/store/bolt"
)

// randomToken returns a well-formed token of the earlier, random format
// that no session record knows.
func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, legacyBytes)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// fakeClock is a settable clock shared by the adapter and its limiters.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(time.Date(2030, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// TestSessionCreationCostsNothing is issue 14's measure: 3,000 session
// creations from one client grow the store by less than 64 KiB or are
// throttled with 429 and Retry-After. Both hold here: the limit is lifted
// to count what creation writes, then the default limit throttles.
func TestSessionCreationCostsNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "switchboard.db")
	st, err := bolt.Open(context.Background(), path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	a := New(Config{SessionsPerMinute: 1_000_000, SessionBurst: 1_000_000}, nil, st, nil)
	mux := http.NewServeMux()
	a.Register(mux)
	create := func(a *Adapter, remote string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, "/api/web/session", nil)
		req.RemoteAddr = remote
		w := httptest.NewRecorder()
		a.serveNewSession(w, req)
		return w.Result()
	}
	if r := create(a, "198.51.100.1:1"); r.StatusCode != 201 { // writes the keyring once
		t.Fatalf("first session: %d", r.StatusCode)
	}
	before := size()
	for i := range 3000 {
		if r := create(a, "198.51.100.1:1"); r.StatusCode != 201 {
			t.Fatalf("session %d: %d", i, r.StatusCode)
		}
	}
	if grown := size() - before; grown >= 64<<10 {
		t.Fatalf("3,000 sessions grew the store by %d bytes", grown)
	}
	n, err := st.List(context.Background(), sessionNamespace, 10)
	if err != nil || len(n) != 0 {
		t.Fatalf("%d session records stored (%v), want 0 before any message", len(n), err)
	}

	// With the default limit, the same client is throttled after the burst.
	clock := newFakeClock()
	lim := New(Config{Now: clock.now}, nil, st, nil)
	created, throttled := 0, 0
	var retry string
	for range 3000 {
		r := create(lim, "198.51.100.1:1")
		switch r.StatusCode {
		case 201:
			created++
		case 429:
			throttled++
			retry = r.Header.Get("Retry-After")
		default:
			t.Fatalf("status %d", r.StatusCode)
		}
	}
	if created != DefaultSessionBurst || throttled != 3000-DefaultSessionBurst {
		t.Fatalf("created %d, throttled %d; want the burst of %d then 429", created, throttled, DefaultSessionBurst)
	}
	if secs, err := strconv.Atoi(retry); err != nil || secs < 1 || secs > 60 {
		t.Fatalf("Retry-After %q", retry)
	}
	// Another client is not affected; the first gets a token back after 6 s.
	if r := create(lim, "203.0.113.9:1"); r.StatusCode != 201 {
		t.Fatalf("another client: %d", r.StatusCode)
	}
	clock.add(6 * time.Second)
	if r := create(lim, "198.51.100.1:1"); r.StatusCode != 201 {
		t.Fatalf("after the refill: %d", r.StatusCode)
	}
}

// TestUnusedSessionExpires: a token that never sent a message is valid for
// UnusedSessionTTL; once used it lives for SessionTTL.
func TestUnusedSessionExpires(t *testing.T) {
	clock := newFakeClock()
	s := newStack(t, Config{Now: clock.now, UnusedSessionTTL: time.Hour, SessionTTL: 48 * time.Hour})
	unused, used := s.newSession(t), s.newSession(t)
	s.messages(t, unused) // valid, nothing stored
	s.post(t, used, "hi", "")
	clock.add(61 * time.Minute)
	if status, _, body := s.do(t, "GET", "/api/web/messages", unused, "", ""); status != 401 {
		t.Fatalf("unused token after its TTL: %d %s", status, body)
	}
	if status, _, body := s.do(t, "POST", "/api/web/messages", unused, "application/json", `{"text":"hi"}`); status != 401 {
		t.Fatalf("post with an expired unused token: %d %s", status, body)
	}
	if got := s.messages(t, used); len(got) == 0 {
		t.Fatal("used session lost its transcript")
	}
}

// TestForgedTokenRefused: a token with a wrong MAC, an unknown key or an
// issue time in the future is refused without a store record.
func TestForgedTokenRefused(t *testing.T) {
	clock := newFakeClock()
	s := newStack(t, Config{Now: clock.now})
	good := s.newSession(t)
	raw, _ := decodeToken(good)
	mutate := func(i int, f func(b []byte)) string {
		b := append([]byte(nil), raw...)
		f(b)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	forged := map[string]string{
		"flipped MAC bit":    mutate(0, func(b []byte) { b[tokenBytes-1] ^= 1 }),
		"changed random":     mutate(0, func(b []byte) { b[20] ^= 1 }),
		"unknown key id":     mutate(0, func(b []byte) { b[1] ^= 0xff }),
		"unknown version":    mutate(0, func(b []byte) { b[0] = 9 }),
		"issued later (MAC)": mutate(0, func(b []byte) { b[12]++ }),
	}
	for name, tok := range forged {
		if status, _, body := s.do(t, "POST", "/api/web/messages", tok, "application/json", `{"text":"hi"}`); status != 401 {
			t.Errorf("%s: %d %s, want 401", name, status, body)
		}
	}
	s.post(t, good, "hi", "")
}

// TestSessionKeyRotation: the signing key rotates every UnusedSessionTTL;
// tokens of the previous key stay valid for their lifetime, and a restart
// (a new Adapter on the same store) verifies the old tokens.
func TestSessionKeyRotation(t *testing.T) {
	clock := newFakeClock()
	s := newStack(t, Config{Now: clock.now, UnusedSessionTTL: time.Hour})
	first := s.newSession(t)
	clock.add(59 * time.Minute)
	second := s.newSession(t)
	clock.add(2 * time.Minute) // the key is now 61 minutes old: rotate
	third := s.newSession(t)
	k := func(tok string) uint32 {
		raw, _ := decodeToken(tok)
		return uint32(raw[1])<<24 | uint32(raw[2])<<16 | uint32(raw[3])<<8 | uint32(raw[4])
	}
	if k(first) != k(second) || k(second) == k(third) {
		t.Fatalf("key ids %x %x %x: want the first two equal and the third new", k(first), k(second), k(third))
	}
	s.messages(t, second) // 3 minutes old, signed with the previous key
	restarted := New(Config{Now: clock.now, UnusedSessionTTL: time.Hour}, nil, s.st, nil)
	mux := http.NewServeMux()
	restarted.Register(mux)
	for _, tok := range []string{second, third} {
		req, _ := http.NewRequest("GET", "/api/web/messages", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if r := w.Result(); r.StatusCode != 200 {
			t.Fatalf("after a restart: %d", r.StatusCode)
		}
	}
	raw, err := s.st.Get(context.Background(), keyringNamespace, keyringKey)
	if err != nil {
		t.Fatal(err)
	}
	var keys []sessionKey
	if err := json.Unmarshal(raw, &keys); err != nil || len(keys) != 2 {
		t.Fatalf("keyring %d keys (%v), want 2", len(keys), err)
	}
}

// TestUsedSessionOutlivesItsKey: a session that sent a message stays valid
// for SessionTTL after its signing key was retired.
func TestUsedSessionOutlivesItsKey(t *testing.T) {
	clock := newFakeClock()
	s := newStack(t, Config{Now: clock.now, UnusedSessionTTL: time.Hour, SessionTTL: 30 * 24 * time.Hour})
	tok := s.newSession(t)
	s.post(t, tok, "hello", "")
	for range 3 { // three rotations: the first key is long retired
		clock.add(2 * time.Hour)
		s.newSession(t)
	}
	if got := s.messages(t, tok); len(got) == 0 {
		t.Fatal("the used session lost its transcript")
	}
	unused := s.newSession(t)
	clock.add(5 * time.Hour)
	s.newSession(t)
	if status, _, _ := s.do(t, "GET", "/api/web/messages", unused, "", ""); status != 401 {
		t.Fatalf("an unused token of a retired key: %d, want 401", status)
	}
}
