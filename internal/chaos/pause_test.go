package chaos

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestPauseLongerThanPlatformTimeout freezes the gateway with SIGSTOP for
// three times Telegram's (compressed) answer deadline and ten times
// Slack's, so the platforms' retries pile up on a process that accepted
// the first requests but cannot answer them; after SIGCONT every message
// must be answered exactly once.
func TestPauseLongerThanPlatformTimeout(t *testing.T) {
	r := newRig(t, "", true)
	r.start()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r.deliver(ctx, append(r.telegram(5), r.slack(3)...)) // a warm gateway first

	if err := r.g.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := r.g.WaitStopped(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	paused := append(r.telegram(12), r.slack(6)...)
	done := make(chan struct{})
	go func() { r.deliver(ctx, paused); close(done) }()
	time.Sleep(3 * time.Second)
	for _, m := range r.d.Messages()[8:] {
		if m.Acked || m.Deliveries < 2 {
			t.Errorf("%s %s: acked=%v after %d deliveries while the gateway was stopped; want unacknowledged and retried",
				m.Platform, m.ID, m.Acked, m.Deliveries)
		}
	}
	if err := r.g.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	<-done

	rep := r.finish()
	t.Logf("after a 3 s pause: %s", rep.Summary())
	if rep.Statuses["timeout"] == 0 {
		t.Errorf("no webhook request timed out during the pause: %v", rep.Statuses)
	}
	// Slack gives up after its third retry (here 3.5 units = 1.75 s plus
	// timeouts, about 3 s): a Slack message may stay unacknowledged, but
	// if the gateway handled it, it must still be answered once.
	for _, m := range r.d.Messages() {
		if m.Platform == "telegram" && !m.Acked {
			t.Errorf("telegram %s not acknowledged after SIGCONT", m.ID)
		}
	}
	if !rep.OK() {
		for _, p := range rep.Problems {
			t.Error(p)
		}
	}
	if rep.OutboundDuplicates != 0 || rep.InboundDuplicates != 0 || rep.Lost != 0 {
		t.Errorf("want every message answered exactly once: %s", rep.Summary())
	}
}
