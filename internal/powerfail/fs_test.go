package powerfail

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

var availableOnce = sync.OnceValue(Available)

// mountT mounts a powerfail filesystem for t, or skips t with the reason
// when this machine cannot mount one (no /dev/fuse, no permission).
func mountT(t *testing.T) *FS {
	t.Helper()
	if err := availableOnce(); err != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_FUSE") != "" {
			t.Fatalf("SWITCHBOARD_REQUIRE_FUSE is set, but FUSE cannot be mounted here: %v", err)
		}
		t.Skipf("SKIP: powerfail needs /dev/fuse and the right to mount (root or fusermount3): %v", err)
	}
	dir := t.TempDir()
	f, err := Mount(Options{Backing: filepath.Join(dir, "disk"), Mountpoint: filepath.Join(dir, "mnt")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Unmount(); err != nil {
			t.Error(err)
		}
	})
	return f
}

func cut(t *testing.T, f *FS, o CutOptions) CutReport {
	t.Helper()
	rep, err := f.Cut(o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func syncDir(t *testing.T, dir string) {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		t.Fatal(err)
	}
}

// writeFile writes data to name, fsyncing it if sync.
func writeFile(t *testing.T, name string, data []byte, sync bool) {
	t.Helper()
	fh, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.Write(data); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := fh.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
}

func wantFile(t *testing.T, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", filepath.Base(name), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", filepath.Base(name), trim(got), trim(want))
	}
}

func trim(b []byte) []byte {
	if len(b) > 40 {
		return append(b[:40:40], "…"...)
	}
	return b
}

func wantGone(t *testing.T, name string) {
	t.Helper()
	if _, err := os.Lstat(name); !os.IsNotExist(err) {
		t.Fatalf("%s: %v, want it gone", filepath.Base(name), err)
	}
}

func TestWriteWithoutSyncIsLost(t *testing.T) {
	f := mountT(t)
	p := filepath.Join(f.Dir(), "a")
	writeFile(t, p, nil, true) // a durable empty file
	fh, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.Write([]byte("not synced")); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	wantFile(t, p, []byte("not synced")) // the page cache shows it
	if st, _ := os.Stat(filepath.Join(f.Backing(), "a")); st.Size() != 0 {
		t.Fatalf("backing file has %d bytes before any fsync", st.Size())
	}
	rep := cut(t, f, CutOptions{})
	if rep.DroppedWrites != 1 || rep.DroppedBytes != 10 {
		t.Errorf("cut report %+v, want 1 write of 10 bytes dropped", rep)
	}
	wantFile(t, p, nil)
}

func TestWriteWithSyncSurvives(t *testing.T) {
	for _, datasync := range []bool{false, true} {
		f := mountT(t)
		p := filepath.Join(f.Dir(), "a")
		fh, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fh.Write([]byte("durable.")); err != nil {
			t.Fatal(err)
		}
		if datasync {
			err = unix.Fdatasync(int(fh.Fd()))
		} else {
			err = fh.Sync()
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fh.WriteAt([]byte("VOLATILE and more"), 4); err != nil {
			t.Fatal(err)
		}
		fh.Close()
		wantFile(t, p, []byte("duraVOLATILE and more"))
		cut(t, f, CutOptions{})
		wantFile(t, p, []byte("durable."))
		// The remounted filesystem works as before.
		writeFile(t, filepath.Join(f.Dir(), "b"), []byte("again"), true)
		cut(t, f, CutOptions{})
		wantFile(t, filepath.Join(f.Dir(), "b"), []byte("again"))
		if s := f.Stats(); s.Cuts != 2 || s.Syncs < 2 {
			t.Errorf("stats %+v", s)
		}
	}
}

// A created file whose creation no fsync committed is gone; a directory
// fsync, or an fsync of any file (jbd2 commits the whole transaction),
// commits it.
func TestCreateNeedsJournalCommit(t *testing.T) {
	f := mountT(t)
	d := f.Dir()
	writeFile(t, filepath.Join(d, "gone"), []byte("x"), false)
	if err := os.Mkdir(filepath.Join(d, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	rep := cut(t, f, CutOptions{})
	if rep.UndoneOps != 2 {
		t.Errorf("undone %d namespace changes, want 2", rep.UndoneOps)
	}
	wantGone(t, filepath.Join(d, "gone"))
	wantGone(t, filepath.Join(d, "dir"))

	// Created, not fsynced, but the directory was: an empty file (the
	// name is durable, the data is not).
	writeFile(t, filepath.Join(d, "empty"), []byte("data"), false)
	syncDir(t, d)
	// Created and fsynced: name and data.
	writeFile(t, filepath.Join(d, "full"), []byte("data"), true)
	// Created after the last commit, in a directory created before it.
	if err := os.Mkdir(filepath.Join(d, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(d, "other"), nil, true) // commits sub
	writeFile(t, filepath.Join(d, "sub", "late"), []byte("x"), false)
	cut(t, f, CutOptions{})
	wantFile(t, filepath.Join(d, "empty"), nil)
	wantFile(t, filepath.Join(d, "full"), []byte("data"))
	if st, err := os.Stat(filepath.Join(d, "sub")); err != nil || !st.IsDir() {
		t.Fatalf("sub: %v", err)
	}
	wantGone(t, filepath.Join(d, "sub", "late"))
}

// The write-temp, fsync, rename, fsync-directory pattern: without the
// directory fsync the rename is undone and the old content is back.
func TestRenameOverNeedsDirSync(t *testing.T) {
	for _, dirSync := range []bool{false, true} {
		f := mountT(t)
		d := f.Dir()
		cfg, tmp := filepath.Join(d, "config"), filepath.Join(d, "config.tmp")
		writeFile(t, cfg, []byte("v1"), true)
		writeFile(t, tmp, []byte("v2"), true)
		if err := os.Rename(tmp, cfg); err != nil {
			t.Fatal(err)
		}
		wantFile(t, cfg, []byte("v2"))
		wantGone(t, tmp)
		if dirSync {
			syncDir(t, d)
		}
		cut(t, f, CutOptions{})
		if dirSync {
			wantFile(t, cfg, []byte("v2"))
			wantGone(t, tmp)
		} else {
			wantFile(t, cfg, []byte("v1"))
			wantFile(t, tmp, []byte("v2"))
		}
		if ents, _ := os.ReadDir(f.trash); len(ents) != 0 {
			t.Errorf("trash not empty after the cut: %v", ents)
		}
	}
}

// A rename whose data was not synced (no fsync of the temp file, relying
// on auto_da_alloc) leaves, once the rename is committed, an empty file.
func TestRenameWithoutDataSync(t *testing.T) {
	f := mountT(t)
	d := f.Dir()
	writeFile(t, filepath.Join(d, "config"), []byte("v1"), true)
	writeFile(t, filepath.Join(d, "config.tmp"), []byte("v2"), false)
	if err := os.Rename(filepath.Join(d, "config.tmp"), filepath.Join(d, "config")); err != nil {
		t.Fatal(err)
	}
	syncDir(t, d)
	cut(t, f, CutOptions{})
	wantFile(t, filepath.Join(d, "config"), nil)
}

func TestUnlinkAndRmdir(t *testing.T) {
	f := mountT(t)
	d := f.Dir()
	writeFile(t, filepath.Join(d, "keep"), []byte("kept"), true)
	if err := os.Mkdir(filepath.Join(d, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	syncDir(t, d)
	// Open across the unlink: the data stays readable through it.
	fh, err := os.Open(filepath.Join(d, "keep"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(d, "keep")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(d, "empty")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if _, err := fh.ReadAt(b, 0); err != nil || string(b) != "kept" {
		t.Fatalf("read of an unlinked open file: %q %v", b, err)
	}
	fh.Close()
	wantGone(t, filepath.Join(d, "keep"))
	cut(t, f, CutOptions{})
	wantFile(t, filepath.Join(d, "keep"), []byte("kept"))
	if _, err := os.Stat(filepath.Join(d, "empty")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(d, "keep")); err != nil {
		t.Fatal(err)
	}
	syncDir(t, d)
	cut(t, f, CutOptions{})
	wantGone(t, filepath.Join(d, "keep"))
	// rmdir of a non-empty directory fails as usual.
	if err := os.Mkdir(filepath.Join(d, "full"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(d, "full", "x"), nil, false)
	if err := syscall.Rmdir(filepath.Join(d, "full")); err != syscall.ENOTEMPTY {
		t.Fatalf("rmdir of a non-empty directory: %v, want ENOTEMPTY", err)
	}
}

// ftruncate is metadata: durable at the next journal commit of any file,
// without the writes not synced.
func TestFtruncate(t *testing.T) {
	f := mountT(t)
	d := f.Dir()
	p := filepath.Join(d, "log")
	writeFile(t, p, []byte("0123456789"), true)

	// Not committed: undone.
	if err := os.Truncate(p, 4); err != nil {
		t.Fatal(err)
	}
	wantFile(t, p, []byte("0123"))
	cut(t, f, CutOptions{})
	wantFile(t, p, []byte("0123456789"))

	// Shrunk, written, extended; then another file's fsync commits the
	// journal: the size changes are durable, the write is not.
	fh, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(2); err != nil {
		t.Fatal(err)
	}
	if _, err := fh.WriteAt([]byte("ab"), 2); err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(6); err != nil {
		t.Fatal(err)
	}
	wantFile(t, p, []byte("01ab\x00\x00"))
	writeFile(t, filepath.Join(d, "other"), []byte("x"), true)
	wantFile(t, p, []byte("01ab\x00\x00")) // a commit changes nothing seen
	fh.Close()
	cut(t, f, CutOptions{})
	wantFile(t, p, []byte("01\x00\x00\x00\x00"))

	// fsync of the file itself: everything.
	fh, err = os.OpenFile(p, os.O_RDWR|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fh.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := fh.Sync(); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	cut(t, f, CutOptions{})
	wantFile(t, p, []byte("new"))
}

func TestTornWrite(t *testing.T) {
	data := make([]byte, 3*PageSize+100)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	for _, tc := range []struct {
		tear Tear
		off  int64
	}{{TearPages, 0}, {TearPages, 1000}, {TearBytes, 0}, {TearBytes, 777}} {
		sizes := map[int]bool{}
		for seed := range uint64(12) {
			f := mountT(t)
			p := filepath.Join(f.Dir(), "db")
			base := bytes.Repeat([]byte{'.'}, int(tc.off))
			writeFile(t, p, base, true)
			fh, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := fh.WriteAt([]byte("earlier, dropped"), 0); err != nil {
				t.Fatal(err)
			}
			if _, err := fh.WriteAt(data, tc.off); err != nil {
				t.Fatal(err)
			}
			fh.Close()
			rep := cut(t, f, CutOptions{Tear: tc.tear, Rand: rand.New(rand.NewPCG(seed, 1))})
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			k := len(got) - int(tc.off)
			if k < 0 || k >= len(data) || !bytes.Equal(got, append(append([]byte(nil), base...), data[:k]...)) {
				t.Fatalf("tear %v at %d: file of %d bytes is not the durable %d bytes and a prefix of the write: %q", tc.tear, tc.off, len(got), tc.off, trim(got))
			}
			if rep.TornBytes != k {
				t.Errorf("report says %d bytes torn, file has %d", rep.TornBytes, k)
			}
			if tc.tear == TearPages && k > 0 && len(got)%PageSize != 0 {
				t.Errorf("tear on pages: file ends at %d, not on a page boundary", len(got))
			}
			sizes[k] = true
		}
		if len(sizes) < 2 {
			t.Errorf("tear %v at %d: always the same prefix %v", tc.tear, tc.off, sizes)
		}
	}
}

// bbolt reads through a read-only shared mapping: it must see kept writes.
// The mapping is read by this process, which also serves the filesystem: a
// page fault blocks its thread in the kernel until a server goroutine
// answers, and a garbage collection waiting for the faulting goroutine
// would deadlock, so the collector is off meanwhile. (Programs under test,
// like the gateway in internal/chaos, are other processes.)
func TestMmapSeesKeptWrites(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	f := mountT(t)
	p := filepath.Join(f.Dir(), "m")
	writeFile(t, p, bytes.Repeat([]byte{'0'}, 2*PageSize), true)
	fh, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.WriteAt([]byte("kept"), PageSize+10); err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(fh.Fd()), 0, 2*PageSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	if got := string(m[PageSize+10 : PageSize+14]); got != "kept" {
		t.Fatalf("mapping shows %q, want the kept write", got)
	}
	// A write after the mapping is seen through it too.
	if _, err := fh.WriteAt([]byte("late"), 20); err != nil {
		t.Fatal(err)
	}
	if got := string(m[20:24]); got != "late" {
		t.Fatalf("mapping shows %q after a write, want it", got)
	}
}

func TestRenameExchangeUndone(t *testing.T) {
	f := mountT(t)
	d := f.Dir()
	writeFile(t, filepath.Join(d, "a"), []byte("A"), true)
	writeFile(t, filepath.Join(d, "b"), []byte("B"), true)
	if err := unix.Renameat2(unix.AT_FDCWD, filepath.Join(d, "a"), unix.AT_FDCWD, filepath.Join(d, "b"), unix.RENAME_EXCHANGE); err != nil {
		t.Fatal(err)
	}
	wantFile(t, filepath.Join(d, "a"), []byte("B"))
	cut(t, f, CutOptions{})
	wantFile(t, filepath.Join(d, "a"), []byte("A"))
	wantFile(t, filepath.Join(d, "b"), []byte("B"))
}

// fsync through any descriptor of the inode, even a read-only one, makes
// the writes of every descriptor durable.
func TestSyncThroughAnotherDescriptor(t *testing.T) {
	f := mountT(t)
	p := filepath.Join(f.Dir(), "a")
	writeFile(t, p, nil, true)
	w, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("written by one")); err != nil {
		t.Fatal(err)
	}
	r, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Fdatasync(int(r.Fd())); err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	cut(t, f, CutOptions{})
	wantFile(t, p, []byte("written by one"))
}
