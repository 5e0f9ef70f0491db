package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// redacted replaces the bot token wherever it would appear.
const redacted = "<redacted>"

// callClient is the tgbotapi.HTTPClient of one API call. The SDK (v5.5.1)
// takes no context, so every call runs on a shallow copy of the BotAPI whose
// Client carries the call's ctx. It also redacts the token from transport
// errors: net/http quotes the request URL, and Telegram puts the token in
// the URL path (/bot<token>/<method>).
type callClient struct {
	ctx   context.Context
	http  *http.Client
	token string
}

// Do implements tgbotapi.HTTPClient.
func (c callClient) Do(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req.WithContext(c.ctx))
	if err != nil {
		return nil, redact(err, c.token)
	}
	return resp, nil
}

// api returns a BotAPI for one call bounded by ctx.
func (a *Adapter) api(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.bot
	b.Client = callClient{ctx: ctx, http: a.http, token: a.cfg.Token}
	return &b
}

// redact returns err with every occurrence of token replaced. A *url.Error
// keeps its type and its cause (so errors.Is(err, context.Canceled) and
// net.Error checks still work) with the URL redacted; any other error whose
// text contains the token is replaced by a plain error with the redacted
// text. It returns err unchanged when the token does not appear.
func redact(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) && error(ue) == err && !strings.Contains(ue.Err.Error(), token) {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, token, redacted), Err: ue.Err}
	}
	if msg := err.Error(); strings.Contains(msg, token) {
		return &redactedError{msg: strings.ReplaceAll(msg, token, redacted)}
	}
	return err
}

// redactedError stands in for an error whose text contained the token. It
// deliberately does not unwrap to the original.
type redactedError struct{ msg string }

func (e *redactedError) Error() string { return e.msg }

// SetWebhook registers url as the bot's webhook with setWebhook, with the
// configured secret token (which Telegram then sends in the
// X-Telegram-Bot-Api-Secret-Token header) and allowed_updates limited to
// what the adapter handles. url must be HTTPS on port 443, 80, 88 or 8443
// for the real Bot API. Updates queued while no webhook was set are kept.
// It returns an error when no secret token is configured or Telegram refuses
// (the error is a *tgbotapi.Error then); the token never appears in it.
//
// v5.5.1 of the SDK has no field for secret_token, so the call is made with
// BotAPI.MakeRequest.
func (a *Adapter) SetWebhook(ctx context.Context, webhookURL string) error {
	if a.cfg.SecretToken == "" {
		return errors.New("telegram: set webhook: telegram.secret_token is required")
	}
	u, err := url.Parse(webhookURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("telegram: set webhook: %q is not an absolute https URL", webhookURL)
	}
	params := tgbotapi.Params{"url": u.String(), "secret_token": a.cfg.SecretToken}
	if err := params.AddInterface("allowed_updates", allowedUpdates); err != nil {
		return fmt.Errorf("telegram: set webhook: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	if _, err := a.api(ctx).MakeRequest("setWebhook", params); err != nil {
		return fmt.Errorf("telegram: set webhook: %w", redact(err, a.cfg.Token))
	}
	a.log.InfoContext(ctx, "telegram: webhook set", "url", u.Redacted())
	return nil
}

// DeleteWebhook removes the bot's webhook, which polling mode requires
// (getUpdates fails with 409 Conflict while a webhook is set). Pending
// updates are kept.
func (a *Adapter) DeleteWebhook(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	if _, err := a.api(ctx).Request(tgbotapi.DeleteWebhookConfig{}); err != nil {
		return fmt.Errorf("telegram: delete webhook: %w", redact(err, a.cfg.Token))
	}
	return nil
}
