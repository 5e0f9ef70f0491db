package chaos

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/powerfail"
)

// TestPowerLossCampaign is the crash campaign with the gateway's data
// directory on a powerfail filesystem: every death is followed by a power
// cut that drops what was not fsynced (sometimes keeping a torn write),
// and the bolt file must open and pass tx.Check after each. Nothing
// acknowledged may be lost: an acknowledgement must follow the commit's
// fsync, not only its write.
func TestPowerLossCampaign(t *testing.T) {
	if err := powerfail.Available(); err != nil {
		if os.Getenv("SWITCHBOARD_REQUIRE_FUSE") != "" {
			t.Fatalf("SWITCHBOARD_REQUIRE_FUSE is set, but FUSE cannot be mounted here: %v", err)
		}
		t.Skipf("SKIP: the power-loss campaign needs /dev/fuse and the right to mount (root): %v", err)
	}
	n := 20
	if *killsFlag > 0 {
		n = *killsFlag
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*3*time.Second+2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Binary: binary, Dir: t.TempDir(), Kills: n, Slack: true, Web: true, WeChat: true, Discord: true, PowerLoss: true, Logf: t.Logf})
	t.Logf("summary: %s\n%s", rep.Summary(), rep.PlatformSummary())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if rep.PowerCuts != n+1 || rep.BoltChecks != n+1 {
		t.Errorf("power cuts = %d, bolt checks passed = %d; want %d each (one per kill and one after the stop)", rep.PowerCuts, rep.BoltChecks, n+1)
	}
	if rep.Lost != 0 || rep.InboundDuplicates != 0 {
		t.Errorf("lost = %d, inbound duplicates = %d; want 0 and 0", rep.Lost, rep.InboundDuplicates)
	}
	if p := rep.Platform["discord"]; p != nil && p.ChannelDuplicates != 0 {
		t.Errorf("%d Discord channel messages posted twice: nonce + enforce_nonce should prevent that", p.ChannelDuplicates)
	}
	if rep.Acked == 0 || rep.Answered != rep.Acked {
		t.Errorf("acked = %d, answered = %d; want every acknowledged message answered", rep.Acked, rep.Answered)
	}
	if rep.Syncs == 0 || rep.AppliedWrites == 0 {
		t.Errorf("the filesystem served %d fsyncs that made %d writes durable: the store did not run on it", rep.Syncs, rep.AppliedWrites)
	}
}
