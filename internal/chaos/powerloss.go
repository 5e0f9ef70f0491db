package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/internal/powerfail"
)

// powerLoss is the gateway's data directory on a powerfail filesystem:
// after each death of the gateway, Cut throws away what was not synced.
type powerLoss struct {
	bin string // the switchboard binary, for `bench --check-bolt`
	fs  *powerfail.FS
	db  string // the bolt file in the backing directory (the durable state)
	rng *rand.Rand
}

// mountPowerLoss mounts dir/disk (the durable state) at dir/data.
func mountPowerLoss(bin, dir string) (*powerLoss, error) {
	fs, err := powerfail.Mount(powerfail.Options{Backing: filepath.Join(dir, "disk"), Mountpoint: filepath.Join(dir, "data")})
	if err != nil {
		return nil, err
	}
	return &powerLoss{bin: bin, fs: fs, db: filepath.Join(dir, "disk", "switchboard.db"),
		rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}, nil
}

// cut is a power failure after the gateway's death: unsynced writes are
// dropped (a third of the time keeping a torn page-aligned prefix of the
// last one, a third of the time a torn prefix of any length), and the
// bolt file must then open and pass bbolt's consistency check. A broken
// file is a problem in r; the error is for a cut that could not be done.
func (p *powerLoss) cut(r *Report) error {
	tear := []powerfail.Tear{powerfail.NoTear, powerfail.TearPages, powerfail.TearBytes}[p.rng.IntN(3)]
	cr, err := p.fs.Cut(powerfail.CutOptions{Tear: tear, Rand: p.rng})
	if err != nil {
		return fmt.Errorf("chaos: power cut %d: %w", r.PowerCuts+1, err)
	}
	r.PowerCuts++
	r.CutDroppedWrites += cr.DroppedWrites
	r.CutUndoneOps += cr.UndoneOps
	if cr.TornBytes > 0 {
		r.TornWrites++
	}
	if err := checkBoltProcess(p.bin, p.db); err != nil {
		r.problem("after power cut %d (tear %v, %d writes dropped): %v", r.PowerCuts, tear, cr.DroppedWrites, err)
	} else {
		r.BoltChecks++
	}
	return nil
}

// checkBoltProcess runs `switchboard bench --check-bolt path` (CheckBolt
// in a process of its own): bbolt panics, in a goroutine of its own, on
// some corrupt files, which would end the harness. It checks the backing
// file, the durable state.
func checkBoltProcess(bin, path string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "bench", "--check-bolt", path).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if i := strings.Index(msg, "\ngoroutine "); i > 0 {
			msg = msg[:i] // a panic: its message, not its stacks
		}
		return fmt.Errorf("bench --check-bolt: %v: %s", err, msg)
	}
	return nil
}

// CheckBolt opens the bolt file read-only and runs bbolt's consistency
// check (tx.Check: every page reachable once, freelist and tree sound).
// A missing file (a death before the store was first created) passes;
// path itself is not changed.
// bbolt may panic on a corrupt file: call it in a process of its own.
func CheckBolt(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	// A copy, opened as the store opens it (read-write, the freelist
	// rebuilt from the pages: a read-only open would not look at them).
	tmp, err := os.MkdirTemp("", "switchboard-check-bolt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cp := filepath.Join(tmp, "copy.db")
	if err := copyFile(path, cp); err != nil {
		return err
	}
	db, err := bolt.Open(cp, 0o600, &bolt.Options{Timeout: 2 * time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("bolt file does not open: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) (err error) {
		// Every key of every bucket, read as the store reads them; a
		// damaged page panics or faults.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("bolt file damaged: reading its keys panics: %v", r)
			}
		}()
		if err := tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			return b.ForEach(func(_, _ []byte) error { return nil })
		}); err != nil {
			return fmt.Errorf("bolt file damaged: %w", err)
		}
		var errs []error
		for err := range tx.Check() { // drained to its end: the checker's goroutine closes it
			if len(errs) < 5 {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return fmt.Errorf("bolt consistency check: %w", errors.Join(errs...))
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
