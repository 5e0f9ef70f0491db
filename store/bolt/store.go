package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"

	"github.com/switchboard-gw/switchboard/core"
)

// Defaults for the zero Options.
const (
	DefaultLockTimeout     = 2 * time.Second
	DefaultInitialMmapSize = 64 << 20
	DefaultTranscriptLimit = 200
)

// queueSize bounds the write queue and therefore the size of one group commit.
const queueSize = 1024

// Options configure Open. The zero value is usable.
type Options struct {
	// Logger receives start-up, shutdown and commit-failure messages; nil
	// discards them.
	Logger *slog.Logger
	// LockTimeout is how long Open waits for another process to release the
	// file lock before it fails; 0 means DefaultLockTimeout.
	LockTimeout time.Duration
	// InitialMmapSize is the size of the first memory map, so that readers
	// do not block writers while the file grows up to it; 0 means
	// DefaultInitialMmapSize.
	InitialMmapSize int
	// TranscriptLimit is the number of turns kept per conversation (older
	// turns are deleted as new ones are committed); 0 means
	// DefaultTranscriptLimit.
	TranscriptLimit int
	// NoSync skips fsync: a commit is then NOT durable (a power cut loses
	// it). It exists only so that `switchboard bench --compare-nosync` can
	// show what durability costs; serve never sets it from configuration.
	NoSync bool
	// Now is the clock that decides whether dedupe keys and key-value
	// records have expired and from which a Put's ttl is counted; nil means
	// time.Now. Pass the same clock as the engine's so that an Expires
	// written at commit time is judged against the time it was computed from.
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.InitialMmapSize <= 0 {
		o.InitialMmapSize = DefaultInitialMmapSize
	}
	if o.TranscriptLimit <= 0 {
		o.TranscriptLimit = DefaultTranscriptLimit
	}
	return o
}

// Store is a core.Store kept in one bbolt file. All methods are safe for
// concurrent use. Writes go through a single committer goroutine that groups
// everything queued into one transaction (see doc.go); reads run in their own
// read-only transactions and never wait for writes.
type Store struct {
	db      *bbolt.DB
	path    string
	log     *slog.Logger
	opts    Options
	now     func() time.Time
	queue   chan *op
	stopped chan struct{}

	// mu guards sending on queue against Close closing it: senders hold it
	// shared, Close exclusively.
	mu        sync.RWMutex
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	batches atomic.Uint64
	ops     atomic.Uint64
}

var _ core.Store = (*Store)(nil)

// Open opens (creating if needed) the bbolt file at path and starts the
// committer. The parent directory is created if missing.
//
// Open fails with an error naming path when another process (or another
// Store in this process) holds the file for longer than opts.LockTimeout,
// when the file is not a bbolt database or its meta pages are damaged, and
// when the file was written by a newer schema. ctx is checked before the file
// is opened; the lock wait itself is bounded by LockTimeout.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	opts = opts.withDefaults()
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
		}
	}
	db, err := openDB(path, &bbolt.Options{
		Timeout:         opts.LockTimeout,
		InitialMmapSize: opts.InitialMmapSize,
		FreelistType:    bbolt.FreelistMapType,
		NoFreelistSync:  true,
		NoSync:          opts.NoSync,
	})
	if err != nil {
		return nil, err
	}
	if err := initSchema(db, path); err != nil {
		_ = db.Close()
		return nil, err
	}
	s := &Store{
		db:      db,
		path:    path,
		log:     opts.Logger.With("store", "bolt", "path", path),
		opts:    opts,
		now:     opts.Now,
		queue:   make(chan *op, queueSize),
		stopped: make(chan struct{}),
	}
	go s.run()
	s.log.Info("store opened", "transcript_limit", opts.TranscriptLimit)
	return s, nil
}

// openDB opens the bbolt file and turns bbolt's open errors into messages an
// operator can act on.
func openDB(path string, o *bbolt.Options) (*bbolt.DB, error) {
	if !o.ReadOnly {
		if err := precheck(path, o.Timeout); err != nil {
			return nil, err
		}
	}
	db, err := bbolt.Open(path, 0o600, o)
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, bberrors.ErrTimeout):
		return nil, fmt.Errorf("store: %s is locked by another process (is switchboard already running?): %w", path, err)
	case errors.Is(err, bberrors.ErrInvalid), errors.Is(err, bberrors.ErrVersionMismatch),
		errors.Is(err, bberrors.ErrChecksum):
		return nil, fmt.Errorf("store: %s is not a valid database file (corrupt, or not a bbolt file); restore it from a backup or move it away: %w", path, err)
	default:
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
}

// precheck reads an existing file before it is opened for writing. Opening
// with NoFreelistSync walks every page in a goroutine of bbolt's own, where
// a damaged page panics and a file shorter than its data faults (SIGBUS),
// killing the process with no word about the file. precheck opens the file
// read-only (no walk), compares the data size in the meta page with the file
// size, then reads every key of every bucket with faults turned into panics
// and panics recovered, so damage becomes an error naming the file.
func precheck(path string, timeout time.Duration) error {
	st, err := os.Stat(path)
	if err != nil || st.Size() == 0 {
		return nil // a new file
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		return nil // openDB reports it with its usual messages
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		if need := tx.Size(); need > st.Size() {
			return fmt.Errorf("store: %s is truncated: its data runs to %d bytes but the file has %d; restore it from a backup", path, need, st.Size())
		}
		done := make(chan error, 1)
		go func() {
			debug.SetPanicOnFault(true)
			defer func() {
				if r := recover(); r != nil {
					done <- fmt.Errorf("store: %s is damaged (%v); restore it from a backup", path, r)
				}
			}()
			done <- tx.ForEach(func(_ []byte, b *bbolt.Bucket) error {
				return b.ForEach(func(_, _ []byte) error { return nil })
			})
		}()
		return <-done
	})
}

// initSchema creates missing buckets and checks the schema version. A file
// that holds buckets but no schema version is some other program's database.
// A panic from bbolt while reading damaged pages becomes an error.
func initSchema(db *bbolt.DB, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: %s is damaged (bbolt: %v); restore it from a backup", path, r)
		}
	}()
	return db.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			foreign := false
			_ = tx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
				foreign = true
				return nil
			})
			if foreign {
				return fmt.Errorf("store: %s is a bbolt file but not a switchboard database (no %q bucket)", path, bucketMeta)
			}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("store: %s: create bucket %s: %w", path, name, err)
			}
		}
		meta = tx.Bucket(bucketMeta)
		v := meta.Get(keySchemaVersion)
		if v == nil {
			b := make([]byte, 5)
			b[0] = formatV1
			binary.BigEndian.PutUint32(b[1:], schemaVersion)
			return meta.Put(keySchemaVersion, b)
		}
		p, err := payload(bucketMeta, keySchemaVersion, v, 4)
		if err != nil {
			return fmt.Errorf("store: %s: %w", path, err)
		}
		if got := binary.BigEndian.Uint32(p); got > schemaVersion {
			return fmt.Errorf("store: %s has schema version %d; this build reads up to %d (downgrade is not supported)", path, got, schemaVersion)
		}
		return nil
	})
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Stats reports how many group commits ran and how many writes they carried;
// Ops/Batches is the mean group size.
type Stats struct {
	Batches uint64
	Ops     uint64
}

// Stats returns the committer's counters since Open.
func (s *Store) Stats() Stats {
	return Stats{Batches: s.batches.Load(), Ops: s.ops.Load()}
}

// Close stops accepting writes, commits everything already queued, waits for
// it, and closes the file. It waits for running read transactions. A second
// Close returns core.ErrClosed.
func (s *Store) Close() error {
	first := false
	s.closeOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.closed.Store(true)
		close(s.queue)
		s.mu.Unlock()
		<-s.stopped
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("store: close %s: %w", s.path, err)
		}
		s.log.Info("store closed", "batches", s.batches.Load(), "writes", s.ops.Load())
	})
	if !first {
		return core.ErrClosed
	}
	return s.closeErr
}

// view runs fn in a read-only transaction, mapping a closed database to
// core.ErrClosed.
func (s *Store) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if s.closed.Load() {
		return core.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.db.View(fn)
	if errors.Is(err, bberrors.ErrDatabaseNotOpen) {
		return core.ErrClosed
	}
	return err
}

// Backup writes a consistent copy of the whole database to w while the store
// stays online (writers are not blocked), and returns the number of bytes
// written. The copy is a bbolt file that Open accepts. It returns
// core.ErrClosed after Close, and ctx's error if ctx ends during the copy.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup %s: %w", s.path, err)
	}
	return n, nil
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// compactTxSize bounds each transaction of Compact so memory stays flat on
// large files.
const compactTxSize = 64 << 20

// Compact copies the database at src into a new file dst, leaving out free
// pages, and checks that dst opens as a Switchboard store. It runs offline:
// src must not be open in a running switchboard (that fails with the "locked"
// error after DefaultLockTimeout). dst must not exist; on failure the partial
// dst is removed. src is never modified.
func Compact(ctx context.Context, src, dst string) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: compact %s: %w", src, err)
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("store: compact %s: %w", src, err)
	}
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("store: compact %s: destination %s already exists", src, dst)
	}
	if dir := filepath.Dir(dst); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("store: compact: create directory for %s: %w", dst, err)
		}
	}
	in, err := openDB(src, &bbolt.Options{ReadOnly: true, Timeout: DefaultLockTimeout})
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := openDB(dst, &bbolt.Options{Timeout: DefaultLockTimeout, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store: compact: close %s: %w", dst, cerr)
		}
		if err != nil {
			_ = os.Remove(dst)
		}
	}()
	if err := bbolt.Compact(out, in, compactTxSize); err != nil {
		return fmt.Errorf("store: compact %s into %s: %w", src, dst, err)
	}
	if err := initSchema(out, dst); err != nil {
		return fmt.Errorf("store: compact %s: result does not open: %w", src, err)
	}
	return nil
}
