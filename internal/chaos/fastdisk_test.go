package chaos

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestBurstOnFastDisk sends bursts of messages to a gateway whose database
// is on tmpfs (/dev/shm), where a commit takes microseconds, as on a disk
// with a battery-backed write cache. No process dies, so no reply may reach
// the platform twice. (A dispatcher that scans the outbox while a send
// completes, and then schedules the entry it read before the delete, sends
// that reply again; on a slow disk the window is rarely hit.)
func TestBurstOnFastDisk(t *testing.T) {
	if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
		t.Skip("needs /dev/shm (tmpfs) for a database with instant fsync")
	}
	dir, err := os.MkdirTemp("/dev/shm", "switchboard-chaos-")
	if err != nil {
		t.Skipf("cannot write to /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := newRig(t, filepath.Join(dir, "switchboard.db"), false)
	r.start()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 8 {
		r.deliver(ctx, r.telegram(30))
	}
	rep := r.finish()
	t.Logf("bursts on tmpfs: %s", rep.Summary())
	requireClean(t, rep)
}
