// Package telegram connects a Telegram bot to Switchboard through the
// official Go client library (go-telegram-bot-api v5).
//
// Inbound, in one of two modes (Config.Mode):
//
//   - webhook (default): Telegram POSTs each Update to /webhooks/telegram.
//     The handler checks X-Telegram-Bot-Api-Secret-Token in constant time
//     (401 otherwise), parses the Update (400 and a log line if the body is
//     not one), hands the normalized message to the Handler and answers 200
//     only after Handle returned nil, 500 otherwise so that Telegram
//     delivers the update again. A duplicate is answered 200.
//   - polling: Run long-polls getUpdates. The next offset (which confirms
//     the updates before it to Telegram) moves past an update only after
//     Handle returned nil for it; a failed Handle is retried with backoff,
//     and a crash re-reads the unconfirmed updates, which the dedupe keys
//     absorb.
//
// Messages (text, captions; photos, voice notes, documents and other media
// become a Note such as "[photo]") and callback queries (inline button
// presses, answered with answerCallbackQuery) are handled in private chats
// and groups. In a group only messages addressed to the bot are answered: a
// mention of @bot, a reply to the bot, or a command; with privacy mode on
// (BotFather's default) Telegram sends nothing else anyway. Edits, channel
// posts, messages of other bots and anonymous admins are skipped. A button
// under a channel post or an inline message only stops the spinner: the
// bot does not speak in channels.
//
// Commands ("/start", "/start ref42", "/start@bot" in a group, "/help",
// "/order_status") are marked as such (core.Message.Command) and answered as
// commands, not classified as text; the customer's client language
// (language_code) is the language hint of a command.
//
// Conversation key: {Platform: "telegram", Chat: chat id, User: sender id}.
// Dedupe keys: "telegram:update:<update_id>" and
// "telegram:msg:<chat.id>:<message_id>" ("telegram:cbq:<id>" for a button);
// a redelivered button press is not answered again, not even with
// answerCallbackQuery.
//
// Outbound, Send calls sendMessage without a parse mode (relayed customer
// and agent text is shown literally), splits text longer than 4,096 UTF-16
// code units, attaches quick replies as an inline keyboard, and in groups
// replies to the customer's message.
//
// The token is part of every Bot API URL; the adapter redacts it from every
// error and log line.
package telegram

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/sentmsg"
	"github.com/switchboard-gw/switchboard/internal/textsplit"
)

// Platform is the adapter's platform name, used in conversation keys.
const Platform = "telegram"

// SecretHeader is the header in which Telegram echoes the webhook's secret token.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// WebhookPath is the route of the webhook.
const WebhookPath = "/webhooks/telegram"

// allowedUpdates are the update kinds the adapter asks Telegram for.
var allowedUpdates = []string{"message", "callback_query"}

// Handler handles one inbound message durably; *core.Engine implements it.
// Handle must return only after the message, its dedupe keys and its
// replies are committed.
type Handler interface {
	Handle(ctx context.Context, m core.Message) (core.Result, error)
}

// Adapter is the Telegram bot: the webhook handler, the long-polling loop
// and the core.Sender of the "telegram" platform. It is safe for concurrent
// use.
type Adapter struct {
	cfg      Config
	h        Handler
	log      *slog.Logger
	bot      *tgbotapi.BotAPI // template; calls go through api(ctx)
	http     *http.Client
	me       identity
	secret   [sha256.Size]byte // hash of the secret token, for a constant-time compare
	progress *textsplit.Progress
	sent     *sentmsg.Registry // agent replies → "chat/message_id", to edit corrections in place
	now      func() time.Time
}

// New checks the token with getMe (the bot's own user id and username are
// needed to recognise mentions and replies in groups) and returns an
// Adapter. cfg is validated first. h may be nil when the adapter is only
// used to send or to set the webhook; the webhook then answers 503 and Run
// fails. A nil logger discards logs. New returns an error when cfg is
// invalid or getMe fails; the token never appears in it.
func New(ctx context.Context, cfg Config, h Handler, logger *slog.Logger) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		cfg:      cfg,
		h:        h,
		log:      logger.With("platform", Platform),
		http:     &http.Client{},
		secret:   sha256.Sum256([]byte(cfg.SecretToken)),
		progress: textsplit.NewProgress(),
		sent:     sentmsg.New(10000, editableFor, time.Now),
		now:      time.Now,
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.HTTPTimeout)
	defer cancel()
	bot, err := tgbotapi.NewBotAPIWithClient(cfg.Token, cfg.endpoint(),
		callClient{ctx: cctx, http: a.http, token: cfg.Token})
	if err != nil {
		return nil, fmt.Errorf("telegram: getMe (checking the bot token): %w", redact(err, cfg.Token))
	}
	a.bot = bot
	a.me = identity{ID: bot.Self.ID, UserName: bot.Self.UserName}
	a.log.InfoContext(ctx, "telegram: bot ready", "bot_id", a.me.ID, "username", a.me.UserName, "mode", cfg.Mode)
	return a, nil
}

// Platform returns "telegram".
func (a *Adapter) Platform() string { return Platform }

// BotID returns the bot's own user id, from getMe.
func (a *Adapter) BotID() int64 { return a.me.ID }

// BotUserName returns the bot's username without '@', from getMe.
func (a *Adapter) BotUserName() string { return a.me.UserName }

// Register adds POST /webhooks/telegram to mux in webhook mode (other
// methods get 405); in polling mode it adds nothing.
func (a *Adapter) Register(mux *http.ServeMux) {
	if a.cfg.Mode != ModeWebhook {
		return
	}
	mux.HandleFunc("POST "+WebhookPath, a.serveWebhook)
	mux.HandleFunc(WebhookPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
	})
}

// ServeHTTP serves the webhook; Register routes POST /webhooks/telegram here.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.serveWebhook(w, r) }

func (a *Adapter) serveWebhook(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !a.checkSecret(r.Header.Get(SecretHeader)) {
		a.log.WarnContext(ctx, "telegram: webhook request refused: wrong or missing secret token",
			"remote", r.RemoteAddr)
		http.Error(w, "wrong secret token", http.StatusUnauthorized)
		return
	}
	if a.h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		a.log.WarnContext(ctx, "telegram: could not read webhook body", "err", err)
		http.Error(w, "could not read body", http.StatusBadRequest)
		return
	}
	u, err := parse(body, a.me)
	if err != nil {
		a.log.WarnContext(ctx, "telegram: webhook body is not an update", "err", err, "bytes", len(body))
		http.Error(w, "body is not a Telegram update", http.StatusBadRequest)
		return
	}
	if err := a.process(ctx, u); err != nil {
		a.log.ErrorContext(ctx, "telegram: handling update failed; Telegram will deliver it again",
			"update_id", u.ID, "err", err)
		status := http.StatusInternalServerError
		if errors.Is(err, core.ErrClosed) {
			status = http.StatusServiceUnavailable
		}
		http.Error(w, "could not handle the update", status)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// checkSecret compares the header with the configured secret token in
// constant time (both are hashed first, so their lengths leak nothing).
func (a *Adapter) checkSecret(got string) bool {
	if a.cfg.SecretToken == "" {
		return false
	}
	h := sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(h[:], a.secret[:]) == 1
}

// process hands the update's message to the Handler and answers its
// callback query. It returns an error only when Handle failed, in which
// case the update must be delivered again.
func (a *Adapter) process(ctx context.Context, u update) error {
	duplicate := false
	if u.Message != nil {
		res, err := a.h.Handle(ctx, *u.Message)
		if err != nil {
			return fmt.Errorf("telegram: handle update %d: %w", u.ID, err)
		}
		duplicate = res.Duplicate
		a.log.DebugContext(ctx, "telegram: update handled", "update_id", u.ID, "message", u.Message.ID,
			"duplicate", res.Duplicate, "replies", len(res.Replies))
	} else {
		a.log.DebugContext(ctx, "telegram: update skipped", "update_id", u.ID, "reason", u.Skip)
	}
	// A redelivered button press was answered the first time: the dedupe
	// keys cover the callback query as they cover the message.
	if u.CallbackQueryID != "" && !duplicate {
		a.answerCallback(ctx, u.CallbackQueryID)
	}
	return nil
}

// answerCallback stops the button's spinner in the customer's client. A
// failure is logged, not returned: the message is already handled, and the
// spinner stops by itself.
func (a *Adapter) answerCallback(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.HTTPTimeout)
	defer cancel()
	if _, err := a.api(ctx).Request(tgbotapi.NewCallback(id, "")); err != nil {
		a.log.WarnContext(ctx, "telegram: answerCallbackQuery failed", "err", redact(err, a.cfg.Token))
	}
}
