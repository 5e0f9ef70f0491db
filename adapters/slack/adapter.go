// Package slack connects Switchboard to Slack, in two roles at once:
//
//   - customers: direct messages to the bot and messages that mention it
//     are customer messages (core.Engine.Handle); the bot answers in the
//     direct message, or in the message's thread in a channel;
//   - the support desk: cases are posted to the support channel with "Take"
//     and "Give back to bot" buttons; agents' replies in a case thread go to
//     the customer on whatever platform they wrote from
//     (core.Engine.HandleAgent), and the customer's messages are relayed
//     into the thread while a human owns the conversation.
//
// Inbound, the Events API (POST /webhooks/slack) and interactivity (POST
// /webhooks/slack/interactive) are verified with the signing secret
// (HMAC-SHA256 over "v0:timestamp:body", 5-minute window) and acknowledged
// with 200 only after the engine committed the message, so that Slack
// retries anything the gateway did not make durable; a retried or doubled
// delivery (one mention arrives as a message and an app_mention event) is
// recognised by its dedupe keys, "slack:event:<event_id>" and
// "slack:msg:<channel>:<ts>", and answered once. In Socket Mode (Run) the same
// code handles the envelopes, acknowledged after the engine returned.
//
// Ignored: edits and deletions (message_changed, message_deleted; an edited
// question is not asked again), other message subtypes except
// thread_broadcast and file_share, every bot's messages including our own
// (the loop prevention), top-level messages in the support channel, threads
// there that are not cases, and channel messages that do not mention the bot.
//
// Outbound, Send posts with chat.postMessage through slack-go. The case
// threads are kept in the core.Store: namespace "slack_case" maps
// "channel/ts" of a case message to the conversation (core.ConversationKey
// string), "slack_case_of" maps the conversation to its latest case
// message, "slack_case_text" keeps the case text so that the case message can
// be updated ("Assigned to Ana").
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-gw/switchboard/core"
)

// Platform is the adapter's platform name, used in conversation keys.
const Platform = "slack"

// MaxBodyBytes is the largest request body the webhooks accept.
const MaxBodyBytes = 1 << 20

// sideEffectTimeout bounds the desk's best-effort calls after an agent's
// message (the ephemeral hint, the case message update).
const sideEffectTimeout = 3 * time.Second

// Engine handles customer and agent messages durably; *core.Engine
// implements it. Both methods must return only after the message, its
// dedupe keys and its replies are committed.
type Engine interface {
	Handle(ctx context.Context, m core.Message) (core.Result, error)
	HandleAgent(ctx context.Context, a core.AgentMessage) (core.AgentResult, error)
}

// Adapter is the Slack platform: the webhook handlers, the Socket Mode
// client (Run) and the core.Sender of the "slack" platform. It is safe for
// concurrent use.
type Adapter struct {
	avail *presenceCache // agents' Slack presence (Present)
	cfg   Config
	eng   Engine
	store core.Store
	log   *slog.Logger
	api   *slack.Client
	self  identity
	names *nameCache
	life  lifecycle
}

// New checks cfg, calls auth.test to learn the bot's own user and bot ids
// (its messages come back as events and are ignored by them) and returns
// the Adapter. It returns an error when cfg is invalid or auth.test fails,
// e.g. "slack: auth.test: invalid_auth" for a wrong token; the error never
// contains a token. A nil logger discards logs.
func New(ctx context.Context, cfg Config, eng Engine, st core.Store, logger *slog.Logger) (*Adapter, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if eng == nil || st == nil {
		return nil, errors.New("slack: new adapter: nil engine or store")
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	log := logger.With("platform", Platform)
	opts := []slack.Option{
		slack.OptionHTTPClient(&http.Client{Timeout: cfg.HTTPTimeout}),
		slack.OptionLog(logOutput{log}),
	}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	api := slack.New(cfg.BotToken, opts...)
	auth, err := api.AuthTestContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("slack: auth.test: %w", err)
	}
	a := &Adapter{
		cfg: cfg, eng: eng, store: st, log: log, api: api,
		self: identity{userID: auth.UserID, botID: auth.BotID}, avail: &presenceCache{m: map[string]cachedPresence{}},
	}
	a.names = newNameCache(a.lookupName, cfg.Now)
	log.InfoContext(ctx, "slack: connected", "team", auth.Team, "bot_user", auth.UserID, "mode", cfg.Mode,
		"support_channel", cfg.SupportChannel)
	return a, nil
}

// The Adapter is the core.Sender of the "slack" platform and tells the
// Dispatcher its rate limits.
var (
	_ core.Sender      = (*Adapter)(nil)
	_ core.RateLimited = (*Adapter)(nil)
)

// Platform returns "slack".
func (a *Adapter) Platform() string { return Platform }

// Register adds the Events API route POST /webhooks/slack, the
// interactivity route POST /webhooks/slack/interactive and the slash
// command route POST /webhooks/slack/commands (/switchboard on|off) to mux. In socket
// mode they still work (Slack then sends nothing to them).
func (a *Adapter) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /webhooks/slack", a.serveEvents)
	mux.HandleFunc("POST /webhooks/slack/interactive", a.serveInteractive)
	mux.HandleFunc("POST /webhooks/slack/commands", a.serveCommands)
}

// serveEvents answers an Events API request: 401 for a bad or stale
// signature, 400 for a body that is not an Events API payload, 500 when the
// engine failed (Slack retries), 200 otherwise.
func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	req, err := parseRequest(body)
	if err != nil {
		a.log.WarnContext(ctx, "slack: bad events payload", "err", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	if req.kind == kindChallenge {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"challenge": req.challenge})
		return
	}
	if err := a.handleRequest(ctx, req); err != nil {
		a.log.ErrorContext(ctx, "slack: event not handled, Slack will retry", "event_id", req.eventID,
			"retry", r.Header.Get("X-Slack-Retry-Num"), "err", err)
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// serveInteractive answers an interactivity request (a button press) like
// serveEvents; Slack shows the agent an error when it gets no 200.
func (a *Adapter) serveInteractive(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	clicks, err := parseInteractionForm(body)
	if err != nil {
		a.log.WarnContext(ctx, "slack: bad interaction payload", "err", err)
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	for _, c := range clicks {
		if err := a.handleClick(ctx, c); err != nil {
			a.log.ErrorContext(ctx, "slack: button press not handled", "action", c.actionID, "err", err)
			http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// readVerified reads the body and checks its signature, answering the
// request itself (400, 401, 413) when it returns false.
func (a *Adapter) readVerified(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "could not read body", http.StatusBadRequest)
		}
		return nil, false
	}
	if err := verify(r.Header, body, a.cfg.SigningSecret, a.cfg.Now()); err != nil {
		a.log.WarnContext(r.Context(), "slack: request refused", "path", r.URL.Path, "reason", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return nil, false
	}
	return body, true
}

// handleRequest handles one parsed Events API request (HTTP or Socket
// Mode). It returns an error only when Slack should deliver it again.
func (a *Adapter) handleRequest(ctx context.Context, req request) error {
	switch req.kind {
	case kindRateLimited:
		a.noteRateLimited(ctx, req)
		return nil
	case kindRevoked:
		a.revoke(ctx, req)
		return nil
	case kindMessage:
	default:
		a.log.DebugContext(ctx, "slack: event ignored", "type", req.eventType)
		return nil
	}
	if done, err := a.handleDutyMessage(ctx, req.msg); done || err != nil {
		return err
	}
	rt, why := classify(req.msg, a.self, a.deskFor(req.msg.channel))
	switch rt {
	case routeCustomer:
		return a.handleCustomer(ctx, customerMessage(req.eventID, req.msg, a.self), req.msg)
	case routeAgent:
		return a.handleAgentReply(ctx, req.eventID, req.msg)
	case routeAgentEdit:
		return a.handleAgentEdit(ctx, req.eventID, req.msg)
	case routeAgentDelete:
		return a.handleAgentDelete(ctx, req.msg)
	}
	a.log.DebugContext(ctx, "slack: message ignored", "event_id", req.eventID, "reason", why)
	return nil
}

// handleCustomer hands a customer's message to the engine.
func (a *Adapter) handleCustomer(ctx context.Context, m core.Message, sm slackMessage) error {
	if m.Text == "" && m.Note == "" {
		a.log.DebugContext(ctx, "slack: empty message ignored", "message", m.ID)
		return nil
	}
	m.UserName = a.names.get(ctx, m.Key.User)
	m.Received = a.cfg.Now()
	if !isDM(sm) && m.ReplyTo != "" {
		// Replies without a thread of their own (agent replies, notices)
		// go to the conversation's latest thread in a channel.
		if err := a.store.Put(ctx, nsThread, m.Key.String(), []byte(m.ReplyTo), threadTTL); err != nil {
			return fmt.Errorf("slack: remember thread of %s: %w", m.ID, err)
		}
	}
	res, err := a.eng.Handle(ctx, m)
	if err != nil {
		return fmt.Errorf("slack: handle message %s: %w", m.ID, err)
	}
	a.log.DebugContext(ctx, "slack: message handled", "message", m.ID, "duplicate", res.Duplicate, "replies", len(res.Replies))
	return nil
}

// handleAgentReply hands an agent's reply in a case thread to the engine.
func (a *Adapter) handleAgentReply(ctx context.Context, eventID string, sm slackMessage) error {
	about, ok, err := a.caseOf(ctx, sm.channel, sm.threadTS)
	if err != nil {
		return err
	}
	if !ok {
		if sm.parentUser == a.self.userID && recentTS(sm.threadTS, a.cfg.Now(), caseRaceWindow) {
			// A reply under a message the bot posted a moment ago: most
			// likely a case whose mapping is still being stored. Let Slack
			// deliver it again.
			return fmt.Errorf("slack: thread %s under our message is not a known case yet", sm.threadTS)
		}
		a.log.DebugContext(ctx, "slack: reply in a support-channel thread that is not a case", "thread", sm.threadTS)
		return nil
	}
	text := agentText(sm, a.self, a.names.resolver(ctx))
	if text == "" {
		return nil
	}
	name := a.names.get(ctx, sm.user)
	res, err := a.eng.HandleAgent(ctx, core.AgentMessage{
		About: about, ID: messageID(sm.channel, sm.ts), DedupeKeys: dedupeKeys(eventID, sm),
		Agent: name, AgentID: sm.user, Text: text, Received: a.cfg.Now(), Channel: sm.channel,
	})
	if err != nil {
		return fmt.Errorf("slack: handle agent reply %s: %w", messageID(sm.channel, sm.ts), err)
	}
	a.afterAgent(ctx, about, sm.channel, sm.threadTS, sm.user, name, res)
	return nil
}

// handleAgentEdit sends the correction of an agent's edited reply (the
// engine decides whether the original reached the customer and whether the
// edit is in time).
func (a *Adapter) handleAgentEdit(ctx context.Context, eventID string, sm slackMessage) error {
	about, ok, err := a.caseOf(ctx, sm.channel, sm.threadTS)
	if err != nil || !ok {
		return err
	}
	text := agentText(sm, a.self, a.names.resolver(ctx))
	if text == "" {
		return nil
	}
	name := a.names.get(ctx, sm.user)
	orig := messageID(sm.channel, sm.ts)
	keys := []string{"slack:edit:" + sm.channel + ":" + sm.ts + ":" + sm.editTS}
	if eventID != "" {
		keys = append(keys, "slack:event:"+eventID)
	}
	res, err := a.eng.HandleAgent(ctx, core.AgentMessage{
		About: about, ID: orig + "/edit/" + sm.editTS, DedupeKeys: keys, EditOf: orig, SentAt: tsTime(sm.ts),
		Agent: name, AgentID: sm.user, Text: text, Received: a.cfg.Now(), Channel: sm.channel,
	})
	if err != nil {
		return fmt.Errorf("slack: handle agent edit %s: %w", orig, err)
	}
	a.afterAgent(ctx, about, sm.channel, sm.threadTS, sm.user, name, res)
	return nil
}

// handleAgentDelete tells an agent who deleted a reply that had reached
// the customer that it cannot be taken back on the customer's platform.
func (a *Adapter) handleAgentDelete(ctx context.Context, sm slackMessage) error {
	about, ok, err := a.caseOf(ctx, sm.channel, sm.threadTS)
	if err != nil || !ok {
		return err
	}
	turns, err := a.store.Transcript(ctx, about, 200)
	if err != nil {
		return fmt.Errorf("slack: transcript of %s: %w", about, err)
	}
	id := "agent." + messageID(sm.channel, sm.ts)
	for _, t := range turns {
		if t.ID != id {
			continue
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sideEffectTimeout)
		defer cancel()
		hint := fmt.Sprintf("Deleting it here does not unsend it: the customer on %s already received that message. Send a correction if it was wrong.", about.Platform)
		if _, err := a.api.PostEphemeralContext(ctx, sm.channel, sm.user, slack.MsgOptionText(hint, false), slack.MsgOptionTS(sm.threadTS)); err != nil {
			a.log.WarnContext(ctx, "slack: ephemeral hint failed", "err", sendErr("chat.postEphemeral", err))
		}
		return nil
	}
	return nil
}

// tsTime is the time of a Slack ts ("1732530000.000100"); zero if malformed.
func tsTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	us, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(n, us*1000)
}

// handleClick handles one press of one of the adapter's buttons.
func (a *Adapter) handleClick(ctx context.Context, c click) error {
	if c.userID == "" || c.channel == "" {
		return nil
	}
	dedupe := []string{"slack:action:" + c.id()}
	if c.actionID != actionTake && c.actionID != actionGiveBack && c.actionID != actionClose {
		// A customer's quick reply: the button's text, as if typed.
		if a.isDesk(c.channel) || c.value == "" {
			return nil
		}
		sm := slackMessage{channel: c.channel, user: c.userID, ts: c.messageTS}
		m := core.Message{
			Key:        core.ConversationKey{Platform: Platform, Chat: c.channel, User: c.userID},
			ID:         c.channel + "/action:" + c.id(),
			DedupeKeys: dedupe, Text: c.value, ReplyTo: c.threadTS,
		}
		if m.ReplyTo == "" && !isDM(sm) {
			m.ReplyTo = c.messageTS
		}
		return a.handleCustomer(ctx, m, sm)
	}
	if !a.isDesk(c.channel) {
		a.log.WarnContext(ctx, "slack: case button pressed outside the support channel", "channel", c.channel)
		return nil
	}
	about, ok := core.ParseConversationKey(c.value)
	if !ok || about.Platform == "" || about.Chat == "" {
		a.log.WarnContext(ctx, "slack: case button without a conversation")
		return nil
	}
	text := "!take"
	switch c.actionID {
	case actionGiveBack:
		text = "!bot"
	case actionClose:
		text = "!close"
	}
	name := a.names.get(ctx, c.userID)
	if name == c.userID && c.userName != "" {
		name = c.userName
	}
	res, err := a.eng.HandleAgent(ctx, core.AgentMessage{
		About: about, ID: "action:" + c.id(), DedupeKeys: dedupe,
		Agent: name, AgentID: c.userID, Text: text, Received: a.cfg.Now(), Channel: c.channel,
	})
	if err != nil {
		return fmt.Errorf("slack: handle %s button: %w", text, err)
	}
	a.afterAgent(ctx, about, c.channel, c.messageTS, c.userID, name, res)
	return nil
}

// afterAgent tells an agent privately (an ephemeral message) when their
// message did not reach the customer and why. The case message itself is
// redrawn through the outbox (core.ReplyStatus). Hints are best effort:
// logged, not retried, when they fail.
func (a *Adapter) afterAgent(ctx context.Context, _ core.ConversationKey, channel, thread, user, _ string, res core.AgentResult) {
	if res.Duplicate {
		return
	}
	var hint string
	switch res.Action {
	case core.AgentNotOwned:
		hint = notOwnedHint
	case core.AgentNotAssignee:
		hint = fmt.Sprintf("%s is handling this case: your message was not sent to the customer. Type !take to take over, or start with !note for a note.", res.Assignee)
	case core.AgentTransferUnknown:
		var names []string
		if d, ok := a.eng.(Duty); ok {
			for _, t := range d.Teams() {
				names = append(names, t.Name)
			}
		}
		hint = "Nothing was transferred: type !transfer <team> [note] with another team's name (" + strings.Join(names, ", ") + ")."
	case core.AgentEditIgnored:
		hint = "Your edit was not sent to the customer: the message never reached them, or the time for corrections has passed. Reply with the correction instead."
	default:
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sideEffectTimeout)
	defer cancel()
	opts := []slack.MsgOption{slack.MsgOptionText(hint, false)}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	if _, err := a.api.PostEphemeralContext(ctx, channel, user, opts...); err != nil {
		a.log.WarnContext(ctx, "slack: ephemeral hint failed", "err", sendErr("chat.postEphemeral", err))
	}
}

// caseRaceWindow is how long after a bot message in the support channel a
// reply under it that maps to no case is refused for a retry rather than
// ignored: the case may have been posted but not stored yet.
const caseRaceWindow = 2 * time.Minute

// recentTS reports whether a Slack ts ("1732530000.000100") is at most d
// before now.
func recentTS(ts string, now time.Time, d time.Duration) bool {
	sec, _, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return false
	}
	age := now.Sub(time.Unix(n, 0))
	return age >= -time.Minute && age <= d
}

// notOwnedHint is shown to an agent who writes in the thread of a case the
// bot owns.
const notOwnedHint = "The bot is handling this conversation already."

// logOutput lets slack-go's internal logger write to slog at debug level.
type logOutput struct{ log *slog.Logger }

func (l logOutput) Output(_ int, s string) error {
	l.log.Debug("slack-go: " + s)
	return nil
}
