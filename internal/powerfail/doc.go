/*
Package powerfail is a FUSE filesystem for tests that loses, on Cut, every
write that a power failure would lose. It is written with go-fuse: a
loopback over a backing directory whose content is, at every moment, what
the "disk" holds durably. Programs under test use the mount point; the test
calls Cut after killing them, as a power failure would; Cut unmounts,
throws away what was not durable and mounts again over what was.

# What is modelled (ext4, data=ordered, default mount options)

File data. A write(2) (and an ftruncate(2) or truncate(2), an open with
O_TRUNC) is not written to the backing file: it is kept in memory, per
inode, in order. Reads, stat and the kernel's idea of the file size see it
at once, as they see the page cache. fsync(2) or fdatasync(2) of the file,
through any descriptor of its inode, applies the kept operations to the
backing file: from then on they are durable. Cut throws away what is still
kept. Optionally (CutOptions.Tear) it first keeps a torn prefix of the last
unsynced write of all (the kernel splits a write(2) into requests at page
boundaries; requests in a row that continue one another count as one write): a prefix ending on a 4 KiB page boundary of the file
(TearPages) or at any byte (TearBytes), as when the power goes while the
device is writing it. Earlier unsynced writes are thrown away even then:
without a flush the device may reorder writes.

Metadata: the journal. Changes to the namespace (create, mkdir, mknod,
symlink, link, unlink, rmdir, rename, including a rename that replaces its
target) are applied to the backing directory at once, and recorded in one
journal for the whole filesystem, as jbd2 records them in its running
transaction. Any fsync or fdatasync, of a file or of a directory (fsync of a
directory descriptor), commits the journal: every namespace change made so
far becomes durable, not only those of that directory, because jbd2
commits the whole transaction. Cut undoes the uncommitted changes in
reverse order: a created file disappears, an unlinked or replaced file
comes back with its durable content, a rename is reverted.

Size changes by truncation are metadata too: a journal commit (any fsync)
makes the truncations of every file durable, without the writes kept for
that file; so, as on ext4, a file shrunk and rewritten but not fsynced may
come back shorter, and one extended by ftruncate comes back with zeros, but
a file extended by write(2) never comes back longer than its durable data
(delayed allocation: the size is set when the data is written back).

A file created and written, whose creation was committed by some fsync but
whose data was not fsynced, comes back empty: the zero-length file of
ext4's delayed allocation.

# What is not modelled

  - The periodic journal commit (commit=5s) and the kernel's writeback of
    dirty pages after dirty_expire_centisecs: Cut behaves as if the power
    went before either happened, the worst case a program must survive.
  - ext4's auto_da_alloc heuristics (flushing data on close after a
    truncate to zero, or on a rename over an existing file): a program that
    relies on them is wrong on other filesystems and is caught here.
  - sync(2), syncfs(2), O_SYNC, O_DSYNC, O_DIRECT, sync_file_range(2) and
    msync(2) make nothing durable here; fallocate(2), copy_file_range(2)
    and O_TMPFILE are refused (EOPNOTSUPP). Writes through a shared
    writable mapping reach the model only when the kernel writes the pages
    back (msync, munmap, memory pressure). Read-only mappings, as bbolt
    uses, see the kept writes.
  - Mode, owner, times and extended attributes are passed through at once
    and are not rolled back by Cut.
  - Several hard links to one file share its kept writes (they are kept by
    inode), but a link created and not committed is undone by name.

Cut expects that no process uses the mount: it unmounts, retrying while the
kernel still reports the mount busy, and the caller kills the program under
test first, as a power failure would.

Mounting needs /dev/fuse and the right to mount: root (the mount(2) system
call directly) or the fusermount3 helper. Available reports whether this
machine can; tests skip with its error when it cannot.
*/
package powerfail
