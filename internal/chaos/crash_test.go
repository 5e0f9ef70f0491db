package chaos

import (
	"context"
	"flag"
	"os"
	"strconv"
	"testing"
	"time"
)

var killsFlag = flag.Int("chaos.kills", 0, "process deaths in TestCrashRecovery (default $SWITCHBOARD_CHAOS_KILLS, else 40; 20 with -short)")

// kills is the number of deaths TestCrashRecovery causes: -chaos.kills,
// else $SWITCHBOARD_CHAOS_KILLS, else 40 (20 with -short): enough for every
// failpoint to fire several times on five platforms within the CI budget;
// `switchboard bench --chaos N` runs long campaigns.
func kills(t *testing.T) int {
	if *killsFlag > 0 {
		return *killsFlag
	}
	if s := os.Getenv("SWITCHBOARD_CHAOS_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("SWITCHBOARD_CHAOS_KILLS=%q: want a positive integer", s)
		}
		return n
	}
	if testing.Short() {
		return 20
	}
	return 40
}

// TestCrashRecovery kills the gateway again and again under load, half of
// the time with SIGKILL at a random moment and half of the time at a
// failpoint (between decide and commit, between commit and acknowledgement,
// between the platform accepting a reply and its outbox entry being
// deleted), restarts it on the same database, and checks the README's
// delivery guarantees: nothing acknowledged is lost, nothing is answered
// twice by the engine, and a reply reaches the platform twice only across a
// process death.
func TestCrashRecovery(t *testing.T) {
	n := kills(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(n)*3*time.Second+2*time.Minute)
	defer cancel()
	rep, err := Run(ctx, Options{Binary: binary, Dir: t.TempDir(), Kills: n, Slack: true, Web: true, WeChat: true, Discord: true, Logf: t.Logf})
	t.Logf("summary: %s\n%s", rep.Summary(), rep.PlatformSummary())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rep.Problems {
		t.Error(p)
	}
	if rep.Kills < n {
		t.Errorf("kills = %d, want %d", rep.Kills, n)
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
	if rep.OutboundDuplicates != rep.CrossRestart {
		t.Errorf("outbound duplicates = %d, of which %d across a restart; want all across a restart", rep.OutboundDuplicates, rep.CrossRestart)
	}
	// Enough lives for each failpoint to be reached: it must have fired.
	if n >= 60 {
		for _, p := range Failpoints {
			if rep.FailpointKills[p] == 0 {
				t.Errorf("failpoint %s never fired in %d kills", p, n)
			}
		}
	}
}
