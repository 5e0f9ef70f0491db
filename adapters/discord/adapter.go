// Package discord connects a Discord application to Switchboard through
// the official Go client library (bwmarrin/discordgo).
//
// Inbound comes two ways:
//
//   - Gateway (Run): a discordgo Session with the intents GUILD_MESSAGES,
//     DIRECT_MESSAGES and MESSAGE_CONTENT (privileged: enable it in the
//     Developer Portal). discordgo heartbeats, reconnects and resumes; after
//     a resume Discord replays missed MESSAGE_CREATE events, which the
//     dedupe key "discord:msg:<id>" absorbs. Direct messages, guild messages
//     that mention the bot, and every message in Config.Channels are
//     answered; the bot's own messages, other bots' and webhooks' are not.
//   - Interactions endpoint (POST /webhooks/discord): requests are verified
//     with Ed25519 over timestamp+body against the application's public key
//     and refused (401) when the signature is wrong or the timestamp is
//     outside Config.TimestampWindow. PING is answered with PONG; the /ask
//     slash command (option "question") and presses of quick-reply buttons
//     are handled durably and answered at once with a deferred response
//     (type 5, "thinking…"), well within Discord's 3 s; the answer follows
//     through the outbox as a follow-up message. Dedupe key:
//     "discord:interaction:<id>". Other slash commands (/start, /help, an
//     intent's name) are bot commands (core.Message.Command); modal submits
//     are the text of their inputs; the message context-menu command "Ask
//     the bot" asks the message's text; a user context-menu command gets
//     /help. Autocomplete of /ask's question (type 4) is answered at once
//     with type 8 and up to 25 of the bot's questions (WithSuggester).
//     DM interactions without channel_id (older shapes) are keyed by "@"
//     and the user id; Send opens the DM channel when the token is too old.
//
// Follow-ups need the interaction token, so the Message's (and therefore
// the Reply's) ReplyTo is "interaction:<token>". The token is valid for 15
// minutes: Send posts later replies (an outbox backlog, an agent's answer
// after a handoff) as ordinary channel messages instead.
//
// Conversation key: {Platform: "discord", Chat: channel id, User: author id}.
//
// Outbound, Send posts to /channels/{id}/messages with a nonce derived from
// the Reply's ID and enforce_nonce, so Discord itself drops a resend after
// a crash; text over 2,000 characters is split; quick replies become
// buttons; in guild channels the answer replies to the customer's message.
// Mentions in the text never ping anyone (allowed_mentions is empty).
//
// The bot token travels only in the Authorization header; interaction
// tokens are part of follow-up URLs and are redacted from errors and logs.
package discord

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/switchboard-gw/switchboard/core"
	"github.com/switchboard-gw/switchboard/internal/sentmsg"
	"github.com/switchboard-gw/switchboard/internal/textsplit"
)

// Platform is the adapter's platform name, used in conversation keys.
const Platform = "discord"

// InteractionsPath is the route of the interactions endpoint.
const InteractionsPath = "/webhooks/discord"

// Handler handles one inbound message durably; *core.Engine implements it.
// Handle must return only after the message, its dedupe keys and its
// replies are committed.
type Handler interface {
	Handle(ctx context.Context, m core.Message) (core.Result, error)
}

// Adapter is the Discord application: gateway client, interactions
// endpoint and core.Sender of the "discord" platform. It is safe for
// concurrent use.
type Adapter struct {
	cfg      Config
	h        Handler
	log      *slog.Logger
	session  *discordgo.Session
	pub      ed25519.PublicKey
	botID    string
	channels map[string]bool
	progress *textsplit.Progress
	sent     *sentmsg.Registry // agent replies → "channel/message", to edit corrections in place
	now      func() time.Time
	suggest  Suggester // nil: autocomplete offers no choices
}

// Option changes an Adapter made by New.
type Option func(*Adapter)

// WithSuggester makes autocomplete of /ask's question offer s's
// suggestions (the bot's example questions nearest to what was typed).
func WithSuggester(s Suggester) Option { return func(a *Adapter) { a.suggest = s } }

// New returns an Adapter after checking the token with GET /users/@me (the
// bot's user id is needed to recognise mentions and its own messages). cfg
// is validated first. h may be nil when the adapter is only used to send or
// to register commands; the endpoint then answers 503 and Run fails. A nil
// logger discards logs. The token never appears in the returned error.
func New(ctx context.Context, cfg Config, h Handler, logger *slog.Logger, opts ...Option) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pub, _ := cfg.publicKey() // validated
	s, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	// The outbox decides about retries: a 429 comes back as
	// *discordgo.RateLimitError instead of a sleep inside the call, and a
	// 502 is not retried in place.
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	s.Client = &http.Client{Transport: newTransport(cfg.APIURL)}
	s.Identify.Intents = discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages | discordgo.IntentMessageContent
	s.StateEnabled = false // nothing here reads the state cache
	s.SyncEvents = true    // handlers run in gateway order; ours only enqueues
	s.ShouldReconnectOnError = true
	s.LogLevel = discordgo.LogError // LogDebug would print the Identify payload, token included

	a := &Adapter{
		cfg: cfg, h: h, log: logger.With("platform", Platform), session: s, pub: pub,
		channels: make(map[string]bool), progress: textsplit.NewProgress(), now: time.Now,
		sent: sentmsg.New(10000, 48*time.Hour, time.Now),
	}
	for _, c := range cfg.Channels {
		a.channels[c] = true
	}
	for _, o := range opts {
		o(a)
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.HTTPTimeout)
	defer cancel()
	me, err := s.User("@me", discordgo.WithContext(cctx))
	if err != nil {
		return nil, fmt.Errorf("discord: GET /users/@me (checking the bot token): %w", apiError(err, ""))
	}
	a.botID = me.ID
	a.log.InfoContext(ctx, "discord: bot ready", "bot_id", me.ID, "username", me.Username)
	return a, nil
}

// Platform returns "discord".
func (a *Adapter) Platform() string { return Platform }

// BotID returns the bot's own user id.
func (a *Adapter) BotID() string { return a.botID }

// Register adds POST /webhooks/discord (the interactions endpoint) to mux;
// other methods get 405.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+InteractionsPath, a.serveInteraction)
	mux.HandleFunc(InteractionsPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "use POST", http.StatusMethodNotAllowed)
	})
}

// ServeHTTP serves the interactions endpoint.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.serveInteraction(w, r) }

// transport sends discordgo's requests for https://discord.com to the
// configured API URL instead. discordgo computes its endpoint URLs from
// package variables at init, so rewriting requests is the way to point one
// Session (and not the whole process) elsewhere.
type transport struct {
	base *url.URL // nil: the real Discord
	next http.RoundTripper
}

func newTransport(apiURL string) http.RoundTripper {
	t := &transport{next: http.DefaultTransport}
	if apiURL != "" {
		t.base, _ = url.Parse(strings.TrimRight(apiURL, "/")) // validated
	}
	return t
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.base == nil || req.URL.Host != "discord.com" {
		return t.next.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.base.Scheme, t.base.Host, ""
	r.URL.Path = t.base.Path + req.URL.Path
	r.URL.RawPath = ""
	return t.next.RoundTrip(r)
}

// apiError turns a discordgo error into one that is safe to log: the status,
// Discord's JSON error code and message, and never the request (whose
// headers hold the bot token) or a URL with secret (an interaction token,
// passed as secret, is redacted).
func apiError(err error, secret string) error {
	var rl *discordgo.RateLimitError
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &rl):
		return &restError{Status: http.StatusTooManyRequests, Message: "rate limited", RetryAfter: rl.RetryAfter}
	case errors.As(err, &re):
		e := &restError{Message: strings.TrimSpace(string(re.ResponseBody))}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		if re.Message != nil {
			e.Code, e.Message = re.Message.Code, re.Message.Message
		}
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
		e.Message = redact(e.Message, secret)
		return e
	}
	return redactErr(err, secret)
}

// restError is a failed Discord API call.
type restError struct {
	Status     int    // HTTP status
	Code       int    // Discord's JSON error code, e.g. 10003 Unknown Channel
	Message    string // Discord's message
	RetryAfter time.Duration
}

func (e *restError) Error() string {
	s := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != 0 {
		s += fmt.Sprintf(" code %d", e.Code)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	return s
}

const redacted = "<redacted>"

func redact(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, redacted)
}

// redactErr hides secret in err's text. A *url.Error keeps its type and
// cause with the URL redacted; another error whose text contains secret is
// replaced by a plain error that does not unwrap to it.
func redactErr(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) && error(ue) == err && !strings.Contains(ue.Err.Error(), secret) {
		return &url.Error{Op: ue.Op, URL: redact(ue.URL, secret), Err: ue.Err}
	}
	return errors.New(redact(err.Error(), secret))
}
