package chaos

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size (e.g. "8m") on a fresh directory and
// unmounts it at the end of the test. It skips the test where mounting is
// not allowed (not root, no CAP_SYS_ADMIN, a container without mount).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("full-disk test needs a small file system: mount -t tmpfs -o size=%s failed (needs root/CAP_SYS_ADMIN): %v %s",
			size, err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the file system is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				break
			}
			t.Fatal(err)
		}
	}
	for _, small := range []int{4096, 512, 1} { // the last few blocks too
		for {
			if _, err := f.Write(chunk[:small]); err != nil {
				break
			}
		}
	}
	return p
}

// TestDiskFull puts the database on a small tmpfs and fills it while the
// gateway serves. A message that cannot be committed must get a 5xx (so the
// platform retries), never a 2xx; once space is freed the gateway must
// recover by itself, and every message acknowledged before, during and
// after must be answered.
func TestDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "8m")
	r := newRig(t, filepath.Join(mnt, "switchboard.db"), false)
	r.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r.deliver(ctx, r.telegram(10))

	filler := fill(t, mnt)
	// Free pages inside the database file can still take a few commits;
	// keep writing until commits fail.
	var refused []*Msg
	for i := 0; i < 400 && len(refused) < 5; i++ {
		m := r.telegram(1)[0]
		if ok, err := r.d.Attempt(ctx, m, 0); err != nil {
			t.Fatal(err)
		} else if !ok {
			refused = append(refused, m)
		}
	}
	fivexx := 0
	for k, v := range r.d.Statuses() {
		switch {
		case strings.HasPrefix(k, "5"):
			fivexx += v
		case k != "200":
			t.Errorf("webhook answered %s %d times on a full disk; want 200 (committed) or 5xx", k, v)
		}
	}
	if fivexx < len(refused) {
		t.Errorf("%d messages refused but only %d 5xx answers: %v", len(refused), fivexx, r.d.Statuses())
	}
	if len(refused) == 0 {
		t.Fatalf("400 messages committed on a full disk: the disk never filled up? statuses %v", r.d.Statuses())
	}
	t.Logf("full disk: %d messages refused; statuses so far %v", len(refused), r.d.Statuses())
	if st := r.g.State(); st != nil {
		t.Fatalf("gateway exited on a full disk: %v", st)
	}
	// Telegram keeps retrying the refused ones; free the space meanwhile.
	done := make(chan struct{})
	go func() { r.deliver(ctx, refused); close(done) }()
	time.Sleep(500 * time.Millisecond)
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	<-done
	r.deliver(ctx, r.telegram(10)) // and new traffic after recovery

	rep := r.finish()
	t.Logf("disk full then freed: %s", rep.Summary())
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if rep.Lost != 0 || rep.InboundDuplicates != 0 || rep.Answered != rep.Acked || rep.Acked != rep.Messages {
		t.Errorf("want every message acknowledged in the end and answered: %s", rep.Summary())
	}
}
