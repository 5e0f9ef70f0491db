package main

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const goodAdminToken = "0123456789abcdefghijklmnopqrstuvwxyz"

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAdminWrongTokensLimitedAndLogged: 100 wrong tokens from one address
// get 401 for the first adminFailBurst, then 429 with Retry-After, even for
// the right token; each failure is logged with the address; another address
// is not affected, and the first recovers with time.
func TestAdminWrongTokensLimitedAndLogged(t *testing.T) {
	logs := &lockedBuffer{}
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	clock := func() time.Time { return now }
	g := newAdminGuard(goodAdminToken, func(r *http.Request) string { return r.RemoteAddr }, slog.New(slog.NewTextHandler(logs, nil)), clock)
	h := g.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	try := func(addr, token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/admin/outbox", nil)
		req.RemoteAddr = addr
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	codes := map[int]int{}
	for i := range 100 {
		guess := strings.Repeat("a", i%40) // every length: the length must not matter
		w := try("198.51.100.4", guess)
		codes[w.Code]++
		if w.Code == 429 && w.Header().Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if codes[401] != adminFailBurst || codes[429] != 100-adminFailBurst {
		t.Fatalf("statuses %v; want %d × 401 then 429", codes, adminFailBurst)
	}
	if w := try("198.51.100.4", goodAdminToken); w.Code != 429 {
		t.Fatalf("right token from a blocked address: %d, want 429", w.Code)
	}
	if w := try("203.0.113.1", goodAdminToken); w.Code != 200 {
		t.Fatalf("right token from another address: %d", w.Code)
	}
	now = now.Add(time.Minute)
	if w := try("198.51.100.4", goodAdminToken); w.Code != 200 {
		t.Fatalf("right token after a minute: %d", w.Code)
	}
	if n := strings.Count(logs.String(), "admin: wrong or missing token"); n != adminFailBurst {
		t.Errorf("%d failed attempts logged, want %d", n, adminFailBurst)
	}
	if !strings.Contains(logs.String(), "client=198.51.100.4") || strings.Contains(logs.String(), goodAdminToken) {
		t.Errorf("log lacks the client address or holds the token:\n%s", logs.String())
	}
}

func TestAdminGuardAcceptsOnlyTheToken(t *testing.T) {
	g := newAdminGuard(goodAdminToken, func(r *http.Request) string { return r.RemoteAddr }, slog.New(slog.DiscardHandler), nil)
	h := g.wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	for header, want := range map[string]int{
		"Bearer " + goodAdminToken:       200,
		"bearer " + goodAdminToken:       200,
		"Bearer " + goodAdminToken + "x": 401,
		"Bearer " + goodAdminToken[:31]:  401,
		goodAdminToken:                   401,
		"":                               401,
	} {
		req := httptest.NewRequest("GET", "/admin/outbox", nil)
		req.RemoteAddr = "a" + header // its own address: no limit in the way
		req.Header.Set("Authorization", header)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("%q: %d, want %d", header, w.Code, want)
		}
	}
	off := newAdminGuard("", nil, slog.New(slog.DiscardHandler), nil)
	w := httptest.NewRecorder()
	off.wrap(http.NotFoundHandler()).ServeHTTP(w, httptest.NewRequest("GET", "/admin/outbox", nil))
	if w.Code != 404 {
		t.Fatalf("disabled admin API: %d", w.Code)
	}
}

// TestCheckRejectsShortAdminToken: "a" no longer passes check.
func TestCheckRejectsShortAdminToken(t *testing.T) {
	f := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(f, []byte("server:\n  admin_token: a\n"), 0o600)
	_, errOut, err := runCheck(t, "--config", f)
	var ee exitError
	if !errors.As(err, &ee) || !strings.Contains(errOut, "server.admin_token: must be at least 32 characters") {
		t.Fatalf("err %v, stderr:\n%s", err, errOut)
	}
	os.WriteFile(f, []byte("server:\n  admin_token: "+goodAdminToken+"\n"), 0o600)
	if _, errOut, err := runCheck(t, "--config", f); err != nil {
		t.Fatalf("a 36-character token: %v\n%s", err, errOut)
	}
}

// TestAdminBackupSwitch: server.admin_backup false turns the route off.
func TestAdminBackupSwitch(t *testing.T) {
	cfg := testConfig(t)
	cfg.Server.AdminToken = goodAdminToken
	cfg.Server.AdminBackup = false
	base, _ := startServe(t, cfg)
	req, _ := http.NewRequest("GET", base+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+goodAdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("backup with admin_backup false: %d", resp.StatusCode)
	}
}
