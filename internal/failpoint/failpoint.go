// Package failpoint kills the process at named points of the pipeline, for
// crash tests. It is configured from one string, normally the environment
// variable SWITCHBOARD_FAILPOINTS, e.g.
//
//	SWITCHBOARD_FAILPOINTS="engine.after-commit=0.02,outbox.after-send=0.01"
//
// which, at each pass through a point, kills the process with SIGKILL with
// the given probability: no deferred function runs, no buffer is flushed, as
// in a power cut or an OOM kill. An empty string disables every point.
package failpoint

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// EnvVar is the environment variable serve reads the failpoints from.
const EnvVar = "SWITCHBOARD_FAILPOINTS"

// Set is a parsed set of failpoints. The zero Set never fires.
type Set struct {
	prob map[string]float64
	kill func()
}

// Parse parses "name=probability,…". Probabilities are in (0, 1].
func Parse(spec string) (*Set, error) {
	s := &Set{prob: map[string]float64{}, kill: killSelf}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, p, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("failpoint %q: want name=probability", part)
		}
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f <= 0 || f > 1 {
			return nil, fmt.Errorf("failpoint %q: probability must be in (0, 1]", part)
		}
		s.prob[strings.TrimSpace(name)] = f
	}
	return s, nil
}

// Enabled reports whether any point can fire.
func (s *Set) Enabled() bool { return s != nil && len(s.prob) > 0 }

// Hit is called at the point name; it may kill the process.
func (s *Set) Hit(name string) {
	if s == nil {
		return
	}
	if p, ok := s.prob[name]; ok && rand.Float64() < p {
		s.kill()
	}
}

func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // SIGKILL is not delivered synchronously; never return
}
