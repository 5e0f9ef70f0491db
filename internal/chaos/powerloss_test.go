package chaos

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// snapshot is a copy of the database file taken while the gateway was
// stopped, and what the driver and the fake knew at that instant.
type snapshot struct {
	path  string
	acked map[string]bool // message ids acknowledged before the copy
	sent  int             // replies the fake had accepted before the copy
}

// TestPowerLossSnapshot approximates a power cut: under load, at random
// moments, the gateway is frozen with SIGSTOP and its database file is
// copied, as a crash would leave it (possibly in the middle of a commit:
// new pages written, the meta page not yet). A new gateway started on each
// copy must hold every message acknowledged before the copy, with its
// replies either delivered before the copy or still in the outbox, and
// deliver those.
//
// What this proves: an acknowledgement is sent only after the commit's
// writes reached the file, and a file image cut at any instant opens and
// recovers to its last complete commit. What it does not prove: that fsync
// reached stable storage before the acknowledgement (the copy is read
// through the page cache, which a real power cut loses); that needs a
// device that drops unsynced writes (dm-log-writes, a VM power-off).
func TestPowerLossSnapshot(t *testing.T) {
	r := newRig(t, "", false)
	r.start()
	r.d.lim.SetLimit(60) // faster than Telegram's 30 replies/s: the outbox fills up
	r.d.Start()          // background customers
	var snaps []snapshot
	for i := range 5 {
		time.Sleep(300*time.Millisecond + rand.N(500*time.Millisecond))
		if err := r.g.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		if err := r.g.WaitStopped(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		// Answers written before the stop may still be in socket buffers:
		// let the driver read them, so "acked" is complete.
		time.Sleep(50 * time.Millisecond)
		s := snapshot{path: filepath.Join(t.TempDir(), "snap.db"), acked: map[string]bool{}, sent: len(r.tg.Sent())}
		for _, m := range r.d.Messages() {
			if m.Acked {
				s.acked[m.ID] = true
			}
		}
		if err := copyFile(r.store, s.path); err != nil {
			t.Fatal(err)
		}
		if err := r.g.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		t.Logf("snapshot %d: %d messages acknowledged, %d replies delivered", i, len(s.acked), s.sent)
		snaps = append(snaps, s)
	}
	r.d.StopProducing()
	if err := r.d.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	requireClean(t, r.finish())

	for i, s := range snaps {
		// A fresh gateway and a fresh fake on the copy: the replies still
		// in the copy's outbox go to the new fake.
		g2 := newRig(t, s.path, false)
		g2.start()
		g2.stop()
		var msgs []Msg
		for _, m := range r.d.Messages() {
			m.Acked = s.acked[m.ID]
			msgs = append(msgs, m)
		}
		// Replies the first fake accepted before the copy, then those the
		// new gateway sent: a reply in both was sent before the copy and
		// its outbox delete was not in it yet (counted as across a restart).
		ev := Evidence{Messages: msgs, Telegram: append(r.tg.Sent()[:s.sent:s.sent], g2.tg.Sent()...),
			TelegramBounds: []int{s.sent}, StorePath: s.path}
		var rep Report
		if err := Verify(context.Background(), ev, &rep); err != nil {
			t.Fatal(err)
		}
		t.Logf("copy %d: %s", i, rep.Summary())
		for _, p := range rep.Problems {
			t.Errorf("copy %d: %s", i, p)
		}
		if rep.Acked != len(s.acked) || rep.Answered != rep.Acked || rep.Lost != 0 {
			t.Errorf("copy %d: %d acknowledged before the copy, %d found answered, %d lost", i, len(s.acked), rep.Answered, rep.Lost)
		}
	}
}
