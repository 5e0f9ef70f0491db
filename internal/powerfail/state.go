package powerfail

import (
	"errors"
	"fmt"
	"syscall"
)

// op is one kept data operation: a write of data at off, or a truncation
// to size.
type op struct {
	seq       uint64
	off       int64
	data      []byte
	trunc     bool
	size      int64
	committed bool // a truncation already made durable by a journal commit
}

// fileState is what an inode has that is not durable: its operations since
// its last fsync, and its size as the programs see it. fd is a writable
// descriptor of the backing file, owned by the state, to apply them.
type fileState struct {
	ino  uint64
	ops  []op
	size int64
	fd   int
}

func (s *fileState) closeFd() {
	if s.fd >= 0 {
		_ = syscall.Close(s.fd)
		s.fd = -1
	}
}

// pending returns the state of ino, creating it with getFd (a writable
// descriptor the state will own) if there is none. Called with f.mu held.
func (f *FS) pending(ino uint64, getFd func() (int, error)) (*fileState, error) {
	if st, ok := f.files[ino]; ok {
		return st, nil
	}
	fd, err := getFd()
	if err != nil {
		return nil, err
	}
	var s syscall.Stat_t
	if err := syscall.Fstat(fd, &s); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	st := &fileState{ino: ino, size: s.Size, fd: fd}
	f.files[ino] = st
	return st, nil
}

// keepWrite keeps a write of data at off to inode ino.
func (f *FS) keepWrite(ino uint64, getFd func() (int, error), data []byte, off int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.pending(ino, getFd)
	if err != nil {
		return err
	}
	f.seq++
	st.ops = append(st.ops, op{seq: f.seq, off: off, data: append([]byte(nil), data...)})
	st.size = max(st.size, off+int64(len(data)))
	return nil
}

// keepTruncate keeps a truncation of inode ino to size.
func (f *FS) keepTruncate(ino uint64, getFd func() (int, error), size int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, err := f.pending(ino, getFd)
	if err != nil {
		return err
	}
	f.seq++
	st.ops = append(st.ops, op{seq: f.seq, trunc: true, size: size})
	st.size = size
	return nil
}

// size returns the size of ino as programs see it, if it has kept operations.
func (f *FS) size(ino uint64) (int64, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.files[ino]; ok {
		return st.size, true
	}
	return 0, false
}

// read reads ino at off into buf as programs see it: the backing file
// (through fd) with the kept operations laid over it in order. It returns
// the bytes read.
func (f *FS) read(ino uint64, fd int, buf []byte, off int64) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.files[ino]
	if !ok {
		n, err := syscall.Pread(fd, buf, off)
		if err != nil {
			return nil, err
		}
		return buf[:n], nil
	}
	if off >= st.size {
		return buf[:0], nil
	}
	buf = buf[:min(int64(len(buf)), st.size-off)]
	n, err := syscall.Pread(fd, buf, off)
	if err != nil {
		return nil, err
	}
	clear(buf[n:])
	end := off + int64(len(buf))
	for _, p := range st.ops {
		if p.trunc {
			if p.size < end {
				clear(buf[max(0, p.size-off):])
			}
			continue
		}
		wEnd := p.off + int64(len(p.data))
		if wEnd <= off || p.off >= end {
			continue
		}
		lo, hi := max(off, p.off), min(end, wEnd)
		copy(buf[lo-off:hi-off], p.data[lo-p.off:hi-p.off])
	}
	return buf, nil
}

// sync makes the kept operations of ino durable (if it has any) and
// commits the journal: fsync or fdatasync of a file.
func (f *FS) sync(ino uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.Syncs++
	var errs []error
	if st, ok := f.files[ino]; ok {
		for _, p := range st.ops {
			var err error
			if p.trunc {
				err = syscall.Ftruncate(st.fd, p.size)
			} else {
				_, err = syscall.Pwrite(st.fd, p.data, p.off)
				f.stats.AppliedWrites++
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("powerfail: apply: %w", err))
			}
		}
		if len(errs) == 0 {
			st.closeFd()
			delete(f.files, ino)
		}
	}
	// The backing directory models the disk: what is in it is durable, and
	// it needs no fsync of its own.
	errs = append(errs, f.commit())
	return errors.Join(errs...)
}

// syncDir commits the journal: fsync of a directory.
func (f *FS) syncDir() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stats.DirSyncs++
	return f.commit()
}
