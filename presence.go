package main

import (
	"context"
	"sync/atomic"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/config"
)

// presenceHolder lets the engine, built before the adapters, ask the
// Slack adapter for agents' presence once it exists.
type presenceHolder struct {
	f atomic.Pointer[func(context.Context, string) (bool, error)]
}

func (p *presenceHolder) set(f func(context.Context, string) (bool, error)) {
	if f != nil {
		p.f.Store(&f)
	}
}

// present is core.HandoffOptions.Present: everyone is present until the
// Slack adapter is wired.
func (p *presenceHolder) present(ctx context.Context, userID string) (bool, error) {
	if f := p.f.Load(); f != nil {
		return (*f)(ctx, userID)
	}
	return true, nil
}

// withPresence gives the handoff rules the Slack presence of agents (for
// teams with follow_presence).
func (rt *runtime) withPresence(h core.HandoffOptions) core.HandoffOptions {
	h.Present = rt.presence.present
	return h
}

// teamChannels are the Slack channels of handoff.teams.
func teamChannels(cfg *config.Config) []string {
	var out []string
	for _, t := range cfg.Handoff.Teams {
		out = append(out, t.Channel)
	}
	return out
}
