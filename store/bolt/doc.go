/*
Package bolt is Switchboard's embedded store: a core.Store kept in one bbolt
(go.etcd.io/bbolt) file, the default backend for a single replica.

# Opening

Open takes the file's exclusive lock with a timeout, so a second switchboard
on the same file fails at start-up with "store: PATH is locked by another
process (is switchboard already running?)" instead of hanging. A file that is
not a bbolt database, or whose meta pages are damaged, fails with an error
naming the file. The database is opened with an InitialMmapSize (64 MiB by
default, so readers rarely wait for a remap while the file grows) and the
hashmap freelist, and with NoFreelistSync as etcd does: the freelist is not
written on every commit but rebuilt from the pages when the file is opened.
On a disk whose synced writes are bandwidth-bound this halved the time of a
single-caller commit (measured with BenchmarkCommit: 135 → 299 commits/s, and
1.5k → 4.6k/s with 64 callers, in one run on a loaded 2-core VM). NoSync is
never set: a nil from Commit means the data is on disk.

# Buckets

Every value starts with a format byte (1 today) that names the layout of the
bytes after it; a future layout gets a new byte and old files stay readable.
Decoding an unknown format byte fails with ErrFormat, naming bucket and key.
be8(n) below is n as 8 big-endian bytes, so keys sort numerically; times are
Unix nanoseconds.

	meta           "schema_version" → 1 | be4(version)
	conversations  "platform:chat:user" → 1 | be8(revision) | JSON(core.State)
	transcript     conversation | 0x00 | be8(seq) → 1 | JSON(core.Turn)
	dedupe         dedupe key → 1 | be8(expiry)
	dedupe_expiry  be8(expiry) | dedupe key → 1
	outbox         be8(seq) → 1 | be8(next attempt) | JSON(entry)
	outbox_due     be8(next attempt) | be8(seq) → 1
	deadletters    be8(seq) → 1 | JSON(dead letter)
	kv             namespace | 0x00 | key → 1 | be8(expiry, 0 = none) | value
	kv_expiry      be8(expiry) | namespace | 0x00 | key → 1
	counters       name → 1 | be8(int64 value)

State.Revision is not part of the state's JSON; it is the 8 bytes before it.
The transcript keeps the last Options.TranscriptLimit turns of each
conversation: its keys are contiguous, so trimming deletes from the front
without a scan; one flat bucket (rather than a bucket per conversation) keeps
the pages a commit dirties to one leaf per conversation. Outbox keys come from
the bucket's sequence inside the commit, so key order is commit order; the due
prefix lets PendingOutbox skip entries that are backing off without decoding
them, and outbox_due makes NextOutboxAttempt a single cursor step. The two
expiry indexes let ExpireDedupe and ExpireKV delete in small batches, oldest
first, at a cost proportional to the batch. A dedupe key whose Expires is the
zero time never expires. Key-value records are written by Put and by a
Commit's KV writes (in the commit's transaction, in order, ttl counted from
the commit); Get and List hide expired records until ExpireKV deletes them,
and List walks one namespace in key order.

# Group commit

bbolt allows one writer at a time and every commit pays two fsyncs. DB.Batch
amortises them but waits MaxBatchDelay (10 ms by default) for company before
committing, which caps a single sequential caller (one webhook connection) at
about 94 writes per second. Instead, every write of this package (Commit,
Put, RetryOutbox, CompleteOutbox, DeadLetter, ExpireDedupe, ExpireKV) is an op
on a queue owned by one committer goroutine. The committer takes the first op,
drains whatever else is already queued without waiting, runs them all in one
Update and answers each caller. A lone caller pays one commit and no timer;
under load the group grows by itself while the previous fsync runs.

Within a group each op checks its preconditions (dedupe keys, revision, entry
exists) before writing, so a logical failure (core.ErrDuplicate,
core.ErrConflict, core.ErrNotFound) writes nothing and does not affect the
others; later ops see earlier ops' writes, so two commits of the same dedupe
key in one group are caught. An op failing with any other error is answered
with it and the group is rolled back and rerun without it. If the commit
itself fails, every op of the group gets that error. A caller whose context
ends while its op is still queued gets ctx.Err() and the op is skipped; once
the committer has claimed the op, the caller waits for its true outcome.
Encoding (JSON) happens in the callers' goroutines, so the committer only does
lookups and puts.

Close stops accepting writes, commits what is queued, waits for it and closes
the file; every method called after Close returns core.ErrClosed.

# Maintenance

Store.Backup streams a consistent copy of the open database (a read
transaction; writers continue). Compact copies a closed database into a new,
smaller file. Both results open with Open.
*/
package bolt
