package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/store/bolt"
)

// stalledWriter is a client that never reads: every Write blocks until
// release is closed.
type stalledWriter struct {
	h       http.Header
	release chan struct{}
	started chan struct{}
}

func (s *stalledWriter) Header() http.Header { return s.h }
func (s *stalledWriter) WriteHeader(int)     {}
func (s *stalledWriter) Write(p []byte) (int, error) {
	select {
	case s.started <- struct{}{}:
	default:
	}
	<-s.release
	return len(p), nil
}

// TestBackupSlowReaderHoldsNoTransaction: while a client is not reading the
// backup, no read transaction is open: Close (which waits for read
// transactions) returns at once, and the temporary copy is removed after.
func TestBackupSlowReaderHoldsNoTransaction(t *testing.T) {
	dir := t.TempDir()
	st, err := bolt.Open(context.Background(), filepath.Join(dir, "sb.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := backupHandler(st, true, func(*http.Request) string { return "198.51.100.2" }, slog.New(slog.DiscardHandler))
	w := &stalledWriter{h: http.Header{}, release: make(chan struct{}), started: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() { defer close(done); h.ServeHTTP(w, httptest.NewRequest("GET", "/admin/backup", nil)) }()
	select {
	case <-w.started:
	case <-time.After(5 * time.Second):
		t.Fatal("the backup did not start sending")
	}
	closed := make(chan error, 1)
	go func() { closed <- st.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Second):
		close(w.release)
		t.Fatal("Close waited: the slow client holds a read transaction")
	}
	close(w.release)
	<-done
	left, _ := filepath.Glob(filepath.Join(dir, ".switchboard-backup-*"))
	if len(left) != 0 {
		t.Fatalf("temporary copies left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(dir, "sb.db")); err != nil {
		t.Fatal(err)
	}
}
