package powerfail

import (
	"context"
	"os"
	"path/filepath"
	"syscall"

	gofs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// node is a file or directory of the mount: go-fuse's loopback node for
// what is passed through (readdir, readlink, xattrs, statfs), with the
// operations of the model overridden.
type node struct {
	gofs.LoopbackNode
	fs *FS
}

var (
	_ gofs.NodeLookuper       = (*node)(nil)
	_ gofs.NodeGetattrer      = (*node)(nil)
	_ gofs.NodeSetattrer      = (*node)(nil)
	_ gofs.NodeOpener         = (*node)(nil)
	_ gofs.NodeCreater        = (*node)(nil)
	_ gofs.NodeMkdirer        = (*node)(nil)
	_ gofs.NodeMknoder        = (*node)(nil)
	_ gofs.NodeSymlinker      = (*node)(nil)
	_ gofs.NodeLinker         = (*node)(nil)
	_ gofs.NodeUnlinker       = (*node)(nil)
	_ gofs.NodeRmdirer        = (*node)(nil)
	_ gofs.NodeRenamer        = (*node)(nil)
	_ gofs.NodeFsyncer        = (*node)(nil)
	_ gofs.NodeCopyFileRanger = (*node)(nil)
	_ gofs.NodeStatxer        = (*node)(nil)
	_ gofs.NodeTmpfiler       = (*node)(nil)
	_ gofs.FileReader         = (*handle)(nil)
	_ gofs.FileWriter         = (*handle)(nil)
	_ gofs.FileReleaser       = (*handle)(nil)
	_ gofs.FileGetattrer      = (*handle)(nil)
	_ gofs.FileFlusher        = (*handle)(nil)
	_ gofs.FileAllocater      = (*handle)(nil)
)

func (n *node) rel() string              { return n.Path(nil) }
func (n *node) abs() string              { return n.fs.abs(n.rel()) }
func (n *node) child(name string) string { return filepath.Join(n.rel(), name) }

// newChild makes the inode for a backing file with stat st.
func (n *node) newChild(ctx context.Context, st *syscall.Stat_t) *gofs.Inode {
	c := &node{fs: n.fs}
	c.RootData = n.RootData
	return n.NewInode(ctx, c, gofs.StableAttr{Mode: st.Mode & syscall.S_IFMT, Ino: st.Ino, Gen: 1})
}

// fill sets out from st, with the size programs see.
func (n *node) fill(st *syscall.Stat_t, out *fuse.Attr) {
	out.FromStat(st)
	if st.Mode&syscall.S_IFMT == syscall.S_IFREG {
		if sz, ok := n.fs.size(st.Ino); ok {
			out.Size = uint64(sz)
			out.Blocks = (uint64(sz) + 511) / 512
		}
	}
}

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	var st syscall.Stat_t
	if err := syscall.Lstat(n.fs.abs(n.child(name)), &st); err != nil {
		return nil, gofs.ToErrno(err)
	}
	n.fill(&st, &out.Attr)
	return n.newChild(ctx, &st), 0
}

func (n *node) Getattr(ctx context.Context, f gofs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if h, ok := f.(*handle); ok {
		return h.Getattr(ctx, out)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(n.abs(), &st); err != nil {
		return gofs.ToErrno(err)
	}
	n.fill(&st, &out.Attr)
	return 0
}

// writableFd returns a new writable descriptor of the backing file: a dup
// of h's when h is writable, else a fresh open.
func (n *node) writableFd(h *handle) func() (int, error) {
	return func() (int, error) {
		if h != nil && h.writable {
			return syscall.Dup(int(h.f.Fd()))
		}
		return syscall.Open(n.abs(), syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	}
}

func (n *node) Setattr(ctx context.Context, f gofs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	h, _ := f.(*handle)
	if sz, ok := in.GetSize(); ok {
		var st syscall.Stat_t
		if err := syscall.Lstat(n.abs(), &st); err != nil {
			return gofs.ToErrno(err)
		}
		if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
			return syscall.EINVAL
		}
		if err := n.fs.keepTruncate(st.Ino, n.writableFd(h), int64(sz)); err != nil {
			return gofs.ToErrno(err)
		}
	}
	rest := *in
	rest.Valid &^= fuse.FATTR_SIZE
	// Mode, owner and times: passed through by path (not modelled).
	if errno := n.LoopbackNode.Setattr(ctx, nil, &rest, out); errno != 0 {
		return errno
	}
	return n.Getattr(ctx, f, out)
}

// open opens the backing file for a handle. O_TRUNC is kept as a
// truncation, O_APPEND is left to the kernel (it sends the offsets).
func (n *node) open(path string, flags uint32, mode uint32, create bool) (*handle, *syscall.Stat_t, syscall.Errno) {
	trunc := flags&syscall.O_TRUNC != 0
	flags &^= syscall.O_APPEND | syscall.O_TRUNC | fuse.FMODE_EXEC | syscall.O_DIRECT | syscall.O_SYNC | syscall.O_DSYNC
	fl := int(flags) | syscall.O_CLOEXEC
	if create {
		fl |= os.O_CREATE
	}
	fh, err := os.OpenFile(path, fl, os.FileMode(mode))
	if err != nil {
		return nil, nil, gofs.ToErrno(err)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(fh.Fd()), &st); err != nil {
		fh.Close()
		return nil, nil, gofs.ToErrno(err)
	}
	acc := flags & syscall.O_ACCMODE
	h := &handle{fs: n.fs, f: fh, ino: st.Ino, writable: acc == syscall.O_WRONLY || acc == syscall.O_RDWR}
	if trunc && h.writable {
		if err := n.fs.keepTruncate(st.Ino, func() (int, error) { return syscall.Dup(int(fh.Fd())) }, 0); err != nil {
			fh.Close()
			return nil, nil, gofs.ToErrno(err)
		}
	}
	return h, &st, 0
}

func (n *node) Open(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	h, _, errno := n.open(n.abs(), flags, 0, false)
	if errno != 0 {
		return nil, 0, errno
	}
	return h, 0, 0
}

func (n *node) Create(ctx context.Context, name string, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	rel := n.child(name)
	n.fs.mu.Lock()
	var pre syscall.Stat_t
	existed := syscall.Lstat(n.fs.abs(rel), &pre) == nil
	n.fs.mu.Unlock()
	h, st, errno := n.open(n.fs.abs(rel), flags, mode, true)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	if !existed {
		n.fs.mu.Lock()
		n.fs.record(nsOp{kind: nsCreated, path: rel})
		n.fs.mu.Unlock()
	}
	n.fill(st, &out.Attr)
	return n.newChild(ctx, st), h, 0, 0
}

// made records the creation of rel and returns its inode.
func (n *node) made(ctx context.Context, rel string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	var st syscall.Stat_t
	if err := syscall.Lstat(n.fs.abs(rel), &st); err != nil {
		return nil, gofs.ToErrno(err)
	}
	n.fs.mu.Lock()
	n.fs.record(nsOp{kind: nsCreated, path: rel})
	n.fs.mu.Unlock()
	n.fill(&st, &out.Attr)
	return n.newChild(ctx, &st), 0
}

func (n *node) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	rel := n.child(name)
	if err := syscall.Mkdir(n.fs.abs(rel), mode); err != nil {
		return nil, gofs.ToErrno(err)
	}
	return n.made(ctx, rel, out)
}

func (n *node) Mknod(ctx context.Context, name string, mode, rdev uint32, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	rel := n.child(name)
	if err := syscall.Mknod(n.fs.abs(rel), mode, int(rdev)); err != nil {
		return nil, gofs.ToErrno(err)
	}
	return n.made(ctx, rel, out)
}

func (n *node) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	rel := n.child(name)
	if err := syscall.Symlink(target, n.fs.abs(rel)); err != nil {
		return nil, gofs.ToErrno(err)
	}
	return n.made(ctx, rel, out)
}

func (n *node) Link(ctx context.Context, target gofs.InodeEmbedder, name string, out *fuse.EntryOut) (*gofs.Inode, syscall.Errno) {
	t, ok := target.(*node)
	if !ok {
		return nil, syscall.EXDEV
	}
	rel := n.child(name)
	if err := syscall.Link(t.abs(), n.fs.abs(rel)); err != nil {
		return nil, gofs.ToErrno(err)
	}
	return n.made(ctx, rel, out)
}

// remove moves rel to the trash and records it, so that Cut can bring it back.
func (n *node) remove(rel string, dir bool) syscall.Errno {
	abs := n.fs.abs(rel)
	var st syscall.Stat_t
	if err := syscall.Lstat(abs, &st); err != nil {
		return gofs.ToErrno(err)
	}
	isDir := st.Mode&syscall.S_IFMT == syscall.S_IFDIR
	switch {
	case dir && !isDir:
		return syscall.ENOTDIR
	case !dir && isDir:
		return syscall.EISDIR
	case dir:
		ents, err := os.ReadDir(abs)
		if err != nil {
			return gofs.ToErrno(err)
		}
		if len(ents) > 0 {
			return syscall.ENOTEMPTY
		}
	}
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	trash, err := n.fs.toTrash(abs)
	if err != nil {
		return gofs.ToErrno(err)
	}
	n.fs.record(nsOp{kind: nsRemoved, path: rel, trash: trash})
	return 0
}

func (n *node) Unlink(ctx context.Context, name string) syscall.Errno {
	return n.remove(n.child(name), false)
}

func (n *node) Rmdir(ctx context.Context, name string) syscall.Errno {
	return n.remove(n.child(name), true)
}

func (n *node) Rename(ctx context.Context, name string, newParent gofs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	np, ok := newParent.(*node)
	if !ok {
		return syscall.EXDEV
	}
	from, to := n.child(name), np.child(newName)
	afrom, ato := n.fs.abs(from), n.fs.abs(to)
	n.fs.mu.Lock()
	defer n.fs.mu.Unlock()
	if flags&unix.RENAME_EXCHANGE != 0 {
		if err := renameExchange(afrom, ato); err != nil {
			return gofs.ToErrno(err)
		}
		n.fs.record(nsOp{kind: nsExchange, path: from, path2: to})
		return 0
	}
	if flags&^unix.RENAME_NOREPLACE != 0 {
		return syscall.EINVAL
	}
	var sfrom, sto syscall.Stat_t
	if err := syscall.Lstat(afrom, &sfrom); err != nil {
		return gofs.ToErrno(err)
	}
	trash := ""
	if err := syscall.Lstat(ato, &sto); err == nil {
		if flags&unix.RENAME_NOREPLACE != 0 {
			return syscall.EEXIST
		}
		if sfrom.Ino == sto.Ino {
			return 0 // the same file: rename(2) does nothing
		}
		fromDir := sfrom.Mode&syscall.S_IFMT == syscall.S_IFDIR
		toDir := sto.Mode&syscall.S_IFMT == syscall.S_IFDIR
		switch {
		case fromDir && !toDir:
			return syscall.ENOTDIR
		case !fromDir && toDir:
			return syscall.EISDIR
		case toDir:
			if ents, err := os.ReadDir(ato); err != nil || len(ents) > 0 {
				return syscall.ENOTEMPTY
			}
		}
		if trash, err = n.fs.toTrash(ato); err != nil {
			return gofs.ToErrno(err)
		}
	}
	if err := syscall.Rename(afrom, ato); err != nil {
		if trash != "" {
			_ = os.Rename(trash, ato)
		}
		return gofs.ToErrno(err)
	}
	n.fs.record(nsOp{kind: nsRenamed, path: from, path2: to, trash: trash})
	return 0
}

func renameExchange(a, b string) error {
	return unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
}

// Fsync is fsync(2) and fdatasync(2), of a file or a directory.
func (n *node) Fsync(ctx context.Context, f gofs.FileHandle, flags uint32) syscall.Errno {
	if n.StableAttr().Mode&syscall.S_IFMT == syscall.S_IFDIR {
		return gofs.ToErrno(n.fs.syncDir())
	}
	var ino uint64
	if h, ok := f.(*handle); ok {
		ino = h.ino
	} else {
		var st syscall.Stat_t
		if err := syscall.Lstat(n.abs(), &st); err != nil {
			return gofs.ToErrno(err)
		}
		ino = st.Ino
	}
	return gofs.ToErrno(n.fs.sync(ino))
}

// CopyFileRange is refused: the kernel falls back to reads and writes.
func (n *node) CopyFileRange(ctx context.Context, fhIn gofs.FileHandle, offIn uint64, out *gofs.Inode, fhOut gofs.FileHandle,
	offOut uint64, length uint64, flags uint64) (uint32, syscall.Errno) {
	return 0, syscall.ENOSYS
}

// Statx is left to the kernel's fallback to getattr, which knows the
// sizes of kept writes.
func (n *node) Statx(ctx context.Context, f gofs.FileHandle, flags uint32, mask uint32, out *fuse.StatxOut) syscall.Errno {
	return syscall.ENOSYS
}

// Tmpfile (O_TMPFILE) is not modelled.
func (n *node) Tmpfile(ctx context.Context, flags uint32, mode uint32, out *fuse.EntryOut) (*gofs.Inode, gofs.FileHandle, uint32, syscall.Errno) {
	return nil, nil, 0, syscall.EOPNOTSUPP
}

// handle is an open file: reads see the kept writes, writes are kept.
type handle struct {
	fs       *FS
	f        *os.File
	ino      uint64
	writable bool
}

func (h *handle) Read(ctx context.Context, buf []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	b, err := h.fs.read(h.ino, int(h.f.Fd()), buf, off)
	if err != nil {
		return nil, gofs.ToErrno(err)
	}
	return fuse.ReadResultData(b), 0
}

func (h *handle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	if !h.writable {
		return 0, syscall.EBADF
	}
	err := h.fs.keepWrite(h.ino, func() (int, error) { return syscall.Dup(int(h.f.Fd())) }, data, off)
	if err != nil {
		return 0, gofs.ToErrno(err)
	}
	return uint32(len(data)), 0
}

func (h *handle) Getattr(ctx context.Context, out *fuse.AttrOut) syscall.Errno {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(h.f.Fd()), &st); err != nil {
		return gofs.ToErrno(err)
	}
	out.FromStat(&st)
	if sz, ok := h.fs.size(h.ino); ok {
		out.Size = uint64(sz)
		out.Blocks = (uint64(sz) + 511) / 512
	}
	return 0
}

func (h *handle) Flush(ctx context.Context) syscall.Errno { return 0 }

func (h *handle) Release(ctx context.Context) syscall.Errno {
	return gofs.ToErrno(h.f.Close())
}

// Allocate (fallocate) is not modelled.
func (h *handle) Allocate(ctx context.Context, off uint64, size uint64, mode uint32) syscall.Errno {
	return syscall.EOPNOTSUPP
}

// OpendirHandle opens a directory; an fsync of the directory descriptor
// commits the journal.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (gofs.FileHandle, uint32, syscall.Errno) {
	ds, fuseFlags, errno := n.LoopbackNode.OpendirHandle(ctx, flags)
	if errno != 0 {
		return nil, 0, errno
	}
	return &dirHandle{ds: ds, fs: n.fs}, fuseFlags, 0
}

// dirHandle is go-fuse's loopback directory stream with fsync modelled.
type dirHandle struct {
	ds gofs.FileHandle
	fs *FS
}

func (d *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	r, ok := d.ds.(gofs.FileReaddirenter)
	if !ok {
		return nil, syscall.ENOTSUP
	}
	return r.Readdirent(ctx)
}

func (d *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	s, ok := d.ds.(gofs.FileSeekdirer)
	if !ok {
		return syscall.ENOTSUP
	}
	return s.Seekdir(ctx, off)
}

func (d *dirHandle) Releasedir(ctx context.Context, flags uint32) {
	if r, ok := d.ds.(gofs.FileReleasedirer); ok {
		r.Releasedir(ctx, flags)
	}
}

func (d *dirHandle) Fsyncdir(ctx context.Context, flags uint32) syscall.Errno {
	return gofs.ToErrno(d.fs.syncDir())
}
