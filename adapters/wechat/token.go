package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// TokenNamespace is the core.Store namespace of the cached access token; the
// key is the AppID. Every process of one deployment shares it, so a restart
// or another replica reuses the token instead of fetching a new one.
const TokenNamespace = "wechat_token"

const (
	// tokenMargin: a token is refreshed this long before it expires.
	tokenMargin = 5 * time.Minute
	// forceInterval is WeChat's minimum between two force_refresh calls.
	forceInterval = 30 * time.Second
)

// tokenRecord is the stored form of an access token.
type tokenRecord struct {
	Token   string    `json:"access_token"`
	Expires time.Time `json:"expires_at"`
}

// tokenSource is the one access-token refresher of an app. It keeps the
// token in memory and in the store, fetches a new one from stable_token
// only when both are missing, about to expire, or rejected by WeChat, and
// lets one caller at a time fetch. It is safe for concurrent use.
type tokenSource struct {
	api   *apiClient
	store core.Store
	appID string
	log   *slog.Logger
	now   func() time.Time
	sem   chan struct{} // held by the one caller that may refresh

	mu         sync.Mutex // guards the fields below
	tok        string
	exp        time.Time
	bad        string // the last token WeChat rejected; never reused
	lastForced time.Time
}

func newTokenSource(api *apiClient, st core.Store, appID string, log *slog.Logger) *tokenSource {
	return &tokenSource{api: api, store: st, appID: appID, log: log, now: time.Now, sem: make(chan struct{}, 1)}
}

// cached returns the in-memory token when it is fresh.
func (s *tokenSource) cached() (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != "" && s.now().Add(tokenMargin).Before(s.exp) {
		return s.tok, true
	}
	return "", false
}

// get returns a valid access token: from memory, else from the store, else
// from WeChat. It returns an error when ctx is done while it waits for
// another caller's refresh, and when WeChat refuses (wrong AppSecret, IP not
// on the whitelist, ...); the error never contains the token or the secret.
func (s *tokenSource) get(ctx context.Context) (string, error) {
	if tok, ok := s.cached(); ok {
		return tok, nil
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return "", fmt.Errorf("wechat: wait for access token: %w", ctx.Err())
	}
	if tok, ok := s.cached(); ok {
		return tok, nil // another caller refreshed it meanwhile
	}
	now := s.now()
	s.mu.Lock()
	bad := s.bad
	force := bad != "" && now.Sub(s.lastForced) >= forceInterval
	s.mu.Unlock()

	if rec, ok := s.load(ctx); ok && rec.Token != bad && now.Add(tokenMargin).Before(rec.Expires) {
		s.set(rec.Token, rec.Expires, false, now)
		return rec.Token, nil
	}
	tok, ttl, err := s.api.stableToken(ctx, force)
	if err != nil && force {
		// Forced refreshes are limited (20 a day); fall back to the
		// current stable token rather than fail.
		s.log.WarnContext(ctx, "wechat: forced access-token refresh failed, fetching without force", "err", err)
		force = false
		tok, ttl, err = s.api.stableToken(ctx, false)
	}
	if err != nil {
		return "", scrub(err, s.api.secret)
	}
	exp := now.Add(ttl)
	s.set(tok, exp, force, now)
	if ttl > tokenMargin {
		b, _ := json.Marshal(tokenRecord{Token: tok, Expires: exp}) // a struct of string and time always marshals
		if err := s.store.Put(ctx, TokenNamespace, s.appID, b, ttl-tokenMargin); err != nil {
			s.log.WarnContext(ctx, "wechat: caching the access token in the store failed", "err", err)
		}
	}
	s.log.InfoContext(ctx, "wechat: fetched a new access token", "expires_in", ttl, "forced", force)
	return tok, nil
}

func (s *tokenSource) load(ctx context.Context) (tokenRecord, bool) {
	b, err := s.store.Get(ctx, TokenNamespace, s.appID)
	if err != nil {
		if !errors.Is(err, core.ErrNotFound) {
			s.log.WarnContext(ctx, "wechat: reading the cached access token failed", "err", err)
		}
		return tokenRecord{}, false
	}
	var rec tokenRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.Token == "" {
		return tokenRecord{}, false
	}
	return rec, true
}

func (s *tokenSource) set(tok string, exp time.Time, forced bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok, s.exp = tok, exp
	if tok != s.bad {
		s.bad = ""
	}
	if forced {
		s.lastForced = now
	}
}

// invalidate records that WeChat rejected tok (40001, 40014, 42001): the
// next get fetches a new one, with force_refresh when allowed.
func (s *tokenSource) invalidate(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bad = tok
	if s.tok == tok {
		s.tok = ""
	}
}

// isTokenError reports whether WeChat rejected the access token itself.
func isTokenError(code int64) bool {
	return code == 40001 || code == 40014 || code == 42001
}
