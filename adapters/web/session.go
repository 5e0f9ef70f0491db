package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// sessionNamespace is the core.Store namespace of web sessions. Keys are the
// hex SHA-256 of the token; the raw token is never stored.
const sessionNamespace = "web_session"

// tokenBytes is the entropy of a session token: 256 bits.
const tokenBytes = 32

// errNoSession means the request carries no token, a malformed one, or one
// that is unknown or expired. The client should start a new session.
var errNoSession = errors.New("no valid session")

// session is what the store keeps per session token.
type session struct {
	Chat      string    `json:"chat"`
	Created   time.Time `json:"created"`
	Refreshed time.Time `json:"refreshed"`
}

// newToken returns a fresh random session token, base64url without padding.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("web: read random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken returns the SHA-256 of the token, which is what identifies the
// session in the store (hex of all of it) and in the conversation key (hex of
// its first 16 bytes).
func hashToken(token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token))
}

// wellFormedToken reports whether token could have been made by newToken, so
// that garbage is rejected without a store lookup.
func wellFormedToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// conversationKey returns the conversation of the session whose token hashes to h.
func conversationKey(h [sha256.Size]byte) core.ConversationKey {
	chat := hex.EncodeToString(h[:16])
	return core.ConversationKey{Platform: Platform, Chat: chat, User: chat}
}

// createSession issues a new token, stores its hash and returns the token.
func (a *Adapter) createSession(ctx context.Context) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	h := hashToken(token)
	now := a.now()
	rec, err := json.Marshal(session{Chat: conversationKey(h).Chat, Created: now, Refreshed: now})
	if err != nil {
		return "", fmt.Errorf("web: encode session: %w", err)
	}
	if err := a.store.Put(ctx, sessionNamespace, hex.EncodeToString(h[:]), rec, a.cfg.SessionTTL); err != nil {
		return "", fmt.Errorf("web: store session: %w", err)
	}
	return token, nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header,
// or, when allowQuery is true and there is no such header, the "token" query
// parameter (EventSource cannot set headers).
func bearerToken(r *http.Request, allowQuery bool) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, tok, ok := strings.Cut(auth, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return ""
		}
		return strings.TrimSpace(tok)
	}
	if allowQuery {
		return r.URL.Query().Get("token")
	}
	return ""
}

// authenticate returns the conversation of the request's session. It returns
// an error wrapping errNoSession when the token is missing, malformed, unknown
// or expired, and another error when the store failed.
func (a *Adapter) authenticate(ctx context.Context, r *http.Request, allowQuery bool) (core.ConversationKey, error) {
	token := bearerToken(r, allowQuery)
	if token == "" {
		return core.ConversationKey{}, fmt.Errorf("missing bearer token: %w", errNoSession)
	}
	if !wellFormedToken(token) {
		return core.ConversationKey{}, fmt.Errorf("malformed token: %w", errNoSession)
	}
	h := hashToken(token)
	id := hex.EncodeToString(h[:])
	raw, err := a.store.Get(ctx, sessionNamespace, id)
	if errors.Is(err, core.ErrNotFound) {
		return core.ConversationKey{}, fmt.Errorf("unknown or expired token: %w", errNoSession)
	}
	if err != nil {
		return core.ConversationKey{}, fmt.Errorf("web: load session: %w", err)
	}
	var s session
	if err := json.Unmarshal(raw, &s); err != nil {
		return core.ConversationKey{}, fmt.Errorf("web: decode session: %w", err)
	}
	key := conversationKey(h)
	if s.Chat != key.Chat {
		return core.ConversationKey{}, errors.New("web: session record does not match its token")
	}
	a.maybeRefresh(ctx, id, s)
	return key, nil
}

// maybeRefresh extends a session in use once half of its TTL has passed, so
// an active customer is not logged out, at the cost of one write per half TTL.
// A failed refresh is logged, not returned: the session is still valid.
func (a *Adapter) maybeRefresh(ctx context.Context, id string, s session) {
	now := a.now()
	if now.Sub(s.Refreshed) < a.cfg.SessionTTL/2 {
		return
	}
	s.Refreshed = now
	rec, err := json.Marshal(s)
	if err == nil {
		err = a.store.Put(ctx, sessionNamespace, id, rec, a.cfg.SessionTTL)
	}
	if err != nil {
		a.logger.WarnContext(ctx, "web: refresh session", "err", err)
	}
}
