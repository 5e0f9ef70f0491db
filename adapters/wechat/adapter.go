// Package wechat is the WeChat Official Account (公众号) adapter: the
// webhook WeChat pushes messages to (服务器配置 URL) and the core.Sender that
// answers them.
//
// Routes (see Register):
//
//	GET  /webhooks/wechat   URL check: echoes echostr when signature is valid, else 401
//	POST /webhooks/wechat   message and event pushes, in 明文, 兼容 and 安全 mode
//
// A push is verified (signature; with encrypt_type=aes also msg_signature,
// then decrypted with the EncodingAESKey and its receiveid checked against
// the AppID), normalized into a core.Message (see normalize) and handled by
// the Engine, which commits the message and its replies before it returns.
// Every signed request must also be fresh: its timestamp within
// Config.MaxClockSkew of the clock and its (timestamp, nonce, signature) not
// used before for another body (see replayGuard). Bad signatures, stale
// timestamps and replayed signatures answer 401, malformed bodies 400, bodies over MaxBodyBytes
// 400, an engine failure 500 (WeChat then retries).
//
// Events (see normalizeEvent): subscribe and SCAN greet the follower with
// the bot's welcome (the /start command), a menu CLICK whose EventKey names
// a bot command (WithCommands) answers it, and every other event and the
// device messages of WeChat hardware are acknowledged with "success" only.
//
// WeChat waits 5 seconds for the response and retries a push three times.
// When the first reply is sent by the outbox within Config.ReplyBudget of the
// push's arrival, it goes out in the HTTP response as a passive reply
// (encrypted in 兼容 and 安全 mode), together with the push's following
// replies while they fit in one message of MaxTextBytes; otherwise the handler
// answers "success" (an empty body when encrypted) and the reply goes by the
// customer-service API. passive.go describes how exactly one of the two
// delivers each reply. The push is acknowledged only after Handle committed
// it, even when that takes longer than the budget: a push is never lost, and
// WeChat's retry, held by the conversation's lock until the commit, then
// finds it a duplicate and is answered "success".
//
// The silenceper/wechat/v2 SDK provides the crypto, the message types and
// the customer-service message type; see apiClient for why the two HTTP calls
// are written here. The SDK logs through the logrus standard logger (its root
// package's init sets it to debug on stdout, and its server logs request
// XML); New silences that logger so that no customer message is logged.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/switchboard-gw/switchboard/core"
)

// Platform is the adapter's platform name, used in conversation keys.
const Platform = "wechat"

// WebhookPath is the path of the webhook to enter as 服务器地址(URL).
const WebhookPath = "/webhooks/wechat"

// Handler handles one inbound message durably; *core.Engine implements it.
// Handle must return only after the message, its dedupe keys and its replies
// are committed.
type Handler interface {
	Handle(ctx context.Context, m core.Message) (core.Result, error)
}

// Option changes how New builds the Adapter.
type Option func(*Adapter)

// WithClock makes the adapter read the time from now instead of time.Now:
// the clock-skew window of pushes is decided with it. Tests use it.
func WithClock(now func() time.Time) Option {
	return func(a *Adapter) { a.now = now }
}

// WithHTTPClient makes the adapter call the WeChat API through c. The
// default client has a 10 s timeout and does not follow redirects.
func WithHTTPClient(c *http.Client) Option {
	return func(a *Adapter) { a.api.client = c }
}

// WithCommands makes a menu button press (CLICK event) whose EventKey is a
// bot command, as isCommand reports (an intent's name or an FAQ id, e.g.
// "order_status"), answered as that command; other keys are only
// acknowledged. isCommand must be safe for concurrent use.
func WithCommands(isCommand func(key string) bool) Option {
	return func(a *Adapter) { a.isCommand = isCommand }
}

// Adapter serves the WeChat webhook and is the core.Sender of the "wechat"
// platform. It is safe for concurrent use.
type Adapter struct {
	cfg     Config
	h       Handler
	store   core.Store
	log     *slog.Logger
	crypto  msgCrypto
	api     *apiClient
	tokens  *tokenSource
	passive *passiveHub
	// isCommand reports whether a menu CLICK's EventKey names a bot
	// command; nil: none does (WithCommands).
	isCommand func(string) bool
	replay    *replayGuard
	now       func() time.Time
}

// New returns an Adapter for one official account. It returns an error when
// cfg is invalid. A nil logger discards logs. st caches the access token
// (TokenNamespace) and a few small records. New also silences the logrus
// standard logger, which the SDK logs through (see the package doc).
func New(cfg Config, h Handler, st core.Store, logger *slog.Logger, opts ...Option) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil || st == nil {
		return nil, errors.New("wechat: New needs a Handler and a Store")
	}
	cfg = cfg.withDefaults()
	silenceSDKLogs()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c, err := newMsgCrypto(cfg.Token, cfg.EncodingAESKey, cfg.AppID)
	if err != nil {
		return nil, err
	}
	a := &Adapter{
		cfg:     cfg,
		h:       h,
		store:   st,
		log:     logger.With("platform", Platform),
		crypto:  c,
		passive: newPassiveHub(),
		replay:  newReplayGuard(cfg.MaxClockSkew, maxReplayEntries),
		now:     time.Now,
		api: &apiClient{
			base:   cfg.APIURL,
			appID:  cfg.AppID,
			secret: cfg.AppSecret,
			client: &http.Client{
				Timeout:       10 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
		},
	}
	for _, o := range opts {
		o(a)
	}
	a.tokens = newTokenSource(a.api, st, cfg.AppID, a.log)
	return a, nil
}

// silenceSDKLogs sends the logrus standard logger, which only the SDK uses,
// to io.Discard at panic level. The SDK's root package sets it to debug on
// stdout in init, and its server logs whole request XML at debug.
func silenceSDKLogs() {
	logrus.SetOutput(io.Discard)
	logrus.SetLevel(logrus.PanicLevel)
}

// Platform returns "wechat".
func (a *Adapter) Platform() string { return Platform }

// Register adds GET and POST WebhookPath to mux; other methods get 405.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+WebhookPath, a.serveVerify)
	mux.HandleFunc("POST "+WebhookPath, a.servePush)
	mux.HandleFunc(WebhookPath, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	})
}

// serveVerify answers 服务器配置's URL check: echostr when signature matches.
// It is plaintext in every mode.
func (a *Adapter) serveVerify(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if !a.crypto.verify(q.Get("signature"), q.Get("timestamp"), q.Get("nonce")) {
		a.log.WarnContext(r.Context(), "wechat: URL check with a wrong signature; is 令牌(Token) the same as wechat.token?")
		http.Error(w, "signature does not match", http.StatusUnauthorized)
		return
	}
	echo := q.Get("echostr")
	if echo == "" {
		http.Error(w, "echostr is missing", http.StatusBadRequest)
		return
	}
	if !a.admit(w, r, q, append([]byte("GET\x00"), echo...)) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = io.WriteString(w, echo)
}

// servePush handles one POST: verify, normalize, Handle, then reply
// passively within the budget or acknowledge.
func (a *Adapter) servePush(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	ctx := r.Context()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, fmt.Sprintf("body is larger than %d bytes", MaxBodyBytes), http.StatusBadRequest)
		return
	}
	if err != nil {
		http.Error(w, "could not read the body", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	p, err := parsePush(a.crypto, q, body)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, errUnauthorized) {
			status = http.StatusUnauthorized
		}
		a.log.WarnContext(ctx, "wechat: push refused", "status", status, "err", err)
		http.Error(w, http.StatusText(status), status)
		return
	}
	if !a.admit(w, r, q, body) {
		return
	}
	msg, ok := normalize(p.msg, a.cfg.WelcomeText, a.isCommand)
	if !ok {
		a.log.DebugContext(ctx, "wechat: event acknowledged", "event", string(p.msg.Event))
		a.ack(w, p)
		return
	}
	msg.Received = arrived
	a.pickQuickReply(ctx, &msg)

	deadline := arrived.Add(a.cfg.ReplyBudget)
	wt := a.passive.register(msg.ID, deadline)
	// The engine's work must finish even if WeChat hangs up at 5 s: its
	// retry then finds the message committed instead of starting over.
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.HandleTimeout)
	defer cancel()
	res, err := a.h.Handle(hctx, msg)
	if err != nil {
		a.passive.abandon(wt)
		a.log.ErrorContext(ctx, "wechat: handling the message failed; WeChat will retry", "message", msg.ID, "err", err)
		http.Error(w, "could not handle the message", http.StatusInternalServerError)
		return
	}
	replies := repliesTo(res.Replies, msg.ID)
	if res.Duplicate || len(replies) == 0 {
		a.passive.abandon(wt)
		a.log.DebugContext(ctx, "wechat: push acknowledged", "message", msg.ID, "duplicate", res.Duplicate)
		a.ack(w, p)
		return
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	var o *offer
	select {
	case o = <-wt.offers:
	case <-timer.C:
		o = a.passive.release(wt)
	case <-ctx.Done():
		if o := a.passive.release(wt); o != nil {
			o.done <- passiveResult{err: fmt.Errorf("wechat: WeChat hung up: %w", ctx.Err())}
		}
		return
	}
	if o == nil {
		a.log.DebugContext(ctx, "wechat: answer not ready within the budget; it goes by the customer-service API",
			"message", msg.ID, "budget", a.cfg.ReplyBudget)
		a.ack(w, p)
		return
	}
	o.done <- a.answer(ctx, w, p, o, replies)
}

// admit applies the clock-skew window and the replay guard to a request
// whose signature is valid, and writes the refusal (401, or 503 when the
// guard is full) when it fails. body is what the signature is used for.
func (a *Adapter) admit(w http.ResponseWriter, r *http.Request, q url.Values, body []byte) bool {
	now := a.now()
	err := checkFresh(q, now, a.cfg.MaxClockSkew)
	if err == nil {
		err = a.replay.admit(q, body, now)
	}
	switch {
	case err == nil:
		return true
	case errors.Is(err, errReplayFull):
		a.log.ErrorContext(r.Context(), "wechat: request refused: too many signed requests within max_clock_skew", "err", err)
		w.Header().Set("Retry-After", "5")
		http.Error(w, "busy, retry later", http.StatusServiceUnavailable)
	default:
		a.log.WarnContext(r.Context(), "wechat: request refused", "method", r.Method, "status", http.StatusUnauthorized, "err", err)
		http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
	}
	return false
}

// repliesTo returns the replies of rs to message id that go to WeChat.
func repliesTo(rs []core.Reply, id string) []core.Reply {
	var out []core.Reply
	for _, r := range rs {
		if r.Key.Platform == Platform && r.InReplyTo == id {
			out = append(out, r)
		}
	}
	return out
}

// ack answers a push without a reply, which stops WeChat's retries:
// "success", or an empty body for an encrypted push.
func (a *Adapter) ack(w http.ResponseWriter, p push) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if !p.encrypted {
		_, _ = io.WriteString(w, "success")
	}
}
