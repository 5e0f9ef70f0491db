// Package web is the brand's own web chat: an embedded single-page chat at
// "/", a small JSON API under /api/web/ for sessions and messages, and a
// Server-Sent Events stream that pushes bot and agent replies to the page.
//
// A customer's conversation is identified by a session token that the page
// keeps in localStorage: 128 random bits signed by the server (session.go).
// Nothing is stored until the session's first message, and then only the
// token's SHA-256; the conversation key is derived from the hash, so knowing
// a conversation key does not give access to it. Replies reach the page twice over: the outbox
// Dispatcher calls Send, which pushes to the conversation's live streams, and
// the page re-fetches the transcript after every (re)connect and every message
// it sends, de-duplicating by message id. Send therefore never fails for lack
// of a listener.
//
// Routes (see Register):
//
//	GET  /                     the chat page (?embed=1: inside the widget's iframe)
//	GET  /widget.js            the embeddable launcher for other sites
//	GET  /web/avatar           the bot's avatar when web.avatar_file is set
//	POST /api/web/session      201 {"token": "..."}; 429 + Retry-After beyond the per-client rate
//	POST /api/web/messages     202 {"id": "..."}; body {"text": "...", "client_id": "...", "name": "...", "email": "..."}
//	GET  /api/web/messages     200 {"messages": [{"id","from","text","at"}...], "language": "zh"}
//	POST /api/web/ticket       201 {"ticket": "...", "expires_in": 60}: one event stream, one minute
//	GET  /api/web/events       text/event-stream of "message" events (token in the Authorization header, or ?ticket=)
//
// Errors are JSON {"error": "reason"}: 400 for a bad body, 401 for a missing,
// unknown or expired token (the page then starts a new session), 405 for a
// wrong method, 429 with Retry-After beyond a rate or stream limit, 500/503
// when the engine or store failed.
//
// A new session costs nothing: its token is signed (HMAC, keys in the store,
// rotated), not stored, until its first message (see session.go).
package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// Platform is the adapter's platform name, used in conversation keys.
const Platform = "web"

// Handler handles one inbound message durably; *core.Engine implements it.
// Handle must return only after the message, its dedupe keys and its replies
// are committed.
type Handler interface {
	Handle(ctx context.Context, m core.Message) (core.Result, error)
}

// Adapter serves the web chat and is the core.Sender of the "web" platform.
// It is safe for concurrent use. Call Close before shutting the HTTP server
// down, so that open event streams end.
type Adapter struct {
	cfg    Config
	h      Handler
	store  core.Store
	logger *slog.Logger
	hub    *hub
	page   page
	// origins are the normalized Branding.AllowedOrigins.
	origins []string
	now     func() time.Time
	keys    *keyring
	limits  *limits
	tickets usedTickets
}

// New returns an Adapter. Zero fields of cfg take their defaults (see Config);
// call cfg.Validate first to reject invalid values. A nil logger discards logs.
func New(cfg Config, h Handler, st core.Store, logger *slog.Logger) *Adapter {
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	a := &Adapter{
		cfg:     cfg,
		h:       h,
		store:   st,
		logger:  logger.With("platform", Platform),
		hub:     newHub(cfg.SubscriberBuffer, cfg.MaxSubscribers),
		page:    newPage(cfg.Branding),
		origins: cfg.origins(),
		now:     cfg.Now,
		keys:    newKeyring(st, cfg.UnusedSessionTTL, cfg.UnusedSessionTTL),
	}
	a.limits = newLimits(cfg, func() time.Time { return a.now() })
	return a
}

// Platform returns "web".
func (a *Adapter) Platform() string { return Platform }

// Register adds the web chat's routes to mux. Other methods on these paths
// get 405 with an Allow header, unknown paths under /api/web/ get a JSON 404.
// Register panics (inside net/http) if mux already has conflicting patterns.
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", a.servePage)
	mux.HandleFunc("/{$}", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("GET /widget.js", a.serveWidget)
	mux.HandleFunc("/widget.js", methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("GET "+avatarPath, a.serveAvatar)
	mux.HandleFunc(avatarPath, methodNotAllowed("GET, HEAD"))
	mux.HandleFunc("POST /api/web/session", a.cors(a.serveNewSession))
	mux.HandleFunc("/api/web/session", a.otherMethod("POST"))
	mux.HandleFunc("POST /api/web/messages", a.cors(a.servePostMessage))
	mux.HandleFunc("GET /api/web/messages", a.cors(a.serveMessages))
	mux.HandleFunc("/api/web/messages", a.otherMethod("GET, HEAD, POST"))
	mux.HandleFunc("POST /api/web/ticket", a.cors(a.serveTicket))
	mux.HandleFunc("/api/web/ticket", a.otherMethod("POST"))
	mux.HandleFunc("GET /api/web/events", a.cors(a.serveEvents))
	mux.HandleFunc("/api/web/events", a.otherMethod("GET, HEAD"))
	mux.HandleFunc("/api/web/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint")
	})
}

// cors adds the CORS headers of an allowed origin to h's responses.
func (a *Adapter) cors(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a.corsHeaders(w, r)
		h(w, r)
	}
}

// otherMethod answers OPTIONS as a CORS preflight and other methods with 405.
func (a *Adapter) otherMethod(allow string) http.HandlerFunc {
	notAllowed := methodNotAllowed(allow)
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			a.servePreflight(w, r, allow)
			return
		}
		notAllowed(w, r)
	}
}

// Send publishes r to the live event streams of its conversation. It does not
// block on slow streams (they are dropped and re-fetch on reconnect) and
// returns nil when no stream is open, because the reply is already in the
// transcript the page fetches. It returns a permanent *core.SendError when r
// is not a customer-facing reply (core.ReplyAnswer) of the "web" platform.
func (a *Adapter) Send(ctx context.Context, r core.Reply) error {
	if r.Key.Platform != Platform {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s is for platform %q", r.ID, r.Key.Platform)}
	}
	if r.Kind != core.ReplyAnswer {
		return &core.SendError{Platform: Platform, Permanent: true,
			Err: fmt.Errorf("reply %s of kind %q: the web chat has no support desk", r.ID, r.Kind)}
	}
	at := r.Created
	if at.IsZero() {
		at = a.now()
	}
	conv := r.Key.String()
	if a.hub.count(conv) == 0 {
		return nil // nobody is watching; the page fetches the transcript when it comes
	}
	frame, err := encodeEvent(wireMessage{
		ID: r.ID, From: replyAuthor(r.From), Text: r.Text, At: at.UTC(),
		AgentName: agentName(r.From, r.AgentName), QuickReplies: r.QuickReplies, Corrects: r.Corrects,
		Language: a.language(ctx, r.Key),
	})
	if err != nil {
		return &core.SendError{Platform: Platform, Permanent: true, Err: err}
	}
	n := a.hub.publish(conv, frame)
	a.logger.DebugContext(ctx, "web: reply published", "reply", r.ID, "streams", n)
	return nil
}

// Close ends every open event stream and refuses new ones with 503. The
// other routes keep working. It is safe to call more than once.
func (a *Adapter) Close() { a.hub.close() }

// wireMessage is one message as the page sees it.
type wireMessage struct {
	ID           string      `json:"id"`
	From         core.Author `json:"from"`
	Text         string      `json:"text"`
	At           time.Time   `json:"at"`
	AgentName    string      `json:"agent_name,omitempty"`
	QuickReplies []string    `json:"quick_replies,omitempty"`
	// Corrects names an earlier message this one replaces (an agent
	// corrected it): the page shows the new text in its place, marked
	// edited. In the history the correction is already applied.
	Corrects string `json:"corrects,omitempty"`
	Edited   bool   `json:"edited,omitempty"`
	// Language is the conversation's detected language when the message
	// was sent ("en", "zh"; empty while unknown), so that the page can
	// switch its UI strings. Live events carry it on each message; GET
	// /api/web/messages once, at the top level.
	Language string `json:"language,omitempty"`
}

// language returns the conversation's detected language, or "" when it is
// not known yet or the state cannot be read (that only costs the page its
// language switch, so it is logged, not returned).
func (a *Adapter) language(ctx context.Context, key core.ConversationKey) string {
	if a.store == nil {
		return ""
	}
	st, _, err := a.store.Load(ctx, key, nil)
	if err != nil {
		a.logger.WarnContext(ctx, "web: load conversation language", "err", err)
		return ""
	}
	return st.Language
}

func replyAuthor(a core.Author) core.Author {
	if a == core.AuthorAgent {
		return core.AuthorAgent
	}
	return core.AuthorBot
}

func agentName(from core.Author, name string) string {
	if from == core.AuthorAgent {
		return name
	}
	return ""
}

func (a *Adapter) serveNewSession(w http.ResponseWriter, r *http.Request) {
	if ok, wait := a.limits.sessions.Allow(a.cfg.ClientAddr(r)); !ok {
		tooMany(w, wait, "too many new sessions from your address, please retry later")
		return
	}
	token, err := a.createSession(r.Context())
	if err != nil {
		a.logger.ErrorContext(r.Context(), "web: create session", "err", err)
		writeError(w, statusFor(err), "could not start a session, please retry")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"token": token})
}

func (a *Adapter) servePostMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, ok := a.auth(w, r, false)
	if !ok {
		return
	}
	key := sess.key
	if !isJSON(r.Header.Get("Content-Type")) {
		writeError(w, http.StatusBadRequest, `Content-Type must be application/json`)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("request body is larger than %d bytes", MaxBodyBytes))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	p, err := parsePostMessage(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, reason(err))
		return
	}
	msg, err := a.message(key, p)
	if err != nil {
		a.logger.ErrorContext(ctx, "web: build message", "err", err)
		writeError(w, http.StatusInternalServerError, "could not accept the message, please retry")
		return
	}
	if !sess.persisted {
		// The first message: from now on the session is stored.
		if err := a.persistSession(ctx, sess); err != nil {
			a.logger.ErrorContext(ctx, "web: persist session", "err", err)
			writeError(w, statusFor(err), "could not accept the message, please retry")
			return
		}
	}
	res, err := a.h.Handle(ctx, msg)
	if rl, ok := core.IsRateLimited(err); ok {
		tooMany(w, rl.RetryAfter, "you are sending messages too fast; please wait a moment")
		return
	}
	if err != nil {
		a.logger.ErrorContext(ctx, "web: handle message", "message", msg.ID, "err", err)
		writeError(w, statusFor(err), "could not handle the message, please retry")
		return
	}
	a.logger.DebugContext(ctx, "web: message handled", "message", msg.ID,
		"duplicate", res.Duplicate, "replies", len(res.Replies))
	writeJSON(w, http.StatusAccepted, map[string]string{"id": msg.ID})
}

// message builds the core.Message for p in the conversation key. With a
// client_id its ID and dedupe key are derived from it, so a retried POST is
// recognised and answered with the same id.
func (a *Adapter) message(key core.ConversationKey, p postMessage) (core.Message, error) {
	m := core.Message{Key: key, Text: p.Text, Received: a.now(), UserName: p.userName()}
	if p.ClientID != "" {
		dedupe := Platform + ":" + key.Chat + ":" + p.ClientID
		sum := sha256.Sum256([]byte(dedupe))
		m.ID = "w" + hex.EncodeToString(sum[:16])
		m.DedupeKeys = []string{dedupe}
		return m, nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return core.Message{}, fmt.Errorf("web: read random message id: %w", err)
	}
	m.ID = "w" + hex.EncodeToString(b)
	return m, nil
}

func (a *Adapter) serveMessages(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, ok := a.auth(w, r, false)
	if !ok {
		return
	}
	turns, err := a.store.Transcript(ctx, sess.key, a.cfg.HistoryLimit)
	if err != nil {
		a.logger.ErrorContext(ctx, "web: load transcript", "err", err)
		writeError(w, statusFor(err), "could not load the conversation, please retry")
		return
	}
	out := make([]wireMessage, 0, len(turns))
	pos := make(map[string]int, len(turns))
	for _, t := range turns {
		if i, ok := pos[t.Corrects]; ok && t.Corrects != "" {
			out[i].Text, out[i].Edited = t.Text, true // an agent's correction replaces the message
			continue
		}
		pos[t.ID] = len(out)
		out = append(out, wireMessage{ID: t.ID, From: t.From, Text: t.Text, At: t.At.UTC(),
			AgentName: agentName(t.From, t.AgentName), QuickReplies: t.QuickReplies})
	}
	writeJSON(w, http.StatusOK, struct {
		Messages []wireMessage `json:"messages"`
		Language string        `json:"language,omitempty"`
	}{out, a.language(ctx, sess.key)})
}

// auth authenticates r and writes the error response when it fails.
func (a *Adapter) auth(w http.ResponseWriter, r *http.Request, allowQuery bool) (authSession, bool) {
	sess, err := a.authenticate(r.Context(), r, allowQuery)
	if err == nil {
		return sess, true
	}
	a.authFailed(w, r, err)
	return authSession{}, false
}

// authFailed writes the response of a failed authentication: 401 for a
// missing, invalid or expired token or ticket, 500/503 for a store failure.
func (a *Adapter) authFailed(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errNoSession):
		w.Header().Set("WWW-Authenticate", `Bearer realm="web chat"`)
		writeError(w, http.StatusUnauthorized, "missing, unknown or expired session token; start a new session")
	default:
		a.logger.ErrorContext(r.Context(), "web: authenticate", "err", err)
		writeError(w, statusFor(err), "could not check the session, please retry")
	}
}
