package telegram

import (
	"testing"
	"time"

	"github.com/switchboard-gw/switchboard/internal/pipelinetest"
)

// The shared pipeline harness (internal/pipelinetest) under short names.
type (
	harness     = pipelinetest.Harness
	stubHandler = pipelinetest.StubHandler
)

const openingHours = pipelinetest.OpeningHours

func newHarness(t *testing.T) *harness { t.Helper(); return pipelinetest.NewHarness(t) }

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	pipelinetest.WaitFor(t, timeout, what, cond)
}
