package telegram

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Backoff bounds of the polling loop.
const (
	pollBackoffMin = 200 * time.Millisecond
	pollBackoffMax = 30 * time.Second
)

// Run receives updates by long polling in polling mode; in webhook mode it
// returns nil at once. It processes the updates of each getUpdates answer
// in order, and asks for the next offset (update_id+1, which confirms the
// update to Telegram) only after Handle returned nil for it; when Handle
// fails it retries the same update with backoff. getUpdates failures are
// retried with backoff too (429 after its retry_after). Run returns nil when
// ctx is done, after one last short getUpdates that confirms the updates
// already handled, and an error when the token is rejected (401/404) or no
// Handler was given. A webhook must not be set (getUpdates then fails with
// 409; see DeleteWebhook). Run must not be called twice at once.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.Mode != ModePolling {
		return nil
	}
	if a.h == nil {
		return errors.New("telegram: run: no handler")
	}
	a.log.InfoContext(ctx, "telegram: long polling started", "timeout", a.cfg.PollTimeout)
	offset, failures := 0, 0
	for {
		if ctx.Err() != nil {
			a.confirm(ctx, offset)
			return nil
		}
		updates, err := a.getUpdates(ctx, offset, int(a.cfg.PollTimeout/time.Second), 100)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			var te *tgbotapi.Error
			if errors.As(err, &te) && (te.Code == 401 || te.Code == 404) {
				return fmt.Errorf("telegram: getUpdates: the bot token was rejected: %w", err)
			}
			failures++
			wait := backoff(failures)
			if errors.As(err, &te) && te.Code == 429 && te.RetryAfter > 0 {
				wait = time.Duration(te.RetryAfter) * time.Second
			}
			if errors.As(err, &te) && te.Code == 409 {
				a.log.ErrorContext(ctx, "telegram: getUpdates conflicts with a webhook or another poller; "+
					"delete the webhook or stop the other process", "err", err, "retry_in", wait)
			} else {
				a.log.WarnContext(ctx, "telegram: getUpdates failed", "err", err, "retry_in", wait)
			}
			sleep(ctx, wait)
			continue
		}
		failures = 0
		for _, u := range updates {
			if u.UpdateID < offset {
				continue // already handled; Telegram re-sent it
			}
			if !a.processWithRetry(ctx, normalize(u, a.me)) {
				break // ctx done: the update stays unconfirmed
			}
			offset = u.UpdateID + 1
		}
	}
}

// getUpdates makes one getUpdates call, bounded by the long-poll timeout plus
// a margin. The error never contains the token.
func (a *Adapter) getUpdates(ctx context.Context, offset, timeout, limit int) ([]tgbotapi.Update, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Second+a.cfg.HTTPTimeout)
	defer cancel()
	updates, err := a.api(cctx).GetUpdates(tgbotapi.UpdateConfig{
		Offset: offset, Limit: limit, Timeout: timeout, AllowedUpdates: allowedUpdates,
	})
	return updates, redact(err, a.cfg.Token)
}

// processWithRetry processes u until Handle succeeds; it reports false when
// ctx ended first.
func (a *Adapter) processWithRetry(ctx context.Context, u update) bool {
	for attempt := 1; ; attempt++ {
		err := a.process(ctx, u)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		wait := backoff(attempt)
		a.log.ErrorContext(ctx, "telegram: handling update failed, retrying", "update_id", u.ID,
			"attempt", attempt, "retry_in", wait, "err", err)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// confirm tells Telegram, on the way out, that the updates before offset
// are handled, so that a restart does not fetch them again (it would be
// harmless: the dedupe keys would absorb them).
func (a *Adapter) confirm(ctx context.Context, offset int) {
	if offset == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if _, err := a.getUpdates(cctx, offset, 0, 1); err != nil {
		a.log.DebugContext(ctx, "telegram: confirming handled updates on shutdown failed", "err", err)
	}
}

// backoff is the delay before retry number attempt: doubling from
// pollBackoffMin up to pollBackoffMax, with jitter in the upper half.
func backoff(attempt int) time.Duration {
	d := pollBackoffMin
	for i := 1; i < attempt && d < pollBackoffMax; i++ {
		d *= 2
	}
	d = min(d, pollBackoffMax)
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
