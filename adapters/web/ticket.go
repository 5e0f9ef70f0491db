package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Event-stream tickets keep the long-lived session token out of URLs
// (EventSource cannot send an Authorization header, so the token would
// otherwise sit in proxy and access logs). POST /api/web/ticket, with the
// session's bearer token, returns a ticket valid for ticketTTL and for one
// stream; GET /api/web/events?ticket=… accepts it.
//
//	ticket = base64url(version(1) | key id(4) | expires unix s(8) | random(8) | session hash(32) | mac(16))
const (
	ticketVersion  = 1
	ticketTTL      = time.Minute
	ticketSigned   = 1 + 4 + 8 + 8 + 32
	ticketBytes    = ticketSigned + tokenMAC
	maxUsedTickets = 100_000
)

// usedTickets remembers used tickets until they expire, so that each opens
// one stream. Safe for concurrent use.
type usedTickets struct {
	mu   sync.Mutex
	used map[[8]byte]time.Time // by the ticket's random part
}

// use marks the ticket used and reports whether it was unused. When the set
// is full of live entries it refuses (the page falls back to a new ticket
// after the error).
func (u *usedTickets) use(id [8]byte, expires, now time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.used == nil {
		u.used = make(map[[8]byte]time.Time)
	}
	if _, ok := u.used[id]; ok {
		return false
	}
	if len(u.used) >= maxUsedTickets {
		for k, exp := range u.used {
			if !now.Before(exp) {
				delete(u.used, k)
			}
		}
		if len(u.used) >= maxUsedTickets {
			return false
		}
	}
	u.used[id] = expires
	return true
}

// serveTicket issues an event-stream ticket for the request's session.
func (a *Adapter) serveTicket(w http.ResponseWriter, r *http.Request) {
	sess, ok := a.auth(w, r, false)
	if !ok {
		return
	}
	t, err := a.newTicket(r.Context(), sess)
	if err != nil {
		a.logger.ErrorContext(r.Context(), "web: issue ticket", "err", err)
		writeError(w, statusFor(err), "could not issue a ticket, please retry")
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"ticket": t, "expires_in": int(ticketTTL / time.Second)})
}

func (a *Adapter) newTicket(ctx context.Context, s authSession) (string, error) {
	now := a.now()
	k, err := a.keys.current(ctx, now)
	if err != nil {
		return "", err
	}
	id, err := hex.DecodeString(s.id)
	if err != nil || len(id) != 32 {
		return "", errors.New("web: bad session id")
	}
	b := make([]byte, ticketSigned, ticketBytes)
	b[0] = ticketVersion
	binary.BigEndian.PutUint32(b[1:5], k.ID)
	binary.BigEndian.PutUint64(b[5:13], uint64(now.Add(ticketTTL).Unix()))
	if _, err := rand.Read(b[13:21]); err != nil {
		return "", fmt.Errorf("web: read random ticket: %w", err)
	}
	copy(b[21:53], id)
	b = append(b, tokenMACOf(k.Secret, b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// authTicket returns the session of a ticket and uses it up. It returns an
// error wrapping errNoSession when the ticket is malformed, forged, expired
// or used, or its session no longer valid.
func (a *Adapter) authTicket(ctx context.Context, ticket string) (authSession, error) {
	raw, err := base64.RawURLEncoding.DecodeString(ticket)
	if err != nil || len(raw) != ticketBytes || raw[0] != ticketVersion {
		return authSession{}, fmt.Errorf("malformed ticket: %w", errNoSession)
	}
	now := a.now()
	k, err := a.keys.lookup(ctx, binary.BigEndian.Uint32(raw[1:5]), now)
	if err != nil {
		return authSession{}, err
	}
	if !hmac.Equal(raw[ticketSigned:], tokenMACOf(k.Secret, raw[:ticketSigned])) {
		return authSession{}, fmt.Errorf("ticket signature does not match: %w", errNoSession)
	}
	expires := time.Unix(int64(binary.BigEndian.Uint64(raw[5:13])), 0)
	if !now.Before(expires) {
		return authSession{}, fmt.Errorf("ticket expired: %w", errNoSession)
	}
	var rnd [8]byte
	copy(rnd[:], raw[13:21])
	if !a.tickets.use(rnd, expires, now) {
		return authSession{}, fmt.Errorf("ticket already used: %w", errNoSession)
	}
	var h [32]byte
	copy(h[:], raw[21:53])
	s := authSession{key: conversationKey(h), id: hex.EncodeToString(h[:])}
	// The session was valid when the ticket was issued, a minute ago at
	// most; a stored session must still exist.
	if _, err := a.store.Get(ctx, sessionNamespace, s.id); err == nil {
		s.persisted = true
	}
	return s, nil
}
