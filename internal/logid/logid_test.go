package logid

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

type key struct{ p, c string }

func (k key) String() string { return k.p + ":" + k.c }

func TestIDsHashedAtInfo(t *testing.T) {
	var b bytes.Buffer
	h := New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}), []byte("k"))
	log := slog.New(h)
	const openID = "oVictimOpenID0123456789abcd"
	log.Info("message handled", "platform", "wechat", "conversation", "wechat:"+openID, "message_id", "ev-"+openID+"-1-subscribe",
		"about", key{"wechat", openID}, slog.Group("g", "user", openID))
	log.With("chat", openID).Warn("bound")
	info := b.String()
	if strings.Contains(info, openID) {
		t.Fatalf("an OpenID at info/warn:\n%s", info)
	}
	if !strings.Contains(info, "platform=wechat") || strings.Count(info, h.Hash("wechat:"+openID)) != 2 {
		t.Fatalf("hashes missing or unstable:\n%s", info)
	}
	b.Reset()
	log.Debug("details", "conversation", "wechat:"+openID)
	if !strings.Contains(b.String(), openID) {
		t.Fatalf("debug should keep the id: %s", b.String())
	}
}
