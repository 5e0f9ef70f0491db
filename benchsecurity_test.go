package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/switchboard-gw/switchboard/internal/bench"
)

// TestBenchSecurity runs `switchboard bench --security`: every attack of
// issue 14's list is tried against a gateway with the default limits and
// each is refused.
func TestBenchSecurity(t *testing.T) {
	cmd := newBenchCmd()
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"--security", "--json", "--dir", t.TempDir()})
	err := cmd.Execute()
	var rep bench.AttackReport
	if jerr := json.Unmarshal(out.Bytes(), &rep); jerr != nil {
		t.Fatalf("output %q (%v), stderr %q, err %v", out.String(), jerr, errOut.String(), err)
	}
	if err != nil {
		t.Errorf("bench --security failed: %v\n%s", err, errOut.String())
	}
	want := []string{"WeChat push signed 10 minutes ago", "replayed WeChat signature", "300 SSE streams from one client",
		"1,000 messages from one token", "redirecting action URL", "100 wrong admin tokens", "3,000 sessions from one client"}
	if len(rep.Attacks) != len(want) {
		t.Fatalf("attacks %+v", rep.Attacks)
	}
	for i, a := range rep.Attacks {
		if a.Name != want[i] || !a.Refused {
			t.Errorf("%s: refused %v (%s)", a.Name, a.Refused, a.Detail)
		}
	}
}
