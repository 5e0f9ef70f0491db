// Package discord is a fake Discord API for tests and for `switchboard
// bench`: an http.Handler that answers like discord.com/api/v9 and /v10 for
// what Switchboard uses — GET /users/@me, GET /gateway, POST
// /channels/{id}/messages (honouring nonce + enforce_nonce: a repeated
// nonce returns the first message instead of posting again), interaction
// follow-ups (POST /webhooks/{application}/{token}), command registration
// (PUT/POST /applications/{id}[/guilds/{id}]/commands) — with Discord's
// auth (Authorization: Bot <token>), validation (2,000 characters, 25-char
// nonces, empty messages) and error shapes, including 429
//
//	{"message":"You are being rate limited.","retry_after":1.5,"global":false}
//
// with X-RateLimit-* and Retry-After headers. A websocket gateway (Hello,
// Identify → READY, heartbeats, Resume with replay) serves dispatched
// MESSAGE_CREATE events; see gateway.go. Interactions are created, signed
// with a generated Ed25519 key and delivered by the helpers in
// interactions.go; follow-ups are accepted only for delivered and
// acknowledged interactions, for 15 minutes.
//
// Every accepted message is recorded, so callers can count lost and
// duplicated replies. Everything is safe for concurrent use.
package discord

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Routes that failures can be injected into.
const (
	RouteMessages = "messages" // POST /channels/{id}/messages
	RouteFollowup = "followup" // POST /webhooks/{app}/{token}
	RouteCommands = "commands" // PUT/POST .../commands
	RouteUser     = "user"     // GET /users/@me
	RouteGateway  = "gateway"  // GET /gateway
	RouteEdit     = "edit"     // PATCH /channels/{id}/messages/{message}
	RouteDM       = "dm"       // POST /users/@me/channels (open a DM channel)
)

// Sent is one message the fake accepted.
type Sent struct {
	ID            string
	Kind          string // "channel" or "followup"
	ChannelID     string
	InteractionID string // for follow-ups
	Content       string
	Nonce         string
	ReplyTo       string // message_reference.message_id
	Buttons       [][]Button
	AllowedParse  []string // allowed_mentions.parse; nil when absent
	At            time.Time
}

// Button is one button of a message.
type Button struct {
	Label    string `json:"label"`
	CustomID string `json:"custom_id"`
	Style    int    `json:"style"`
}

// Failure describes how a call fails.
type Failure struct {
	Status  int    // HTTP status
	Code    int    // Discord JSON error code, e.g. 50001 Missing Access
	Message string // empty: Discord's usual text for Status
	// RetryAfter in seconds for 429 (may have decimals); Global marks a
	// global rate limit.
	RetryAfter float64
	Global     bool
}

// Command is a registered application command.
type Command struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Type        int             `json:"type,omitempty"` // 1 (or absent) slash, 2 user, 3 message context menu
	Description string          `json:"description"`
	GuildID     string          `json:"guild_id,omitempty"`
	Options     json.RawMessage `json:"options,omitempty"`
}

// API is the fake Discord API for one bot.
type API struct {
	token string
	bot   User
	appID string

	mu           sync.Mutex
	baseURL      string // set by Start; used for the gateway URL
	sent         []Sent
	edits        []Sent
	nonces       map[string]nonceEntry // channel + "\x00" + nonce
	nonceHits    int
	nextID       uint64
	failures     map[string][]Failure
	channels     map[string]Failure
	commands     map[string][]Command // guild id ("" = global)
	interactions map[string]*interaction
	dms          map[string]string // recipient id → DM channel id
	calls        map[string]int
	gw           *gateway
}

type nonceEntry struct {
	msg map[string]any
	at  time.Time
}

// New returns a fake for the bot token and application id. The bot's user
// is {ID: "1100000000000000001", Username: "switchboard"}.
func New(token, appID string) *API {
	a := &API{
		token:        token,
		appID:        appID,
		bot:          User{ID: "1100000000000000001", Username: "switchboard", GlobalName: "Switchboard", Bot: true},
		nonces:       make(map[string]nonceEntry),
		nextID:       1200000000000000000,
		failures:     make(map[string][]Failure),
		channels:     make(map[string]Failure),
		commands:     make(map[string][]Command),
		interactions: make(map[string]*interaction),
		dms:          make(map[string]string),
		calls:        make(map[string]int),
	}
	a.gw = newGateway(a)
	return a
}

// Server is a started fake; its URL is the api_url to configure.
type Server struct {
	*httptest.Server
	*API
}

// Start starts a fake Discord API on a local port. Close it when done.
func Start(token, appID string) *Server {
	api := New(token, appID)
	srv := httptest.NewServer(api)
	api.mu.Lock()
	api.baseURL = srv.URL
	api.mu.Unlock()
	return &Server{Server: srv, API: api}
}

// Close closes the gateway connections, then the server.
func (s *Server) Close() {
	s.API.gw.closeAll()
	s.Server.Close()
}

// Bot returns the bot's user.
func (a *API) Bot() User { return a.bot }

// Sent returns every accepted message, in order.
func (a *API) Sent() []Sent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.sent)
}

// NonceHits returns how many posts were answered with an earlier message
// because their nonce was seen before (enforce_nonce).
func (a *API) NonceHits() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.nonceHits
}

// Calls returns how many requests reached route (failed ones included).
func (a *API) Calls(route string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[route]
}

// Commands returns the commands registered globally (guild "") or in a guild.
func (a *API) Commands(guild string) []Command {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.commands[guild])
}

// Fail makes the next n calls of route fail with f. A zero Failure lets
// its call through, so failures can be placed after successes.
func (a *API) Fail(route string, n int, f Failure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for range n {
		a.failures[route] = append(a.failures[route], f)
	}
}

// FailChannel makes every message to channel fail with f (e.g. 403 code
// 50001 Missing Access); a zero Failure clears it.
func (a *API) FailChannel(channel string, f Failure) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f.Status == 0 {
		delete(a.channels, channel)
		return
	}
	a.channels[channel] = f
}

func (a *API) newID() string {
	a.nextID++
	return strconv.FormatUint(a.nextID, 10)
}

// ServeHTTP implements the REST API and the gateway websocket.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/gateway") {
		a.gw.serve(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v")
	if !ok {
		writeError(w, Failure{Status: 404})
		return
	}
	_, path, _ := strings.Cut(rest, "/")
	seg := strings.Split(strings.Trim(path, "/"), "/")
	route := routeOf(r.Method, seg)
	if route == "" {
		writeError(w, Failure{Status: 404})
		return
	}
	if route != RouteFollowup && r.Header.Get("Authorization") != "Bot "+a.token {
		writeError(w, Failure{Status: 401})
		return
	}
	a.mu.Lock()
	a.calls[route]++
	var fail Failure
	if fs := a.failures[route]; len(fs) > 0 {
		fail, a.failures[route] = fs[0], fs[1:]
	}
	a.mu.Unlock()
	if fail.Status != 0 {
		writeError(w, fail)
		return
	}
	switch route {
	case RouteUser:
		writeJSON(w, 200, a.bot)
	case RouteGateway:
		a.mu.Lock()
		u := strings.Replace(a.baseURL, "http", "ws", 1) + "/gateway"
		a.mu.Unlock()
		writeJSON(w, 200, map[string]any{"url": u, "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 86400000, "max_concurrency": 1}})
	case RouteDM:
		a.openDM(w, r)
	case RouteMessages:
		a.postMessage(w, r, seg[1])
	case RouteEdit:
		a.editMessage(w, r, seg[1], seg[3])
	case RouteFollowup:
		a.followup(w, r, seg[2], r.URL.Query().Get("wait") == "true")
	case RouteCommands:
		guild := ""
		if len(seg) == 5 {
			guild = seg[3]
		}
		a.putCommands(w, r, guild)
	}
}

func routeOf(method string, seg []string) string {
	switch {
	case method == "GET" && len(seg) == 2 && seg[0] == "users" && seg[1] == "@me":
		return RouteUser
	case method == "POST" && len(seg) == 3 && seg[0] == "users" && seg[1] == "@me" && seg[2] == "channels":
		return RouteDM
	case method == "GET" && (len(seg) == 1 || len(seg) == 2) && seg[0] == "gateway":
		return RouteGateway
	case method == "POST" && len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages":
		return RouteMessages
	case method == "PATCH" && len(seg) == 4 && seg[0] == "channels" && seg[2] == "messages":
		return RouteEdit
	case method == "POST" && len(seg) == 3 && seg[0] == "webhooks":
		return RouteFollowup
	case (method == "PUT" || method == "POST") && seg[0] == "applications" && seg[len(seg)-1] == "commands" &&
		(len(seg) == 3 || len(seg) == 5 && seg[2] == "guilds"):
		return RouteCommands
	}
	return ""
}

func (a *API) postMessage(w http.ResponseWriter, r *http.Request, channel string) {
	o, s, ok := decode(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if f, ok := a.channels[channel]; ok {
		writeError(w, f)
		return
	}
	key := channel + "\x00" + s.Nonce
	if o.Enforce && s.Nonce != "" {
		if e, ok := a.nonces[key]; ok && time.Since(e.at) < 5*time.Minute {
			a.nonceHits++
			writeJSON(w, 200, e.msg)
			return
		}
	}
	s.Kind, s.ChannelID, s.ID = "channel", channel, a.newID()
	a.sent = append(a.sent, s)
	msg := a.messageJSON(s)
	if s.Nonce != "" {
		a.nonces[key] = nonceEntry{msg: msg, at: time.Now()}
	}
	writeJSON(w, 200, msg)
}

// Edits returns the message edits the fake accepted (ID is the edited
// message's, Content the new text).
func (a *API) Edits() []Sent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.edits)
}

// editMessage changes the content of a message the bot sent to a channel;
// an unknown message is 404 with code 10008, like Discord.
func (a *API) editMessage(w http.ResponseWriter, r *http.Request, channel, id string) {
	var o struct {
		Content *string `json:"content"`
	}
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o.Content == nil || len([]rune(*o.Content)) > 2000 {
		writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body"})
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.sent {
		m := &a.sent[i]
		if m.Kind == "channel" && m.ChannelID == channel && m.ID == id {
			m.Content = *o.Content
			a.edits = append(a.edits, Sent{ID: id, Kind: "edit", ChannelID: channel, Content: *o.Content, At: time.Now()})
			writeJSON(w, 200, a.messageJSON(*m))
			return
		}
	}
	writeError(w, Failure{Status: 404, Code: 10008, Message: "Unknown Message"})
}

func (a *API) followup(w http.ResponseWriter, r *http.Request, token string, wait bool) {
	a.mu.Lock()
	it := a.interactions[token]
	a.mu.Unlock()
	switch {
	case it == nil || !it.acked:
		writeError(w, Failure{Status: 404, Code: 10015, Message: "Unknown Webhook"})
		return
	case it.expired || time.Since(it.created) > 15*time.Minute:
		writeError(w, Failure{Status: 401, Code: 50027, Message: "Invalid Webhook Token"})
		return
	}
	_, s, ok := decode(w, r)
	if !ok {
		return
	}
	a.mu.Lock()
	s.Kind, s.ChannelID, s.InteractionID, s.ID = "followup", it.channelID, it.id, a.newID()
	a.sent = append(a.sent, s)
	msg := a.messageJSON(s)
	a.mu.Unlock()
	if !wait {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, 200, msg)
}

func (a *API) putCommands(w http.ResponseWriter, r *http.Request, guild string) {
	var cmds []Command
	if r.Method == "POST" {
		var c Command
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
			writeError(w, Failure{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."})
			return
		}
		cmds = []Command{c}
	} else if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		writeError(w, Failure{Status: 400, Code: 50109, Message: "The request body contains invalid JSON."})
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range cmds {
		// Context-menu commands (types 2 and 3) have an empty description;
		// slash commands need one.
		if cmds[i].Name == "" || cmds[i].Description == "" && cmds[i].Type != 2 && cmds[i].Type != 3 {
			writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body"})
			return
		}
		cmds[i].ID, cmds[i].GuildID = a.newID(), guild
	}
	if r.Method == "POST" {
		a.commands[guild] = append(a.commands[guild], cmds...)
		writeJSON(w, 201, cmds[0])
		return
	}
	a.commands[guild] = cmds
	writeJSON(w, 200, cmds)
}

// messageJSON is the Message object Discord returns for s. a.mu is held.
func (a *API) messageJSON(s Sent) map[string]any {
	m := map[string]any{
		"id": s.ID, "channel_id": s.ChannelID, "author": a.bot, "content": s.Content,
		"timestamp": s.At.UTC().Format(time.RFC3339Nano), "edited_timestamp": nil, "tts": false,
		"mention_everyone": false, "mentions": []any{}, "mention_roles": []any{}, "attachments": []any{},
		"embeds": []any{}, "pinned": false, "type": 0, "flags": 0, "components": []any{},
	}
	if s.Nonce != "" {
		m["nonce"] = s.Nonce
	}
	if s.ReplyTo != "" {
		m["type"] = 19
		m["message_reference"] = map[string]any{"message_id": s.ReplyTo, "channel_id": s.ChannelID}
	}
	if s.Kind == "followup" {
		m["webhook_id"] = a.appID
		m["application_id"] = a.appID
	}
	return m
}

// openDM answers POST /users/@me/channels like Discord: the DM channel with
// recipient_id, the same one on every call.
func (a *API) openDM(w http.ResponseWriter, r *http.Request) {
	var body struct {
		RecipientID string `json:"recipient_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.RecipientID == "" {
		writeError(w, Failure{Status: 400, Code: 50035, Message: "Invalid Form Body"})
		return
	}
	a.mu.Lock()
	id := a.dms[body.RecipientID]
	if id == "" {
		id = "9" + a.newID()
		a.dms[body.RecipientID] = id
	}
	a.mu.Unlock()
	writeJSON(w, 200, map[string]any{"id": id, "type": 1, "last_message_id": nil,
		"recipients": []map[string]any{{"id": body.RecipientID}}})
}

// DMChannel returns the DM channel opened with user, or "".
func (a *API) DMChannel(user string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dms[user]
}
