// Package wechat is a fake of the WeChat Official Account platform for tests
// and for `switchboard bench`. It has two halves:
//
//   - Server, an httptest server that behaves like https://api.weixin.qq.com
//     for the calls Switchboard makes: /cgi-bin/token, /cgi-bin/stable_token
//     and /cgi-bin/message/custom/send. Like WeChat it answers errors with
//     HTTP 200 and a JSON body {"errcode": N, "errmsg": "..."}; it records
//     every customer-service message with its openid and can be told to fail
//     the next N sends with an errcode (40001, 45015, ...).
//   - Pusher, WeChat's side of the webhook: it builds signed (and, in
//     compatible and safe mode, encrypted) message pushes and URL checks, and
//     decodes and verifies passive replies.
//
// Its crypto (crypto.go) is written from the published algorithm with the
// standard library only, independently of the silenceper SDK the adapter
// uses. Everything here is safe for concurrent use.
package wechat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// Endpoints of the fake API, as Calls counts them.
const (
	EndpointToken       = "/cgi-bin/token"
	EndpointStableToken = "/cgi-bin/stable_token"
	EndpointCustomSend  = "/cgi-bin/message/custom/send"
)

// Options configure NewServer. AppID and AppSecret are required for token
// calls to succeed; zero durations and sizes take the defaults.
type Options struct {
	AppID     string
	AppSecret string
	// TokenTTL is the expires_in of issued tokens (default 7200 s).
	TokenTTL time.Duration
	// MaxTextBytes is the longest text content custom/send accepts before it
	// answers 45002 (default 2048).
	MaxTextBytes int
}

// Sent is one customer-service message the fake accepted.
type Sent struct {
	OpenID  string
	MsgType string
	Text    string
	At      time.Time
}

// Server is a running fake WeChat API. Create it with NewServer and Close it
// when done.
type Server struct {
	// URL is the base URL to configure as the adapter's api_url.
	URL string

	srv  *httptest.Server
	opts Options

	mu         sync.Mutex
	tokens     map[string]tokenInfo // issued access tokens
	stable     string               // the current stable_token
	failNext   []failure
	sent       []Sent
	calls      map[string]int
	changed    chan struct{} // closed and replaced whenever sent grows
	lastForced time.Time
}

type tokenInfo struct {
	expires time.Time
	stable  bool // from stable_token, which is isolated from /cgi-bin/token
}

type failure struct {
	pass    bool // let this call through
	status  int  // HTTP status; 0 means 200 with errcode
	errcode int
	errmsg  string
}

// NewServer starts a fake WeChat API on a local port.
func NewServer(opts Options) *Server {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 7200 * time.Second
	}
	if opts.MaxTextBytes <= 0 {
		opts.MaxTextBytes = 2048
	}
	s := &Server{
		opts:    opts,
		tokens:  make(map[string]tokenInfo),
		calls:   make(map[string]int),
		changed: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc(EndpointToken, s.serveToken)
	mux.HandleFunc(EndpointStableToken, s.serveStableToken)
	mux.HandleFunc(EndpointCustomSend, s.serveCustomSend)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeErr(w, 40066, "invalid url")
	})
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down; later calls fail with connection errors.
func (s *Server) Close() { s.srv.Close() }

// FailNext makes the next n calls to custom/send answer HTTP 200 with
// errcode and errmsg (e.g. 40001 to test token refresh, 45015 for the
// 48-hour window). Failures queue up after earlier ones.
func (s *Server) FailNext(n, errcode int, errmsg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, failure{errcode: errcode, errmsg: errmsg})
	}
}

// FailNextHTTP makes the next n calls to custom/send answer with the HTTP
// status and a plain-text body, as a broken proxy in front of WeChat would.
func (s *Server) FailNextHTTP(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, failure{status: status})
	}
}

// PassNext queues n calls to custom/send that succeed as usual, so that a
// following FailNext hits a later call (e.g. the second part of a long text).
func (s *Server) PassNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failNext = append(s.failNext, failure{pass: true})
	}
}

// ExpireTokens makes every issued access token expired, so that the next
// custom/send answers 42001 until a new token is fetched.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := time.Now().Add(-time.Second)
	for t, info := range s.tokens {
		s.tokens[t] = tokenInfo{expires: past, stable: info.stable}
	}
}

// InvalidateTokens makes every issued access token invalid, so that the
// next custom/send answers 40001 until a new token is fetched.
func (s *Server) InvalidateTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	s.stable = ""
}

// IssuedToken reports whether tok was ever issued and is still valid; tests
// use it to know the secret they must not find in logs.
func (s *Server) IssuedToken(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tok]
	return ok && time.Now().Before(t.expires)
}

// Tokens returns every access token issued so far that is still valid.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for t := range s.tokens {
		out = append(out, t)
	}
	return out
}

// Calls returns how many requests reached endpoint (EndpointToken, ...).
func (s *Server) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// Sent returns a copy of every accepted customer-service message, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns the accepted messages for one openid, in order.
func (s *Server) SentTo(openID string) []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Sent
	for _, m := range s.sent {
		if m.OpenID == openID {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until at least n messages were accepted and returns them
// all, or returns an error when ctx is done first.
func (s *Server) WaitSent(ctx context.Context, n int) ([]Sent, error) {
	for {
		s.mu.Lock()
		if len(s.sent) >= n {
			out := append([]Sent(nil), s.sent...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		got := len(s.sent)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("fake wechat: %d of %d messages sent: %w", got, n, ctx.Err())
		}
	}
}

func (s *Server) count(endpoint string) {
	s.mu.Lock()
	s.calls[endpoint]++
	s.mu.Unlock()
}

// issue mints a new access token of one kind; the caller holds s.mu. Like
// WeChat, older tokens of the same kind stay valid for five more minutes.
func (s *Server) issue(now time.Time, stable bool) string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	tok := "FAKE" + hex.EncodeToString(b)
	for t, info := range s.tokens {
		if info.stable == stable && info.expires.After(now.Add(5*time.Minute)) {
			s.tokens[t] = tokenInfo{expires: now.Add(5 * time.Minute), stable: stable}
		}
	}
	s.tokens[tok] = tokenInfo{expires: now.Add(s.opts.TokenTTL), stable: stable}
	return tok
}

func (s *Server) credentialsOK(w http.ResponseWriter, appID, secret string) bool {
	switch {
	case appID != s.opts.AppID || appID == "":
		writeErr(w, 40013, "invalid appid")
		return false
	case secret != s.opts.AppSecret || secret == "":
		writeErr(w, 40125, "invalid appsecret")
		return false
	}
	return true
}

func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.count(EndpointToken)
	if r.Method != http.MethodGet {
		writeErr(w, 43001, "require GET method")
		return
	}
	q := r.URL.Query()
	if q.Get("grant_type") != "client_credential" {
		writeErr(w, 40002, "invalid grant_type")
		return
	}
	if !s.credentialsOK(w, q.Get("appid"), q.Get("secret")) {
		return
	}
	s.mu.Lock()
	tok := s.issue(time.Now(), false)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"access_token": tok, "expires_in": int(s.opts.TokenTTL / time.Second)})
}

func (s *Server) serveStableToken(w http.ResponseWriter, r *http.Request) {
	s.count(EndpointStableToken)
	if r.Method != http.MethodPost {
		writeErr(w, 43002, "require POST method")
		return
	}
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
		writeErr(w, 47001, "data format error")
		return
	}
	if req.GrantType != "client_credential" {
		writeErr(w, 40002, "invalid grant_type")
		return
	}
	if !s.credentialsOK(w, req.AppID, req.Secret) {
		return
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, valid := s.tokens[s.stable]
	valid = valid && now.Before(cur.expires)
	switch {
	case req.ForceRefresh && valid && now.Sub(s.lastForced) < 30*time.Second:
		writeErr(w, 45011, "api minute-quota reach limit  mustslower  retry next minute")
		return
	case req.ForceRefresh || !valid:
		if req.ForceRefresh {
			s.lastForced = now
		}
		s.stable = s.issue(now, true)
	}
	left := s.tokens[s.stable].expires.Sub(now)
	writeJSON(w, map[string]any{"access_token": s.stable, "expires_in": int(left / time.Second)})
}

func (s *Server) serveCustomSend(w http.ResponseWriter, r *http.Request) {
	s.count(EndpointCustomSend)
	if r.Method != http.MethodPost {
		writeErr(w, 43002, "require POST method")
		return
	}
	s.mu.Lock()
	tok, known := s.tokens[r.URL.Query().Get("access_token")]
	var f *failure
	if known && time.Now().Before(tok.expires) && len(s.failNext) > 0 {
		f = &s.failNext[0]
		s.failNext = s.failNext[1:]
	}
	s.mu.Unlock()
	switch {
	case !known:
		writeErr(w, 40001, "invalid credential, access_token is invalid or not latest")
		return
	case !time.Now().Before(tok.expires):
		writeErr(w, 42001, "access_token expired")
		return
	case f != nil && f.pass:
	case f != nil && f.status != 0:
		http.Error(w, http.StatusText(f.status), f.status)
		return
	case f != nil:
		writeErr(w, f.errcode, f.errmsg)
		return
	}
	var msg struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    *struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&msg); err != nil {
		writeErr(w, 47001, "data format error")
		return
	}
	switch {
	case msg.ToUser == "":
		writeErr(w, 40003, "invalid openid")
		return
	case msg.MsgType != "text":
		writeErr(w, 40008, "invalid message type")
		return
	case msg.Text == nil || msg.Text.Content == "":
		writeErr(w, 44004, "empty content")
		return
	case len(msg.Text.Content) > s.opts.MaxTextBytes:
		writeErr(w, 45002, "content size out of limit")
		return
	}
	s.mu.Lock()
	s.sent = append(s.sent, Sent{OpenID: msg.ToUser, MsgType: msg.MsgType, Text: msg.Text.Content, At: time.Now()})
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	writeErr(w, 0, "ok")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers like WeChat: HTTP 200 with errcode and errmsg.
func writeErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, map[string]any{"errcode": code, "errmsg": msg})
}
