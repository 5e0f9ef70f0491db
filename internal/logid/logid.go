// Package logid keeps platform user ids out of the log at info level and
// above: a slog.Handler wrapper replaces the values of the attributes that
// carry them (conversation keys, chat and user ids, OpenIDs, and message
// ids, which embed them on some platforms) by a keyed hash, "id:" and 16
// hex digits of HMAC-SHA256. The same id gives the same hash for the life of
// the process (the key is random per process), so one customer's lines can
// still be followed; at debug level the values are logged as they are.
package logid

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
)

// Keys are the attribute keys whose string values are hashed.
var Keys = []string{"conversation", "user", "user_id", "chat", "chat_id", "openid", "about", "message", "message_id", "reply"}

// Handler hashes the id attributes of records at Info and above.
type Handler struct {
	next slog.Handler
	key  []byte
	keys map[string]bool
}

// New wraps next. key is the HMAC key; nil means 32 random bytes.
func New(next slog.Handler, key []byte) *Handler {
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	}
	h := &Handler{next: next, key: key, keys: map[string]bool{}}
	for _, k := range Keys {
		h.keys[k] = true
	}
	return h
}

// Hash returns the keyed hash an id is logged as.
func (h *Handler) Hash(id string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(id))
	return "id:" + hex.EncodeToString(m.Sum(nil)[:8])
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < slog.LevelInfo {
		return h.next.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler. Attributes bound to a logger are hashed
// at every level: the level of later records is not known here.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	mapped := make([]slog.Attr, len(as))
	for i, a := range as {
		mapped[i] = h.attr(a)
	}
	return &Handler{next: h.next.WithAttrs(mapped), key: h.key, keys: h.keys}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name), key: h.key, keys: h.keys}
}

func (h *Handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch {
	case v.Kind() == slog.KindGroup:
		g := v.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = h.attr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	case h.keys[a.Key] && v.Kind() == slog.KindString && v.String() != "":
		return slog.String(a.Key, h.Hash(v.String()))
	case h.keys[a.Key] && v.Kind() == slog.KindAny:
		if s, ok := v.Any().(interface{ String() string }); ok {
			return slog.String(a.Key, h.Hash(s.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
