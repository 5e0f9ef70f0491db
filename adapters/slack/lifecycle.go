package slack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// ErrRevoked is returned by Send, and by Health, after Slack said that the
// app was uninstalled or its bot token revoked: nothing can be sent until
// the app is installed again and the gateway restarted with the new token.
var ErrRevoked = errors.New("slack: the app was uninstalled or its bot token revoked")

// lifecycle is what Slack said about the app's installation.
type lifecycle struct {
	revoked     atomic.Pointer[string] // the event that revoked us, nil while installed
	rateLimited atomic.Int64           // minute_rate_limited of the last app_rate_limited, 0 if none
}

// revoke handles app_uninstalled and tokens_revoked: when the event
// concerns this bot, Send stops (permanent errors, so the outbox
// dead-letters instead of retrying forever) and Health reports it; an
// ERROR is logged once.
func (a *Adapter) revoke(ctx context.Context, req request) {
	if len(req.revokedBots) > 0 && a.self.userID != "" && !slices.Contains(req.revokedBots, a.self.userID) {
		a.log.InfoContext(ctx, "slack: another bot's token was revoked", "event_id", req.eventID)
		return
	}
	why := req.eventType
	if a.life.revoked.Swap(&why) == nil {
		a.log.ErrorContext(ctx, "slack: Slack says this app can no longer post; sending to Slack stopped. Reinstall the app, put the new bot token in the configuration and restart",
			"event", why, "event_id", req.eventID)
	}
}

// noteRateLimited handles app_rate_limited: Slack drops this app's events
// for the rest of that minute (more than 30,000 in an hour). They are lost;
// the warning says when.
func (a *Adapter) noteRateLimited(ctx context.Context, req request) {
	a.life.rateLimited.Store(req.rateLimitedMinute)
	a.log.WarnContext(ctx, "slack: Slack is dropping this app's events (app_rate_limited): customer messages of that minute are lost",
		"minute", time.Unix(req.rateLimitedMinute, 0).UTC().Format(time.RFC3339))
}

// Health reports whether the adapter can work: ErrRevoked (wrapped, naming
// the event) after app_uninstalled or tokens_revoked, nil otherwise.
// /readyz reports it.
func (a *Adapter) Health() error {
	if why := a.life.revoked.Load(); why != nil {
		return fmt.Errorf("%w (%s)", ErrRevoked, *why)
	}
	return nil
}

// sendRevoked is Send's answer while revoked: a permanent error.
func (a *Adapter) sendRevoked(r core.Reply) error {
	if err := a.Health(); err != nil {
		return &core.SendError{Platform: Platform, Permanent: true, Err: fmt.Errorf("reply %s: %w", r.ID, err)}
	}
	return nil
}
