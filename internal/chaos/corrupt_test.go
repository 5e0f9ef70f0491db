package chaos

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCorruptDatabase damages a database file in the ways disks and
// careless copies do and checks that serve refuses to start with an error
// that names the file (not a panic, not a silently empty database), and
// that a `switchboard backup` copy taken before the damage opens and holds
// every message.
func TestCorruptDatabase(t *testing.T) {
	r := newRig(t, "", false)
	r.start()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r.deliver(ctx, r.telegram(20))
	requireClean(t, r.finish())

	backup := filepath.Join(t.TempDir(), "backup.db")
	if out, err := r.g.Run(ctx, "backup", "--out", backup); err != nil {
		t.Fatalf("switchboard backup: %v\n%s", err, out)
	}
	healthy, err := os.ReadFile(r.store)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096 // bbolt's page size on this platform (os.Getpagesize)
	if len(healthy) < 8*page {
		t.Fatalf("database is only %d bytes", len(healthy))
	}
	// The file is preallocated beyond its data (bbolt grows it in 16 MiB
	// steps); "used" ends at the last page holding data.
	used := len(healthy)
	for used > 0 && healthy[used-1] == 0 {
		used--
	}
	used = (used + page - 1) / page * page
	garbage := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rand.N(256))
		}
		return b
	}
	cases := []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"both meta pages zeroed", func(b []byte) []byte { clear(b[:2*page]); return b }},
		{"meta pages garbage", func(b []byte) []byte { copy(b, garbage(2*page)); return b }},
		{"truncated inside the data", func(b []byte) []byte { return b[:used/2] }},
		{"truncated to one page", func(b []byte) []byte { return b[:page] }},
		{"data pages garbage", func(b []byte) []byte { copy(b[2*page:], garbage(len(b)-2*page)); return b }},
		{"not a database", func([]byte) []byte { return garbage(64 << 10) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "switchboard.db")
			if err := os.WriteFile(path, c.damage(append([]byte(nil), healthy...)), 0o600); err != nil {
				t.Fatal(err)
			}
			g, err := NewGateway(binary, t.TempDir(), Config{Addr: r.g.Config.Addr, StorePath: path, Telegram: r.g.Config.Telegram})
			if err != nil {
				t.Fatal(err)
			}
			if err := g.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-g.Exited():
			case <-time.After(20 * time.Second):
				_ = g.Kill()
				t.Fatalf("serve kept running on a damaged file; log:\n%s", g.LogTail(2000))
			}
			st, log := g.State(), g.LogTail(1<<20)
			switch {
			case st.Success():
				t.Errorf("serve exited with status 0 on a damaged file; log:\n%s", log)
			case st.ExitCode() == -1:
				t.Errorf("serve was killed by a signal (%v) instead of refusing to start; log:\n%s", st, log)
			case crash(log) != "":
				t.Errorf("serve crashed instead of refusing with a clear error naming the file:\n%s", crash(log))
			case !strings.Contains(log, "switchboard: ") || !strings.Contains(log, path):
				t.Errorf("the error does not name the file %s; log:\n%s", path, log)
			default:
				t.Logf("refused: %s", lastLine(log))
			}
		})
	}

	t.Run("backup taken before the damage", func(t *testing.T) {
		g, err := NewGateway(binary, t.TempDir(), Config{Addr: r.g.Config.Addr, StorePath: backup, AdminToken: "chaos-corrupt-admin-0123456789abcdef",
			Telegram: r.g.Config.Telegram})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Start(); err != nil {
			t.Fatal(err)
		}
		if err := g.WaitReady(ctx, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := g.Stop(15 * time.Second); err != nil {
			t.Fatal(err)
		}
		var rep Report
		if err := Verify(ctx, Evidence{Messages: r.d.Messages(), Telegram: r.tg.Sent(), StorePath: backup}, &rep); err != nil {
			t.Fatal(err)
		}
		requireClean(t, rep)
	})
}

// crash returns the first lines of a Go panic or fatal error in log, or "".
func crash(log string) string {
	i := -1
	for _, marker := range []string{"panic: ", "fatal error: ", "unexpected fault address", "SIGBUS", "SIGSEGV"} {
		if j := strings.Index(log, marker); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	if i < 0 {
		return ""
	}
	lines := strings.SplitN(log[i:], "\n", 12)
	return strings.Join(lines[:min(len(lines), 11)], "\n")
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
