package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-gw/switchboard/core"
)

// sessionNamespace is the core.Store namespace of web sessions in use. Keys
// are the hex SHA-256 of the token; the raw token is never stored.
const sessionNamespace = "web_session"

// Session tokens are stateless until used (issue 14: creating a session must
// cost nothing, or anyone can fill the disk):
//
//	token = base64url(version(1) | key id(4) | issued unix s(8) | random(16) | mac(16))
//	mac   = HMAC-SHA256(key, version | key id | issued | random)[:16]
//
// POST /api/web/session only signs a token; nothing is written. The first
// message of the conversation writes the session record (sessionNamespace,
// with Config.SessionTTL, refreshed while in use). A token that was never
// used is valid for Config.UnusedSessionTTL after it was issued, checked by
// its MAC and issue time alone. The HMAC keys are kept in the store (see
// keyring) and rotated every UnusedSessionTTL.
const (
	tokenVersion  = 1
	tokenRandom   = 16
	tokenMAC      = 16
	tokenSigned   = 1 + 4 + 8 + tokenRandom
	tokenBytes    = tokenSigned + tokenMAC
	legacyBytes   = 32 // random tokens of earlier versions, valid while their record lives
	maxFutureSkew = time.Minute
)

// errNoSession means the request carries no token, a malformed one, or one
// that is unknown or expired. The client should start a new session.
var errNoSession = errors.New("no valid session")

// errUnknownKey means a token was signed by a key that is unknown or retired.
var errUnknownKey = fmt.Errorf("token signed by an unknown or retired key: %w", errNoSession)

// session is what the store keeps per session token.
type session struct {
	Chat      string    `json:"chat"`
	Created   time.Time `json:"created"`
	Refreshed time.Time `json:"refreshed"`
}

// authSession is an authenticated request's session.
type authSession struct {
	key       core.ConversationKey
	id        string    // hex SHA-256 of the token: the record's key
	persisted bool      // the record exists (the session was used)
	issued    time.Time // of a stateless token; zero for a persisted one
}

// hashToken returns the SHA-256 of the token, which is what identifies the
// session in the store (hex of all of it) and in the conversation key (hex of
// its first 16 bytes).
func hashToken(token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(token))
}

// decodeToken returns the raw bytes of a token that could have been issued
// by this or an earlier version, so that garbage is rejected without a store
// lookup.
func decodeToken(token string) ([]byte, bool) {
	if n := len(token); n != base64.RawURLEncoding.EncodedLen(tokenBytes) && n != base64.RawURLEncoding.EncodedLen(legacyBytes) {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	return raw, err == nil
}

// conversationKey returns the conversation of the session whose token hashes to h.
func conversationKey(h [sha256.Size]byte) core.ConversationKey {
	chat := hex.EncodeToString(h[:16])
	return core.ConversationKey{Platform: Platform, Chat: chat, User: chat}
}

// createSession signs a new token with the current key. It writes nothing
// but, once per key rotation, the keyring.
func (a *Adapter) createSession(ctx context.Context) (string, error) {
	now := a.now()
	k, err := a.keys.current(ctx, now)
	if err != nil {
		return "", err
	}
	b := make([]byte, tokenSigned, tokenBytes)
	b[0] = tokenVersion
	binary.BigEndian.PutUint32(b[1:5], k.ID)
	binary.BigEndian.PutUint64(b[5:13], uint64(now.Unix()))
	if _, err := rand.Read(b[13:tokenSigned]); err != nil {
		return "", fmt.Errorf("web: read random token: %w", err)
	}
	b = append(b, tokenMACOf(k.Secret, b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenMACOf(secret, signed []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(signed)
	return m.Sum(nil)[:tokenMAC]
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

// authenticate returns the session of the request. A token whose record
// exists is valid (and refreshed when half its TTL has passed); otherwise it
// must carry a valid MAC of a known key and be younger than
// UnusedSessionTTL. It returns an error wrapping errNoSession when the token
// is missing, malformed, forged, unknown or expired, and another error when
// the store failed.
func (a *Adapter) authenticate(ctx context.Context, r *http.Request, allowQuery bool) (authSession, error) {
	token := bearerToken(r, allowQuery)
	if token == "" {
		return authSession{}, fmt.Errorf("missing bearer token: %w", errNoSession)
	}
	raw, ok := decodeToken(token)
	if !ok {
		return authSession{}, fmt.Errorf("malformed token: %w", errNoSession)
	}
	now := a.now()
	var issued time.Time
	if len(raw) == tokenBytes {
		// Check the MAC first: a token forged under a known key costs no
		// store read. A token whose key was retired may still belong to a
		// session in use: its record decides below.
		var err error
		if issued, err = a.verifyToken(ctx, raw, now); err != nil && !errors.Is(err, errUnknownKey) {
			return authSession{}, err
		}
	}
	h := hashToken(token)
	s := authSession{key: conversationKey(h), id: hex.EncodeToString(h[:]), issued: issued}
	rec, err := a.store.Get(ctx, sessionNamespace, s.id)
	switch {
	case errors.Is(err, core.ErrNotFound):
		if issued.IsZero() || now.Sub(issued) > a.cfg.UnusedSessionTTL {
			return authSession{}, fmt.Errorf("unknown or expired token: %w", errNoSession)
		}
		return s, nil
	case err != nil:
		return authSession{}, fmt.Errorf("web: load session: %w", err)
	}
	var sess session
	if err := json.Unmarshal(rec, &sess); err != nil {
		return authSession{}, fmt.Errorf("web: decode session: %w", err)
	}
	if sess.Chat != s.key.Chat {
		return authSession{}, errors.New("web: session record does not match its token")
	}
	s.persisted = true
	a.maybeRefresh(ctx, s.id, sess)
	return s, nil
}

// verifyToken checks the version, MAC and issue time of a signed token and
// returns the issue time. It returns an error wrapping errUnknownKey when
// the token's key is unknown or retired (only a stored session can then make
// it valid), and one wrapping errNoSession when it is forged or malformed.
func (a *Adapter) verifyToken(ctx context.Context, raw []byte, now time.Time) (time.Time, error) {
	if raw[0] != tokenVersion {
		return time.Time{}, fmt.Errorf("unknown token version: %w", errNoSession)
	}
	k, err := a.keys.lookup(ctx, binary.BigEndian.Uint32(raw[1:5]), now)
	if err != nil {
		return time.Time{}, err // errUnknownKey, or the store failed
	}
	if !hmac.Equal(raw[tokenSigned:], tokenMACOf(k.Secret, raw[:tokenSigned])) {
		return time.Time{}, fmt.Errorf("token signature does not match: %w", errNoSession)
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[5:13])), 0)
	if issued.After(now.Add(maxFutureSkew)) {
		return time.Time{}, fmt.Errorf("token issued in the future: %w", errNoSession)
	}
	return issued, nil
}

// persistSession writes the record of a session at its first message; from
// then on it lives for SessionTTL after its last refresh. Writing it again
// (two first messages at once) is harmless.
func (a *Adapter) persistSession(ctx context.Context, s authSession) error {
	now := a.now()
	rec, err := json.Marshal(session{Chat: s.key.Chat, Created: s.issued, Refreshed: now})
	if err != nil {
		return fmt.Errorf("web: encode session: %w", err)
	}
	if err := a.store.Put(ctx, sessionNamespace, s.id, rec, a.cfg.SessionTTL); err != nil {
		return fmt.Errorf("web: store session: %w", err)
	}
	return nil
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
