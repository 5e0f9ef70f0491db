package slack

import (
	"context"
	"fmt"

	"github.com/slack-go/slack/socketmode"
)

// Run receives events over Socket Mode until ctx is cancelled, then
// returns nil. In events mode it returns nil at once: Slack POSTs to the
// routes of Register instead. slack-go's client reconnects by itself when
// Slack asks it to; Run returns an error when it cannot (e.g. a revoked
// app-level token). Envelopes are handled one at a time, in arrival order,
// by the same code as the webhooks, and each is acknowledged only after the
// engine returned; an envelope that failed is not acknowledged, so Slack
// delivers it again.
func (a *Adapter) Run(ctx context.Context) error {
	if a.cfg.Mode != ModeSocket {
		return nil
	}
	client := socketmode.New(a.api, socketmode.OptionLog(logOutput{a.log}))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-runErr
			return nil
		case err := <-runErr:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack: socket mode: %w", err)
		case evt := <-client.Events:
			a.handleSocketEvent(ctx, evt, func(req socketmode.Request) error { return client.Ack(req) })
		}
	}
}

// handleSocketEvent handles one Socket Mode event: events_api,
// interactive and slash_commands envelopes go through the webhook code and are acknowledged
// with ack when it succeeded (or when the payload can never succeed);
// connection events are logged.
func (a *Adapter) handleSocketEvent(ctx context.Context, evt socketmode.Event, ack func(socketmode.Request) error) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.log.DebugContext(ctx, "slack: socket mode connecting")
		return
	case socketmode.EventTypeConnected:
		a.log.InfoContext(ctx, "slack: socket mode connected")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeIncomingError, socketmode.EventTypeErrorBadMessage, socketmode.EventTypeErrorWriteFailed:
		a.log.WarnContext(ctx, "slack: socket mode trouble", "type", string(evt.Type))
		return
	case socketmode.EventTypeInvalidAuth:
		a.log.ErrorContext(ctx, "slack: socket mode refused the app-level token (invalid_auth)")
		return
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeInteractive, socketmode.EventTypeSlashCommand:
	default:
		a.log.DebugContext(ctx, "slack: socket mode event ignored", "type", string(evt.Type))
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			a.ack(ctx, evt, ack)
		}
		return
	}
	if evt.Request == nil {
		return
	}
	var err error
	if evt.Type == socketmode.EventTypeSlashCommand {
		err = a.handleSocketCommand(ctx, evt.Request.Payload)
	} else if evt.Type == socketmode.EventTypeEventsAPI {
		var req request
		req, err = parseRequest(evt.Request.Payload)
		if err != nil {
			a.log.WarnContext(ctx, "slack: bad events payload over socket mode", "err", err)
			a.ack(ctx, evt, ack) // it will not parse next time either
			return
		}
		err = a.handleRequest(ctx, req)
	} else {
		var clicks []click
		clicks, err = parseInteraction(evt.Request.Payload)
		if err != nil {
			a.log.WarnContext(ctx, "slack: bad interaction payload over socket mode", "err", err)
			a.ack(ctx, evt, ack)
			return
		}
		for _, c := range clicks {
			if err = a.handleClick(ctx, c); err != nil {
				break
			}
		}
	}
	if err != nil {
		a.log.ErrorContext(ctx, "slack: envelope not handled, not acknowledged; Slack will redeliver it",
			"envelope", evt.Request.EnvelopeID, "retry", evt.Request.RetryAttempt, "err", err)
		return
	}
	a.ack(ctx, evt, ack)
}

func (a *Adapter) ack(ctx context.Context, evt socketmode.Event, ack func(socketmode.Request) error) {
	if err := ack(*evt.Request); err != nil {
		a.log.WarnContext(ctx, "slack: socket mode ack failed", "envelope", evt.Request.EnvelopeID, "err", err)
	}
}
