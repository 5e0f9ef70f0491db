package failpoint

import "testing"

func TestParseAndHit(t *testing.T) {
	s, err := Parse("engine.after-commit=1, outbox.after-send=0.5")
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	s.kill = func() { killed++ }
	s.Hit("engine.after-commit")
	s.Hit("engine.before-commit") // not configured
	if killed != 1 || !s.Enabled() {
		t.Fatalf("killed = %d", killed)
	}
	for _, bad := range []string{"x", "x=0", "x=2", "x=abc"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	empty, err := Parse("")
	if err != nil || empty.Enabled() {
		t.Fatalf("empty spec: %v %v", empty, err)
	}
	var nilSet *Set
	nilSet.Hit("anything") // must not panic
}
