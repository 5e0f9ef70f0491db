// Package slack is a fake of the Slack Web API and a builder of signed
// Events API and interactivity payloads, for the Slack adapter's tests and
// `switchboard bench`. It is written from Slack's documentation, with the
// standard library only, so that the adapter (which uses slack-go) is
// checked against an independent implementation.
//
// The fake behaves like Slack where the adapter can tell: it checks the
// bearer token ("not_authed", "invalid_auth"), answers errors as HTTP 200
// with {"ok":false,"error":"…"}, answers rate limiting with HTTP 429, a
// Retry-After header and {"ok":false,"error":"ratelimited"}, and gives every
// posted message a fresh, increasing ts.
package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Defaults of Options.
const (
	DefaultBotUserID = "U0BOT"
	DefaultBotID     = "B0BOT"
	DefaultTeamID    = "T0FAKE"
	DefaultAppID     = "A0FAKE"
)

// Options configure a Server.
type Options struct {
	// Token is the bot token the fake accepts (required).
	Token string
	// AppToken is the app-level token apps.connections.open accepts.
	AppToken string
	// BotUserID, BotID and TeamID are what auth.test reports.
	BotUserID, BotID, TeamID string
	// Users maps user ids to display names for users.info; other ids get
	// "user_not_found".
	Users map[string]string
	// Now is the clock message ts values start from (nil: time.Now); give
	// it the gateway's clock when a test moves time.
	Now func() time.Time
}

// Post is a message accepted by chat.postMessage.
type Post struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Username string
	Blocks   json.RawMessage // as sent, nil without blocks
	// Broadcast is set for a thread reply sent with reply_broadcast: Slack
	// shows it in the channel too.
	Broadcast bool
	// UnfurlLinks and UnfurlMedia are the unfurl_links and unfurl_media
	// arguments as sent ("" when absent: Slack then unfurls).
	UnfurlLinks, UnfurlMedia string
}

// Update is a chat.update call that succeeded.
type Update struct {
	Channel, TS, Text string
	Blocks            json.RawMessage
}

// Ephemeral is a message accepted by chat.postEphemeral.
type Ephemeral struct {
	Channel, User, ThreadTS, Text string
}

type fault struct {
	status     int           // HTTP status; 200 with code for API errors
	code       string        // Slack error code
	retryAfter time.Duration // for 429
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	opts Options
	srv  *httptest.Server
	base int64

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every recorded change
	seq        int64
	posts      []Post
	updates    []Update
	ephemerals []Ephemeral
	calls      map[string]int
	faults     map[string][]*fault // queued per method; nil lets a call through
	missing    map[string]bool
	users      map[string]string
	away       map[string]bool // users.getPresence: "away" for these, "active" for the others
}

// New starts a fake Web API on a loopback port. Close it when done.
func New(opts Options) *Server {
	if opts.BotUserID == "" {
		opts.BotUserID = DefaultBotUserID
	}
	if opts.BotID == "" {
		opts.BotID = DefaultBotID
	}
	if opts.TeamID == "" {
		opts.TeamID = DefaultTeamID
	}
	s := &Server{
		opts: opts, base: time.Now().Unix(), changed: make(chan struct{}),
		calls: map[string]int{}, faults: map[string][]*fault{}, missing: map[string]bool{}, users: map[string]string{}, away: map[string]bool{},
	}
	for id, name := range opts.Users {
		s.users[id] = name
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// APIURL is the base URL to configure as slack.api_url (it ends in "/").
func (s *Server) APIURL() string { return s.srv.URL + "/" }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// BotUserID is the bot's user id reported by auth.test.
func (s *Server) BotUserID() string { return s.opts.BotUserID }

// BotID is the bot id reported by auth.test.
func (s *Server) BotID() string { return s.opts.BotID }

// Posts returns the messages posted so far, in order.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// Updates returns the successful chat.update calls, in order.
func (s *Server) Updates() []Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Update(nil), s.updates...)
}

// Ephemerals returns the ephemeral messages posted so far, in order.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ephemeral(nil), s.ephemerals...)
}

// Calls returns how many requests a method received, failed ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Reset forgets the recorded posts, updates, ephemerals and call counts.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.posts, s.updates, s.ephemerals = nil, nil, nil
	s.calls = map[string]int{}
	s.notifyLocked()
}

// Fail makes the next times calls of method answer {"ok":false,"error":code}
// with HTTP 200, as Slack does for API errors.
func (s *Server) Fail(method, code string, times int) {
	s.addFault(method, fault{status: http.StatusOK, code: code}, times)
}

// RateLimit makes the next times calls of method answer HTTP 429 with a
// Retry-After header of retryAfter (rounded up to whole seconds) and
// {"ok":false,"error":"ratelimited"}.
func (s *Server) RateLimit(method string, retryAfter time.Duration, times int) {
	s.addFault(method, fault{status: http.StatusTooManyRequests, code: "ratelimited", retryAfter: retryAfter}, times)
}

// ServerError makes the next times calls of method answer with an HTTP
// status (e.g. 503) and an HTML body, as Slack's front end does.
func (s *Server) ServerError(method string, status, times int) {
	s.addFault(method, fault{status: status}, times)
}

// FailAt makes the n-th call of method from now (1 is the next one)
// answer {"ok":false,"error":code}; the calls before it are unaffected by it.
func (s *Server) FailAt(method, code string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[method]
	for len(q) < n {
		q = append(q, nil)
	}
	q[n-1] = &fault{status: http.StatusOK, code: code}
	s.faults[method] = q
}

func (s *Server) addFault(method string, f fault, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.faults[method] = append(s.faults[method], &f)
	}
}

// RemoveChannel makes every later post to channel fail with
// "channel_not_found".
func (s *Server) RemoveChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missing[channel] = true
}

// SetUser adds or renames a user for users.info.
func (s *Server) SetUser(id, displayName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[id] = displayName
}

// SetPresence sets what users.getPresence says of a user: "away" when
// away is true, else "active" (the default for every user).
func (s *Server) SetPresence(id string, away bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.away[id] = away
}

// getPresence answers users.getPresence like Slack for another user: only
// "presence" (active or away); unknown users get user_not_found.
func (s *Server) getPresence(w http.ResponseWriter, args map[string]string) {
	s.mu.Lock()
	_, known := s.users[args["user"]]
	away := s.away[args["user"]]
	s.mu.Unlock()
	if !known {
		writeJSON(w, http.StatusOK, apiError("user_not_found"))
		return
	}
	p := "active"
	if away {
		p = "away"
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "presence": p})
}

// WaitPosts waits until cond holds for the posts so far, or timeout
// passes, and returns the posts and whether cond held.
func (s *Server) WaitPosts(timeout time.Duration, cond func([]Post) bool) ([]Post, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		posts := append([]Post(nil), s.posts...)
		ch := s.changed
		s.mu.Unlock()
		if cond(posts) {
			return posts, true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return posts, false
		}
	}
}

func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextTS returns a fresh message ts, increasing like Slack's.
func (s *Server) nextTSLocked() string {
	s.seq++
	if s.opts.Now != nil {
		// Follow the test's clock, never going back.
		s.base = max(s.base, s.opts.Now().Unix()-s.seq/1e6)
	}
	return fmt.Sprintf("%d.%06d", s.base+s.seq/1e6, s.seq%1e6)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/")
	s.mu.Lock()
	s.calls[method]++
	s.mu.Unlock()
	args, err := readArgs(r)
	if err != nil {
		writeJSON(w, http.StatusOK, apiError("invalid_form_data"))
		return
	}

	handler, known := map[string]func(http.ResponseWriter, map[string]string){
		"auth.test":             s.authTest,
		"chat.postMessage":      s.postMessage,
		"chat.update":           s.update,
		"chat.postEphemeral":    s.postEphemeral,
		"chat.getPermalink":     s.getPermalink,
		"users.info":            s.usersInfo,
		"users.getPresence":     s.getPresence,
		"apps.connections.open": s.connectionsOpen,
	}[method]
	if !known {
		writeJSON(w, http.StatusNotFound, apiError("unknown_method"))
		return
	}
	want := s.opts.Token
	if method == "apps.connections.open" {
		want = s.opts.AppToken
	}
	switch tok := token(r, args); {
	case tok == "":
		writeJSON(w, http.StatusOK, apiError("not_authed"))
		return
	case want == "" || tok != want:
		writeJSON(w, http.StatusOK, apiError("invalid_auth"))
		return
	}
	s.mu.Lock()
	var f *fault
	if q := s.faults[method]; len(q) > 0 {
		f, s.faults[method] = q[0], q[1:]
	}
	s.mu.Unlock()
	if f != nil {
		switch {
		case f.status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.retryAfter.Seconds()))))
			writeJSON(w, f.status, apiError(f.code))
		case f.status != http.StatusOK:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(f.status)
			fmt.Fprintf(w, "<html><body>%d</body></html>", f.status)
		default:
			writeJSON(w, http.StatusOK, apiError(f.code))
		}
		return
	}
	handler(w, args)
}

func (s *Server) authTest(w http.ResponseWriter, _ map[string]string) {
	writeJSON(w, http.StatusOK, map[string]any{
		"ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "switchboard",
		"team_id": s.opts.TeamID, "user_id": s.opts.BotUserID, "bot_id": s.opts.BotID, "is_enterprise_install": false,
	})
}

// checkMessage returns the error Slack gives for a bad message, or "".
func (s *Server) checkMessageLocked(args map[string]string) string {
	switch {
	case args["channel"] == "":
		return "channel_not_found"
	case s.missing[args["channel"]]:
		return "channel_not_found"
	case args["text"] == "" && args["blocks"] == "" && args["attachments"] == "":
		return "no_text"
	case len([]rune(args["text"])) > 40000:
		return "msg_too_long"
	case args["blocks"] != "" && !json.Valid([]byte(args["blocks"])):
		return "invalid_blocks_format"
	}
	return ""
}

func (s *Server) postMessage(w http.ResponseWriter, args map[string]string) {
	s.mu.Lock()
	if code := s.checkMessageLocked(args); code != "" {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, apiError(code))
		return
	}
	p := Post{Channel: args["channel"], TS: s.nextTSLocked(), ThreadTS: args["thread_ts"], Text: args["text"], Username: args["username"],
		Broadcast:   args["reply_broadcast"] == "true" && args["thread_ts"] != "",
		UnfurlLinks: args["unfurl_links"], UnfurlMedia: args["unfurl_media"]}
	if b := args["blocks"]; b != "" {
		p.Blocks = json.RawMessage(b)
	}
	s.posts = append(s.posts, p)
	s.notifyLocked()
	s.mu.Unlock()
	msg := map[string]any{"type": "message", "text": p.Text, "user": s.opts.BotUserID, "bot_id": s.opts.BotID, "ts": p.TS, "team": s.opts.TeamID}
	if p.ThreadTS != "" {
		msg["thread_ts"] = p.ThreadTS
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": p.Channel, "ts": p.TS, "message": msg})
}

func (s *Server) update(w http.ResponseWriter, args map[string]string) {
	s.mu.Lock()
	found := false
	for _, p := range s.posts {
		if p.Channel == args["channel"] && p.TS == args["ts"] {
			found = true
			break
		}
	}
	code := s.checkMessageLocked(args)
	if code == "" && !found {
		code = "message_not_found"
	}
	if code != "" {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, apiError(code))
		return
	}
	u := Update{Channel: args["channel"], TS: args["ts"], Text: args["text"]}
	if b := args["blocks"]; b != "" {
		u.Blocks = json.RawMessage(b)
	}
	s.updates = append(s.updates, u)
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": u.Channel, "ts": u.TS, "text": u.Text})
}

func (s *Server) postEphemeral(w http.ResponseWriter, args map[string]string) {
	s.mu.Lock()
	code := s.checkMessageLocked(args)
	if code == "" && args["user"] == "" {
		code = "user_not_in_channel"
	}
	if code != "" {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, apiError(code))
		return
	}
	e := Ephemeral{Channel: args["channel"], User: args["user"], ThreadTS: args["thread_ts"], Text: args["text"]}
	s.ephemerals = append(s.ephemerals, e)
	ts := s.nextTSLocked()
	s.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message_ts": ts})
}

// getPermalink answers chat.getPermalink for a message the fake holds,
// in Slack's format (https://<domain>.slack.com/archives/<channel>/p<ts
// without the dot>).
func (s *Server) getPermalink(w http.ResponseWriter, args map[string]string) {
	ch, ts := args["channel"], args["message_ts"]
	if ch == "" || ts == "" {
		writeJSON(w, http.StatusOK, apiError("invalid_arguments"))
		return
	}
	s.mu.Lock()
	found := false
	for _, p := range s.posts {
		found = found || (p.Channel == ch && p.TS == ts)
	}
	s.mu.Unlock()
	if !found {
		writeJSON(w, http.StatusOK, apiError("message_not_found"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch,
		"permalink": "https://fake.slack.com/archives/" + ch + "/p" + strings.ReplaceAll(ts, ".", "")})
}

func (s *Server) usersInfo(w http.ResponseWriter, args map[string]string) {
	s.mu.Lock()
	name, ok := s.users[args["user"]]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusOK, apiError("user_not_found"))
		return
	}
	id := args["user"]
	handle := strings.ToLower(strings.ReplaceAll(name, " ", "."))
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "user": map[string]any{
		"id": id, "team_id": s.opts.TeamID, "name": handle, "deleted": false, "real_name": name, "is_bot": false,
		"profile": map[string]any{"real_name": name, "real_name_normalized": name, "display_name": name,
			"display_name_normalized": name, "team": s.opts.TeamID},
	}})
}

// connectionsOpen answers apps.connections.open. The fake has no
// websocket endpoint; it answers with a URL that refuses connections.
func (s *Server) connectionsOpen(w http.ResponseWriter, _ map[string]string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "ws://127.0.0.1:1/link"})
}

// readArgs reads a Web API call's arguments from a form (query or body) or
// a JSON body; JSON values that are not strings are kept as JSON text.
func readArgs(r *http.Request) (map[string]string, error) {
	args := map[string]string{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]json.RawMessage
		err := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20)).Decode(&m)
		if err != nil && !errors.Is(err, io.EOF) { // an empty body has no arguments
			return nil, err
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				args[k] = s
			} else {
				args[k] = string(v)
			}
		}
		for k, v := range r.URL.Query() {
			args[k] = v[0]
		}
		return args, nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k, v := range r.Form {
		args[k] = v[0]
	}
	return args, nil
}

// token returns the bearer token, or the legacy token argument.
func token(r *http.Request, args map[string]string) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	return args["token"]
}

func apiError(code string) map[string]any { return map[string]any{"ok": false, "error": code} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
