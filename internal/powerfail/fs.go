package powerfail

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"syscall"
	"time"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// PageSize is the page a TearPages cut tears on.
const PageSize = 4096

// Tear says what Cut keeps of the last unsynced write.
type Tear int

const (
	// NoTear throws every unsynced write away.
	NoTear Tear = iota
	// TearPages keeps a prefix of the last unsynced write that ends on a
	// page boundary of the file (possibly none of it).
	TearPages
	// TearBytes keeps a prefix of any length (possibly none of it).
	TearBytes
)

func (t Tear) String() string {
	switch t {
	case NoTear:
		return "none"
	case TearPages:
		return "pages"
	case TearBytes:
		return "bytes"
	}
	return fmt.Sprintf("Tear(%d)", int(t))
}

// Options configure Mount.
type Options struct {
	// Backing is the directory that holds the durable state (created if
	// missing). Nothing else may write to it while mounted.
	Backing string
	// Mountpoint is where the filesystem is mounted (created if missing).
	Mountpoint string
	// Debug logs every FUSE request to stderr.
	Debug bool
}

// CutOptions configure Cut.
type CutOptions struct {
	Tear Tear
	// Rand chooses the tear point; nil uses a random seed.
	Rand *rand.Rand
}

// CutReport says what a Cut threw away.
type CutReport struct {
	DroppedWrites    int   // unsynced writes thrown away (a torn one included)
	DroppedBytes     int64 // their bytes, less what a tear kept
	DroppedTruncates int   // unsynced size changes thrown away
	UndoneOps        int   // uncommitted namespace changes undone
	TornBytes        int   // bytes kept of the torn write (0 without one)
	TornPath         string
}

// Stats are counters over the life of an FS.
type Stats struct {
	Cuts            int
	Syncs           int // fsync/fdatasync of files
	DirSyncs        int // fsync of directories
	AppliedWrites   int // writes made durable by a sync
	DroppedWrites   int
	UndoneOps       int
	JournalCommits  int // commits that had something to commit
	CommittedNSOps  int
	CommittedTrunc  int
	TornWrites      int
	PendingNow      int // unsynced writes and truncates kept right now
	PendingNSOpsNow int // uncommitted namespace changes right now
}

// FS is a mounted power-loss filesystem. Its methods are safe for
// concurrent use.
type FS struct {
	backing, trash, mnt string
	debug               bool

	cutMu  sync.Mutex // serialises Cut and Unmount
	server *fuse.Server

	mu      sync.Mutex
	files   map[uint64]*fileState // kept writes, by backing inode number
	journal []nsOp                // uncommitted namespace changes, in order
	seq     uint64
	trashN  int
	stats   Stats
}

// Mount mounts a power-loss filesystem over o.Backing at o.Mountpoint.
func Mount(o Options) (*FS, error) {
	if o.Backing == "" || o.Mountpoint == "" {
		return nil, errors.New("powerfail: Backing and Mountpoint are required")
	}
	backing, err := filepath.Abs(o.Backing)
	if err != nil {
		return nil, fmt.Errorf("powerfail: %w", err)
	}
	mnt, err := filepath.Abs(o.Mountpoint)
	if err != nil {
		return nil, fmt.Errorf("powerfail: %w", err)
	}
	// The trash holds unlinked and replaced files until the journal
	// commits; it must be on the backing directory's filesystem (rename).
	trash := filepath.Join(filepath.Dir(backing), "."+filepath.Base(backing)+".powerfail-trash")
	for _, d := range []string{backing, mnt, trash} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("powerfail: %w", err)
		}
	}
	f := &FS{backing: backing, trash: trash, mnt: mnt, debug: o.Debug, files: map[uint64]*fileState{}}
	if err := f.mount(); err != nil {
		return nil, err
	}
	return f, nil
}

// Dir is the mount point.
func (f *FS) Dir() string { return f.mnt }

// Backing is the directory that holds the durable state.
func (f *FS) Backing() string { return f.backing }

// Stats returns the counters so far.
func (f *FS) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.stats
	for _, st := range f.files {
		s.PendingNow += len(st.ops)
	}
	s.PendingNSOpsNow = len(f.journal)
	return s
}

func (f *FS) mount() error {
	var st syscall.Stat_t
	if err := syscall.Stat(f.backing, &st); err != nil {
		return fmt.Errorf("powerfail: %w", err)
	}
	rootData := &gofs.LoopbackRoot{Path: f.backing, Dev: st.Dev}
	root := &node{fs: f}
	root.RootData = rootData
	rootData.RootNode = root
	zero := time.Duration(0)
	opts := &gofs.Options{
		// No caching of names and attributes in the kernel: sizes change
		// with writes that only this process knows of.
		EntryTimeout:    &zero,
		AttrTimeout:     &zero,
		NegativeTimeout: &zero,
		MountOptions: fuse.MountOptions{
			FsName:             "powerfail:" + f.backing,
			Name:               "powerfail",
			DirectMount:        true, // as root: no fusermount3 needed
			DisableReadDirPlus: true,
			Debug:              f.debug,
			MaxBackground:      64,
		},
	}
	srv, err := gofs.Mount(f.mnt, root, opts)
	if err != nil {
		return fmt.Errorf("powerfail: mount %s: %w", f.mnt, err)
	}
	f.server = srv
	return nil
}

// unmount unmounts, retrying while the mount is busy (file handles of a
// process that just died are released asynchronously), and finally
// detaches it.
func (f *FS) unmount() error {
	if f.server == nil {
		return nil
	}
	var err error
	for range 50 {
		if err = f.server.Unmount(); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		if derr := syscall.Unmount(f.mnt, syscall.MNT_DETACH); derr != nil {
			return fmt.Errorf("powerfail: unmount %s: %w (detach: %v)", f.mnt, err, derr)
		}
	}
	f.server.Wait()
	f.server = nil
	return nil
}

// Unmount unmounts the filesystem. What was not synced stays in the
// backing directory as it is: call Cut first for a power failure. Unmount
// after Unmount is a no-op.
func (f *FS) Unmount() error {
	f.cutMu.Lock()
	defer f.cutMu.Unlock()
	err := f.unmount()
	f.mu.Lock()
	for _, st := range f.files {
		st.closeFd()
	}
	f.files = map[uint64]*fileState{}
	f.mu.Unlock()
	return err
}

// Cut is a power failure: it unmounts the filesystem, throws away every
// write and truncation not synced and undoes every namespace change not
// committed (keeping a torn prefix of the last write if o.Tear says so),
// and mounts it again over what was durable. Every process using the
// mount must have ended before.
func (f *FS) Cut(o CutOptions) (CutReport, error) {
	f.cutMu.Lock()
	defer f.cutMu.Unlock()
	var rep CutReport
	if err := f.unmount(); err != nil {
		return rep, err
	}
	f.mu.Lock()
	// The torn write: the last unsynced write of all, if it is the last
	// pending data operation.
	var torn *op
	var tornIno, maxSeq uint64
	for ino, st := range f.files {
		if k := len(st.ops); k > 0 {
			maxSeq = max(maxSeq, st.ops[k-1].seq)
		}
		if k := len(st.ops); k > 0 && (torn == nil || st.ops[k-1].seq > torn.seq) && !st.ops[k-1].trunc {
			torn, tornIno = lastWrite(st.ops), ino
		}
		for _, p := range st.ops {
			if p.trunc {
				if !p.committed {
					rep.DroppedTruncates++
				}
			} else {
				rep.DroppedWrites++
				rep.DroppedBytes += int64(len(p.data))
			}
		}
		st.closeFd()
	}
	if torn != nil && maxSeq != torn.seq {
		torn = nil // the last operation of all was a truncation
	}
	f.files = map[uint64]*fileState{}
	var errs []error
	for i := len(f.journal) - 1; i >= 0; i-- {
		if err := f.undo(f.journal[i]); err != nil {
			errs = append(errs, err)
		}
		rep.UndoneOps++
	}
	f.journal = nil
	f.stats.Cuts++
	f.stats.DroppedWrites += rep.DroppedWrites
	f.stats.UndoneOps += rep.UndoneOps
	f.mu.Unlock()

	if torn != nil && o.Tear != NoTear {
		k := tearPoint(o, torn.off, len(torn.data))
		if k > 0 {
			path, err := f.pathOf(tornIno)
			switch {
			case err != nil:
				errs = append(errs, err)
			case path != "": // "": the file's creation was undone
				if err := writeAt(path, torn.data[:k], torn.off); err != nil {
					errs = append(errs, err)
				} else {
					rep.TornBytes, rep.TornPath = k, path
					rep.DroppedBytes -= int64(k)
					f.mu.Lock()
					f.stats.TornWrites++
					f.mu.Unlock()
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("powerfail: cut: %w", err)
	}
	if err := f.mount(); err != nil {
		return rep, err
	}
	return rep, nil
}

// lastWrite returns the last write of ops (which ends with a write) as
// the program made it: the kernel splits one write(2) into requests at page
// boundaries, so writes in a row, each starting where the one before
// ended, are joined. seq is the last one's.
func lastWrite(ops []op) *op {
	i := len(ops) - 1
	for i > 0 && !ops[i-1].trunc && ops[i-1].seq+1 == ops[i].seq &&
		ops[i-1].off+int64(len(ops[i-1].data)) == ops[i].off {
		i--
	}
	w := op{seq: ops[len(ops)-1].seq, off: ops[i].off}
	for _, p := range ops[i:] {
		w.data = append(w.data, p.data...)
	}
	return &w
}

// tearPoint chooses how many bytes of a write of n bytes at off survive.
func tearPoint(o CutOptions, off int64, n int) int {
	r := o.Rand
	if r == nil {
		r = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	switch o.Tear {
	case TearBytes:
		return r.IntN(n)
	case TearPages:
		// Prefixes that end on a page boundary strictly inside the write,
		// and the empty prefix.
		cands := []int{0}
		for b := (off/PageSize + 1) * PageSize; b < off+int64(n); b += PageSize {
			cands = append(cands, int(b-off))
		}
		return cands[r.IntN(len(cands))]
	}
	return 0
}

// pathOf finds the backing path of inode ino ("" when it is gone).
func (f *FS) pathOf(ino uint64) (string, error) {
	found := ""
	err := filepath.WalkDir(f.backing, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Ino == ino {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	return found, err
}

func writeAt(path string, data []byte, off int64) error {
	fh, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := fh.WriteAt(data, off); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

// nsKind is the kind of a namespace change.
type nsKind int

const (
	nsCreated  nsKind = iota // path was created (file, dir, node, symlink, link)
	nsRemoved                // path (a file or an empty dir) was moved to trash
	nsRenamed                // path → path2; the replaced target, if any, is in trash
	nsExchange               // path ⇄ path2 (RENAME_EXCHANGE)
)

// nsOp is an uncommitted namespace change. Paths are relative to the
// backing directory.
type nsOp struct {
	kind        nsKind
	path, path2 string
	trash       string // absolute, "" when nothing was replaced
}

func (f *FS) abs(rel string) string { return filepath.Join(f.backing, rel) }

// undo reverts one namespace change in the backing directory.
func (f *FS) undo(o nsOp) error {
	switch o.kind {
	case nsCreated:
		return os.RemoveAll(f.abs(o.path))
	case nsRemoved:
		return os.Rename(o.trash, f.abs(o.path))
	case nsRenamed:
		if err := os.Rename(f.abs(o.path2), f.abs(o.path)); err != nil {
			return err
		}
		if o.trash != "" {
			return os.Rename(o.trash, f.abs(o.path2))
		}
		return nil
	case nsExchange:
		return renameExchange(f.abs(o.path), f.abs(o.path2))
	}
	return fmt.Errorf("powerfail: unknown namespace change %d", o.kind)
}

// toTrash moves the backing path abs into the trash and returns where.
// Called with f.mu held.
func (f *FS) toTrash(abs string) (string, error) {
	f.trashN++
	dst := filepath.Join(f.trash, fmt.Sprintf("%d", f.trashN))
	if err := os.Rename(abs, dst); err != nil {
		return "", err
	}
	return dst, nil
}

// record appends a namespace change to the journal. Called with f.mu held.
func (f *FS) record(o nsOp) { f.journal = append(f.journal, o) }

// commit is a journal commit: every namespace change so far and every
// kept truncation becomes durable. Called with f.mu held.
func (f *FS) commit() error {
	var errs []error
	n := 0
	for _, o := range f.journal {
		if o.trash != "" {
			if err := os.RemoveAll(o.trash); err != nil {
				errs = append(errs, err)
			}
		}
		n++
	}
	f.stats.CommittedNSOps += n
	f.journal = nil
	// Truncations of every file, in order, without the writes.
	inos := make([]uint64, 0, len(f.files))
	for ino := range f.files {
		inos = append(inos, ino)
	}
	sort.Slice(inos, func(i, j int) bool { return inos[i] < inos[j] })
	for _, ino := range inos {
		st := f.files[ino]
		for i := range st.ops {
			p := &st.ops[i]
			if p.trunc && !p.committed {
				if err := syscall.Ftruncate(st.fd, p.size); err != nil {
					errs = append(errs, fmt.Errorf("powerfail: commit truncate: %w", err))
					continue
				}
				p.committed = true
				n++
				f.stats.CommittedTrunc++
			}
		}
	}
	if n > 0 {
		f.stats.JournalCommits++
	}
	return errors.Join(errs...)
}

// Available reports whether this machine can mount a powerfail filesystem
// (it mounts and unmounts one in a temporary directory). The error says
// why not.
func Available() error {
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return fmt.Errorf("powerfail: no FUSE device: %w", err)
	}
	dir, err := os.MkdirTemp("", "powerfail-probe-")
	if err != nil {
		return fmt.Errorf("powerfail: %w", err)
	}
	defer os.RemoveAll(dir)
	f, err := Mount(Options{Backing: filepath.Join(dir, "disk"), Mountpoint: filepath.Join(dir, "mnt")})
	if err != nil {
		return fmt.Errorf("powerfail: cannot mount (root, or the fusermount3 helper, is needed): %w", err)
	}
	return f.Unmount()
}
