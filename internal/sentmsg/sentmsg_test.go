package sentmsg

import (
	"fmt"
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/fakeclock"
)

func TestRegistry(t *testing.T) {
	clk := fakeclock.New(fakeclock.Bases()[0])
	r := New(3, time.Hour, clk.Now)
	for i := range 5 {
		r.Put(fmt.Sprintf("r%d", i), fmt.Sprintf("m%d", i))
	}
	for i := range 5 {
		ref, ok := r.Get(fmt.Sprintf("r%d", i))
		if want := i >= 2; ok != want || (ok && ref != fmt.Sprintf("m%d", i)) {
			t.Errorf("Get(r%d) = %q, %v; want kept=%v", i, ref, ok, want)
		}
	}
	r.Put("r4", "m4b") // an update does not grow it
	if ref, _ := r.Get("r4"); ref != "m4b" {
		t.Errorf("updated ref = %q", ref)
	}
	clk.Add(61 * time.Minute)
	if _, ok := r.Get("r4"); ok {
		t.Error("entry older than the retention returned")
	}
}
