package powerfail

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// helperEnv makes the test binary the bbolt writer of TestBoltOnPowerfail:
// its value is "path:keys:nosync". The writer runs in a process of its own
// because bbolt maps the file, and a page fault on a FUSE file served by
// the faulting process could deadlock its garbage collector.
const helperEnv = "POWERFAIL_BOLT_WRITER"

func TestMain(m *testing.M) {
	if v := os.Getenv(helperEnv); v != "" {
		os.Exit(boltWriter(v))
	}
	os.Exit(m.Run())
}

// boltWriter commits keys one per transaction to the bolt file and exits
// without closing it, as a killed process would.
func boltWriter(arg string) int {
	var path string
	var keys int
	var noSync bool
	if _, err := fmt.Sscanf(arg, "%s %d %t", &path, &keys, &noSync); err != nil {
		fmt.Fprintln(os.Stderr, "bad", helperEnv, arg, err)
		return 2
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: noSync})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range keys {
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("k"))
			if err != nil {
				return err
			}
			return b.Put([]byte(strconv.Itoa(os.Getpid())+"-"+strconv.Itoa(i)), make([]byte, 3000))
		}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0 // no Close: the descriptors close as the process ends
}

// boltState opens the durable file (the backing directory, not the
// mount) read-only, runs tx.Check and returns how many keys it holds. A
// damaged file is an error (bbolt's panics on damaged pages included).
func boltState(path string) (keys int, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("bolt file does not open: %w", err)
	}
	defer db.Close()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bolt file damaged: %v", r)
		}
	}()
	err = db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return fmt.Errorf("tx.Check: %w", errors.Join(errs...))
		}
		if b := tx.Bucket([]byte("k")); b != nil {
			keys = b.Stats().KeyN
		}
		return nil
	})
	return keys, err
}

// bbolt on the filesystem: every commit it acknowledged (Update returned)
// survives a cut, as it fdatasyncs before returning, and the file passes
// tx.Check, torn last write or not; with NoSync acknowledged commits are
// lost (those since bbolt's last own sync, when it created or grew the
// file), or the file is damaged.
func TestBoltOnPowerfail(t *testing.T) {
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("nosync=%v", noSync), func(t *testing.T) {
			f := mountT(t)
			mounted := filepath.Join(f.Dir(), "x.db")
			durable := filepath.Join(f.Backing(), "x.db")
			committed := 0
			for round := range 3 {
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s 25 %t", helperEnv, mounted, noSync))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("round %d: writer: %v\n%s", round, err, out)
				}
				committed += 25
				cut(t, f, CutOptions{Tear: Tear(round % 3)})
				got, err := boltState(durable)
				switch {
				case !noSync && err != nil:
					t.Fatalf("round %d: %v", round, err)
				case !noSync && got != committed:
					t.Fatalf("round %d: %d keys after the cut, %d commits were acknowledged", round, got, committed)
				case noSync && err == nil && got >= committed:
					// Without fdatasync on commit only what bbolt's own
					// syncs (creating or growing the file) made durable
					// may survive; a torn meta page may even point at
					// pages that were never written (a damaged file).
					t.Fatalf("round %d: all %d keys survived without fdatasync", round, got)
				case noSync:
					t.Logf("round %d without fdatasync: %d of %d keys, damage: %v", round, got, committed, err)
				}
			}
		})
	}
}
