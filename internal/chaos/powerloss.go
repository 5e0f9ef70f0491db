package chaos

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/switchboard-gw/switchboard/internal/powerfail"
)

// powerLoss is the gateway's data directory on a powerfail filesystem:
// after each death of the gateway, Cut throws away what was not synced.
type powerLoss struct {
	fs  *powerfail.FS
	db  string // the bolt file in the backing directory (the durable state)
	rng *rand.Rand
}

// mountPowerLoss mounts dir/disk (the durable state) at dir/data.
func mountPowerLoss(dir string) (*powerLoss, error) {
	fs, err := powerfail.Mount(powerfail.Options{Backing: filepath.Join(dir, "disk"), Mountpoint: filepath.Join(dir, "data")})
	if err != nil {
		return nil, err
	}
	return &powerLoss{fs: fs, db: filepath.Join(dir, "disk", "switchboard.db"),
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
	if err := checkBolt(p.db); err != nil {
		r.problem("after power cut %d (tear %v, %d writes dropped): %v", r.PowerCuts, tear, cr.DroppedWrites, err)
	} else {
		r.BoltChecks++
	}
	return nil
}

// checkBolt opens the bolt file read-only and runs bbolt's consistency
// check (tx.Check: every page reachable once, freelist and tree sound).
// A missing file (a death before the store was first created) passes.
// It reads the backing file directly: a bbolt mapping of a file on the
// FUSE mount, served by this very process, could deadlock the collector.
func checkBolt(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("bolt file does not open: %w", err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
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
