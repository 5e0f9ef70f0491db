package bolt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/store/storetest"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// openTest opens a store at path and, when the test ends, closes it and
// checks the file's consistency with bbolt's own checker.
func openTest(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	s, err := Open(t.Context(), path, opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, core.ErrClosed) {
			t.Errorf("close: %v", err)
		}
		checkFile(t, path)
	})
	return s
}

// checkFile runs bbolt's consistency check on a closed file.
func checkFile(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
		return
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("check %s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string, now func() time.Time) core.Store {
		// A missing parent directory is created.
		return openTest(t, filepath.Join(dir, "data", "switchboard.db"), Options{Now: now})
	})
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	first := openTest(t, path, Options{})

	// bbolt's flock belongs to the open file description, so a second Open
	// in the same process conflicts just like a second process would.
	start := time.Now()
	second, err := Open(t.Context(), path, Options{LockTimeout: 200 * time.Millisecond, Logger: testLogger(t)})
	if err == nil {
		second.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	want := fmt.Sprintf("store: %s is locked by another process (is switchboard already running?)", path)
	if !strings.Contains(err.Error(), want) || !errors.Is(err, bberrors.ErrTimeout) {
		t.Errorf("error = %q (wraps ErrTimeout: %v), want it to contain %q", err, errors.Is(err, bberrors.ErrTimeout), want)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 2*time.Second {
		t.Errorf("second Open gave up after %v, want about the 200ms LockTimeout", d)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	openTest(t, path, Options{LockTimeout: 200 * time.Millisecond})
}

func TestOpenBadFiles(t *testing.T) {
	garbage := make([]byte, 64<<10)
	if _, err := rand.Read(garbage); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
		wantIs  []error
	}{
		{
			name:    "random bytes",
			prepare: func(t *testing.T, path string) { writeFile(t, path, garbage) },
			want:    "is not a valid database file",
			wantIs:  []error{bberrors.ErrInvalid},
		},
		{
			name:    "short text file",
			prepare: func(t *testing.T, path string) { writeFile(t, path, []byte("store: not a database\n")) },
			want:    "is not a valid database file",
			wantIs:  []error{bberrors.ErrInvalid},
		},
		{
			name: "damaged meta pages",
			prepare: func(t *testing.T, path string) {
				s, err := Open(t.Context(), path, Options{})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				f, err := os.OpenFile(path, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				// Both meta pages (page 0 and page 1 at the default 4 KiB page
				// size): keep the magic readable but break the checksums.
				for _, off := range []int64{16 + 40, 4096 + 16 + 40} {
					if _, err := f.WriteAt([]byte("XXXXXXXX"), off); err != nil {
						t.Fatal(err)
					}
				}
			},
			want:   "is not a valid database file",
			wantIs: []error{bberrors.ErrInvalid, bberrors.ErrChecksum},
		},
		{
			name: "another program's bbolt file",
			prepare: func(t *testing.T, path string) {
				db, err := bbolt.Open(path, 0o600, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if err := db.Update(func(tx *bbolt.Tx) error {
					b, err := tx.CreateBucket([]byte("widgets"))
					if err != nil {
						return err
					}
					return b.Put([]byte("a"), []byte("b"))
				}); err != nil {
					t.Fatal(err)
				}
			},
			want: "is a bbolt file but not a switchboard database",
		},
		{
			name: "newer schema",
			prepare: func(t *testing.T, path string) {
				openTest(t, path, Options{}).Close()
				rawUpdate(t, path, func(tx *bbolt.Tx) error {
					return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte{formatV1, 0, 0, 0, 9})
				})
			},
			want: "has schema version 9; this build reads up to 1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "switchboard.db")
			tc.prepare(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Open(t.Context(), path, Options{Logger: testLogger(t)})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the file and say %q", err, tc.want)
			}
			if len(tc.wantIs) > 0 && !anyIs(err, tc.wantIs) {
				t.Errorf("error %q wraps none of %v", err, tc.wantIs)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("a failed Open modified the file")
			}
		})
	}
}

func anyIs(err error, targets []error) bool {
	for _, target := range targets {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// rawUpdate changes a closed store file directly with bbolt.
func rawUpdate(t *testing.T, path string, fn func(tx *bbolt.Tx) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestTranscriptLimit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switchboard.db")
	s := openTest(t, path, Options{TranscriptLimit: 10})
	k := core.ConversationKey{Platform: "web", Chat: "c", User: "u"}
	var all []string
	for c := range 9 {
		var turns []core.Turn
		for i := range 3 {
			id := fmt.Sprintf("t%02d", c*3+i)
			all = append(all, id)
			turns = append(turns, core.Turn{ID: id, From: core.AuthorUser, Text: id})
		}
		if err := s.Commit(t.Context(), core.Commit{Key: k, Turns: turns}); err != nil {
			t.Fatal(err)
		}
	}
	// A conversation whose key extends k's must not mix in.
	k2 := core.ConversationKey{Platform: "web", Chat: "c", User: "u2"}
	if err := s.Commit(t.Context(), core.Commit{Key: k2, Turns: []core.Turn{{ID: "other"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Transcript(t.Context(), k, 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tn := range got {
		ids = append(ids, tn.ID)
	}
	if want := all[len(all)-10:]; fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Errorf("kept %v, want %v", ids, want)
	}
	err = s.view(t.Context(), func(tx *bbolt.Tx) error {
		if n := tx.Bucket(bucketTranscript).Stats().KeyN; n != 10+1 {
			t.Errorf("transcript bucket holds %d keys, want 10 of this conversation and 1 of the other", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
