package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Fsync is what the fsync probe measured.
type Fsync struct {
	Dir     string `json:"dir"`
	Samples int    `json:"samples"`
	P50     Millis `json:"p50_ms"`
	P99     Millis `json:"p99_ms"`
	// SyncsPerSec is 1/p50: how many durable writes one connection can
	// make per second when each waits for its own sync.
	SyncsPerSec float64 `json:"syncs_per_sec"`
	// CommitsPerSec is half of it: a bbolt commit syncs twice (the data
	// pages, then the meta page).
	CommitsPerSec float64 `json:"commits_per_sec"`
}

// probeFsync writes n 4 KiB blocks to a file in dir, each followed by
// fdatasync, and reports the latency of write+sync. The blocks rotate over
// the first 256 KiB of a preallocated file, as a database overwrites its
// pages; the file is removed afterwards.
func probeFsync(dir string, n int) (*Fsync, error) {
	f, err := os.CreateTemp(dir, "fsync-probe-*")
	if err != nil {
		return nil, fmt.Errorf("fsync probe in %s: %w", dir, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	const block, span = 4 << 10, 256 << 10
	if _, err := f.WriteAt(make([]byte, span), 0); err != nil {
		return nil, fmt.Errorf("fsync probe: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("fsync probe: %w", err)
	}
	buf := make([]byte, block)
	lat := make([]time.Duration, 0, n)
	for i := range n {
		buf[0] = byte(i)
		start := time.Now()
		if _, err := f.WriteAt(buf, int64(i%(span/block))*block); err != nil {
			return nil, fmt.Errorf("fsync probe: %w", err)
		}
		if err := fdatasync(f); err != nil {
			return nil, fmt.Errorf("fsync probe: fdatasync: %w", err)
		}
		lat = append(lat, time.Since(start))
	}
	abs, _ := filepath.Abs(dir)
	p := percentiles(lat)
	out := &Fsync{Dir: abs, Samples: n, P50: Millis(p.p50), P99: Millis(p.p99)}
	if p.p50 > 0 {
		out.SyncsPerSec = float64(time.Second) / float64(p.p50)
		out.CommitsPerSec = out.SyncsPerSec / 2
	}
	return out, nil
}
